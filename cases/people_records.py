"""What the people pages call a case file an appearance is on (people/selectors.py RECORD_LABELS):
registered in CasesConfig.ready(), so the people app never imports this one."""

from django.db.models import Exists, OuterRef, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _

from people.models import Person, Source

from .models import Interview, VictimCase


def record_labels(appearance_ids) -> dict[int, dict]:
    """{appearance id: {"record_id", "number", "url", "station", "role", "role_label"}} for the appearances
    on case files (the case's person, or a recruiter named in one of its interviews), in one query. The
    caller has already checked that the reader may see these appearances (and so their case files)."""
    case = VictimCase.objects.filter(pk=OuterRef("record_id"))
    rows = (
        Person.objects.filter(pk__in=list(appearance_ids), source=Source.CASE)
        .annotate(
            case_number=Subquery(case.values("number")[:1]),
            case_station=Subquery(case.values("station__code")[:1]),
            is_victim=Exists(VictimCase.objects.filter(person_id=OuterRef("pk"))),
            is_recruiter=Exists(Interview.objects.filter(recruiter_id=OuterRef("pk"))),
        )
        .values_list("pk", "record_id", "case_number", "case_station", "is_victim", "is_recruiter")
    )
    labels = {}
    for pk, record_id, number, station, is_victim, is_recruiter in rows:
        if number is None:
            continue
        if is_victim:
            role, label = "victim", _("Person of the case")
        elif is_recruiter:
            role, label = "recruiter", _("Recruiter (victim interview)")
        else:
            role, label = "named", _("Named in the case file")
        labels[pk] = {
            "record_id": record_id,
            "number": number,
            "url": reverse("cases:detail", args=[record_id]),
            "station": station,
            "role": role,
            "role_label": str(label),
        }
    return labels
