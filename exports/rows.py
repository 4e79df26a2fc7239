"""What each export row holds. The same masking as pages and API (people.masking), plus the de-identified
mode: no names, phones, addresses or narratives; record and person ids replaced by keyed-hash pseudonyms;
dates coarsened to the month; ages to bands."""

import hashlib
import hmac
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from accounts.access import annotate_allowed, scope
from accounts.roles import Action
from interception.models import Interceptee, Interception, RedFlag
from interception.selectors import GRANTS, InterceptionFilters, interceptee_counts
from people.masking import mask

AGE_BANDS = [(0, 13, "0-13"), (14, 17, "14-17"), (18, 24, "18-24"), (25, 34, "25-34"), (35, 49, "35-49")]


def pseudonym(kind: str, pk: int) -> str:
    key = (settings.EXPORT_PSEUDONYM_KEY or f"pseudonym:{settings.SECRET_KEY}").encode()
    return hmac.new(key, f"{kind}:{pk}".encode(), hashlib.sha256).hexdigest()[:16]


def age_band(age: int | None) -> str:
    if age is None:
        return ""
    for low, high, label in AGE_BANDS:
        if low <= age <= high:
            return label
    return "50+"


# --- interceptions -----------------------------------------------------------------------------


def interception_rows_queryset(user, f: InterceptionFilters) -> QuerySet[Interception]:
    """What the user may export: interceptions at stations where they hold `export`, with the list's
    filters; each row marked with whether its sensitive fields may be shown."""
    qs = scope(Interception.objects.all(), user, "interception", Action.EXPORT)
    qs = annotate_allowed(qs, user, "interception", Action.VIEW_SENSITIVE, "can_see_sensitive", grants=GRANTS)
    qs = f.apply(qs).select_related("station")
    return (
        qs.annotate(**interceptee_counts())
        .prefetch_related(Prefetch("red_flags", queryset=RedFlag.objects.only("id", "code").order_by("code")))
        .order_by("-occurred_at", "-id")
    )


def interception_header(*, deidentified: bool, sensitive: bool) -> list[str]:
    if deidentified:
        return [
            "record",
            "station",
            "month",
            "status",
            "red_flag_score",
            "certainty",
            "outcome",
            "potential_victims",
            "suspects",
            "red_flags",
        ]
    header = [
        "id",
        "number",
        "station",
        "occurred_at_local",
        "occurred_on",
        "place",
        "status",
        "red_flag_score",
        "certainty",
        "outcome",
        "potential_victims",
        "suspects",
        "red_flags",
    ]
    return header + (["reason", "outcome_notes"] if sensitive else [])


def interception_row(i: Interception, *, deidentified: bool, sensitive: bool) -> list:
    codes = " ".join(flag.code for flag in i.red_flags.all())
    if deidentified:
        return [
            pseudonym("interception", i.pk),
            i.station.code,
            i.occurred_on.strftime("%Y-%m"),
            i.status,
            i.red_flag_score,
            i.certainty,
            i.outcome,
            i.victim_count,
            i.suspect_count,
            codes,
        ]
    row = [
        i.pk,
        i.number,
        i.station.code,
        i.occurred_at.astimezone(i.station.tzinfo).isoformat(),
        i.occurred_on.isoformat(),
        i.place,
        i.status,
        i.red_flag_score,
        i.certainty,
        i.outcome,
        i.victim_count,
        i.suspect_count,
        codes,
    ]
    if sensitive:
        row += [mask(i.reason, i.can_see_sensitive), mask(i.outcome_notes, i.can_see_sensitive)]
    return row


# --- persons -----------------------------------------------------------------------------------


def person_rows_queryset(user, f: InterceptionFilters) -> QuerySet[Interceptee]:
    qs = scope(
        Interceptee.objects.all(),
        user,
        "person",
        Action.EXPORT,
        station_field="interception__station",
    )
    qs = annotate_allowed(
        qs,
        user,
        "interception",
        Action.VIEW_SENSITIVE,
        "can_see_sensitive",
        station_field="interception__station",
        grants=GRANTS,
        object_field="interception",
    )
    qs = f.apply(qs, prefix="interception__")
    return qs.select_related("person", "interception__station").order_by("-interception__occurred_at", "id")


def person_header(*, deidentified: bool, sensitive: bool) -> list[str]:
    if deidentified:
        return ["record", "person", "station", "month", "role", "gender", "age_band", "nationality"]
    header = [
        "interception_number",
        "station",
        "occurred_on",
        "role",
        "person_id",
        "gender",
        "age",
        "nationality",
        "consent_to_use_information",
        "consent_to_use_photo",
    ]
    return header + (["name", "phone", "address"] if sensitive else [])


def person_row(r: Interceptee, *, deidentified: bool, sensitive: bool) -> list:
    p, i = r.person, r.interception
    if deidentified:
        return [
            pseudonym("interception", i.pk),
            pseudonym("person", p.pk),
            i.station.code,
            i.occurred_on.strftime("%Y-%m"),
            r.role,
            p.gender,
            age_band(p.age),
            p.nationality,
        ]
    row = [
        i.number,
        i.station.code,
        i.occurred_on.isoformat(),
        r.role,
        p.pk,
        p.gender,
        p.age,
        p.nationality,
        r.consent_to_use_information,
        r.consent_to_use_photo,
    ]
    if sensitive:
        allowed = r.can_see_sensitive
        row += [mask(p.full_name, allowed), mask(p.phone, allowed), mask(p.address, allowed)]
    return row


KINDS = {
    "interceptions": (interception_rows_queryset, interception_header, interception_row, "interception"),
    "persons": (person_rows_queryset, person_header, person_row, "person"),
}


def rows(
    kind: str, user, f: InterceptionFilters, *, deidentified: bool, sensitive: bool, chunk_size: int
) -> tuple[list[str], int, Iterator[list]]:
    """(header, total, row iterator). The iterator streams from a server-side cursor in chunks, so memory
    stays flat whatever the number of rows."""
    queryset_of, header_of, row_of, _ = KINDS[kind]
    qs = queryset_of(user, f)
    total = qs.count()

    def iterator():
        objects = qs.iterator(chunk_size)
        try:
            for obj in objects:
                yield row_of(obj, deidentified=deidentified, sensitive=sensitive)
        finally:
            objects.close()  # a failed row closes the server-side cursor at once

    return header_of(deidentified=deidentified, sensitive=sensitive), total, iterator()
