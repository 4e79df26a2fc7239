"""What the people pages call a case file an appearance is on (people/selectors.py RECORD_LABELS):
registered in CasesConfig.ready(), so the people app never imports this one."""

from django.urls import reverse
from django.utils.translation import gettext as _

from people.models import Person, Source

from .models import Interview, VictimCase


def record_labels(appearance_ids) -> dict[int, dict]:
    """{appearance id: {"record_id", "number", "url", "station", "role", "role_label"}} for the appearances
    on case files (the case's person, or a recruiter named in one of its interviews), in two queries. The
    caller has already checked that the reader may see these appearances (and so their case files)."""
    rows = Person.objects.filter(pk__in=list(appearance_ids), source=Source.CASE).values_list(
        "pk", "record_id"
    )
    by_case: dict[int, list[int]] = {}
    for pk, record_id in rows:
        by_case.setdefault(record_id, []).append(pk)
    if not by_case:
        return {}
    cases = (
        VictimCase.objects.filter(pk__in=list(by_case))
        .select_related("station")
        .only("pk", "number", "person_id", "station__code")
    )
    recruiters = set(
        Interview.objects.filter(case_id__in=list(by_case), recruiter_id__isnull=False).values_list(
            "recruiter_id", flat=True
        )
    )
    labels = {}
    for case in cases:
        for pk in by_case.get(case.pk, ()):
            if pk == case.person_id:
                role, label = "victim", _("Person of the case")
            elif pk in recruiters:
                role, label = "recruiter", _("Recruiter (victim interview)")
            else:
                role, label = "named", _("Named in the case file")
            labels[pk] = {
                "record_id": case.pk,
                "number": case.number,
                "url": reverse("cases:detail", args=[case.pk]),
                "station": case.station.code,
                "role": role,
                "role_label": str(label),
            }
    return labels
