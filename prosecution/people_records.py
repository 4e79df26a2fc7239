"""What the people pages call a legal case an appearance is on (people/selectors.py RECORD_LABELS):
registered in ProsecutionConfig.ready(), so the people app never imports this one."""

from django.urls import reverse
from django.utils.translation import gettext as _

from .models import Suspect


def record_labels(appearance_ids) -> dict[int, dict]:
    """{appearance id: {...}} for the suspects (defendants) among these appearances, in one query."""
    rows = (
        Suspect.objects.filter(person_id__in=list(appearance_ids))
        .select_related("legal_case__station")
        .only("person_id", "legal_case__id", "legal_case__number", "legal_case__station__code")
    )
    return {
        row.person_id: {
            "record_id": row.legal_case.pk,
            "number": row.legal_case.number,
            "url": reverse("prosecution:detail", args=[row.legal_case.pk]),
            "station": row.legal_case.station.code,
            "role": "defendant",
            "role_label": str(_("Defendant (legal case)")),
        }
        for row in rows
    }
