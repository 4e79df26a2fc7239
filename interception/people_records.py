"""What the people pages call an interception an appearance is on (people/selectors.py RECORD_LABELS):
registered in InterceptionConfig.ready(), so the people app never imports this one."""

from django.urls import reverse

from .models import Interceptee


def record_labels(appearance_ids) -> dict[int, dict]:
    """{appearance (Person) id: {"record_id", "number", "url", "station", "role", "role_label"}} for the
    appearances that are interceptees, in one query. The caller has already checked that the reader may
    see these appearances (and so their records)."""
    rows = (
        Interceptee.objects.filter(person_id__in=list(appearance_ids))
        .select_related("interception__station")
        .only("person_id", "role", "interception__id", "interception__number", "interception__station__code")
    )
    return {
        row.person_id: {
            "record_id": row.interception.pk,
            "number": row.interception.number,
            "url": reverse("interception:detail", args=[row.interception.pk]),
            "station": row.interception.station.code,
            "role": row.role,
            "role_label": str(row.get_role_display()),
        }
        for row in rows
    }
