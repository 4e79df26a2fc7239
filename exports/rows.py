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
from interception.models import IdentityDocument, Interceptee, Interception, RedFlag, RouteStop
from interception.selectors import GRANTS, InterceptionFilters, interceptee_counts
from people.masking import mask
from people.places import label as place_label

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
    return qs.select_related("person__address_place__parent", "interception__station").order_by(
        "-interception__occurred_at", "id"
    )


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
    # Phones in E.164 as stored (one form for every country; docs/places.md "Phones"); the home place as
    # its code and label, masked like the address.
    personal = ["name", "phone", "address", "address_place", "address_place_label"]
    return header + (personal if sensitive else [])


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
            str(p.nationality or ""),
        ]
    row = [
        i.number,
        i.station.code,
        i.occurred_on.isoformat(),
        r.role,
        p.pk,
        p.gender,
        p.age,
        str(p.nationality or ""),
        r.consent_to_use_information,
        r.consent_to_use_photo,
    ]
    if sensitive:
        allowed = r.can_see_sensitive
        place = p.address_place if p.address_place_id else None
        row += [
            mask(p.full_name, allowed),
            mask(p.phone, allowed),
            mask(p.address, allowed),
            mask(place.code if place else "", allowed),
            mask(place_label(place), allowed),
        ]
    return row


# --- the whole record (docs/interceptions.md "The whole record") -------------------------------------
# Its columns come after the columns above that everyone gets and before the sensitive ones (which stay
# last): categories and countries in every mode; place labels where the record is identified; narratives
# and document numbers only in sensitive exports, masked.


def _insert(base: list, plain: int, extra: list, extra_sensitive: list, sensitive: bool) -> list:
    """`base` with `extra` (and, in sensitive exports, `extra_sensitive`) after its first `plain` columns."""
    return [*base[:plain], *extra, *(extra_sensitive if sensitive else []), *base[plain:]]


def _place(place, text="", country="") -> str:
    return " / ".join(x for x in (place_label(place) if place else "", text, str(country or "")) if x)


def whole_interception_rows_queryset(user, f: InterceptionFilters) -> QuerySet[Interception]:
    return (
        interception_rows_queryset(user, f)
        .select_related("place_ref__parent", "journey_start_place__parent")
        .prefetch_related(
            Prefetch(
                "route", queryset=RouteStop.objects.select_related("place__parent").order_by("position")
            ),
            "monitors",
        )
    )


def whole_interception_header(*, deidentified: bool, sensitive: bool) -> list[str]:
    header = interception_header(deidentified=deidentified, sensitive=sensitive)
    if deidentified:
        return header + ["how_started", "transport", "journey_start_country", "route_countries"]
    plain = len(interception_header(deidentified=False, sensitive=False))
    extra = ["place_ref", "place_country", "how_started", "transport", "journey_start", "route", "monitors"]
    return _insert(header, plain, extra, ["how_started_notes"], sensitive)


def whole_interception_row(i: Interception, *, deidentified: bool, sensitive: bool) -> list:
    row = interception_row(i, deidentified=deidentified, sensitive=sensitive)
    stops = list(i.route.all())
    if deidentified:
        countries = " > ".join(str(s.country or (s.place.country if s.place else "")) for s in stops)
        return row + [i.how_started, i.transport, str(i.journey_start_country or ""), countries]
    extra = [
        i.place_ref.code if i.place_ref else "",
        str(i.place_country or ""),
        i.how_started,
        i.transport,
        _place(i.journey_start_place, i.journey_start_text, i.journey_start_country),
        " > ".join(_place(s.place, s.text, s.country) for s in stops),
        " ".join(sorted(u.username for u in i.monitors.all())),
    ]
    plain = len(interception_header(deidentified=False, sensitive=False))
    return _insert(row, plain, extra, [mask(i.how_started_notes, i.can_see_sensitive)], sensitive)


def whole_person_rows_queryset(user, f: InterceptionFilters) -> QuerySet[Interceptee]:
    return (
        person_rows_queryset(user, f)
        .select_related("destination_place__parent")
        .prefetch_related(Prefetch("documents", queryset=IdentityDocument.objects.order_by("id")))
    )


def whole_person_header(*, deidentified: bool, sensitive: bool) -> list[str]:
    header = person_header(deidentified=deidentified, sensitive=sensitive)
    common = ["destination_country", "travel_purpose", "suspect_role", "documents"]
    if deidentified:
        return header + common
    plain = len(person_header(deidentified=False, sensitive=False))
    personal = ["travel_purpose_notes", "suspect_description", "document_numbers"]
    return _insert(header, plain, ["destination", *common], personal, sensitive)


def whole_person_row(r: Interceptee, *, deidentified: bool, sensitive: bool) -> list:
    row = person_row(r, deidentified=deidentified, sensitive=sensitive)
    documents = list(r.documents.all())
    kinds = " ".join(f"{d.kind}:{d.whose}:{d.looks_genuine}" for d in documents)
    common = [str(r.destination_country or ""), r.travel_purpose, r.suspect_role, kinds]
    if deidentified:
        return row + common
    allowed = getattr(r, "can_see_sensitive", False)
    personal = [
        mask(r.travel_purpose_notes, allowed),
        mask(r.suspect_description, allowed),
        mask(" ".join(d.number for d in documents if d.number), allowed),
    ]
    plain = len(person_header(deidentified=False, sensitive=False))
    return _insert(
        row, plain, [_place(r.destination_place, r.destination_text), *common], personal, sensitive
    )


KINDS = {
    "interceptions": (
        whole_interception_rows_queryset,
        whole_interception_header,
        whole_interception_row,
        "interception",
    ),
    "persons": (whole_person_rows_queryset, whole_person_header, whole_person_row, "person"),
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
