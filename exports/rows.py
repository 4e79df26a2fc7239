"""What each export row holds. The same masking as pages and API (people.masking), plus the de-identified
mode: no names, phones, addresses or narratives; record and person ids replaced by keyed-hash pseudonyms;
dates coarsened to the month; ages to bands.

Rows are read as plain values (`.values_list(named=True)` from a server-side cursor), never as model
instances, and only the columns the file's mode needs. What a row holds of other tables comes in the same
statement, as arrays (`ARRAY(SELECT ...)` correlated subqueries, index lookups): red-flag ids, interceptee
roles (victims and suspects are counted from them), monitor ids, route stops, documents. The small tables
they point to are read apart: the red-flag catalogue once per export, places and usernames once per chunk
for the ids not met yet. So an export runs a fixed number of queries per chunk, and the cost of a row does
not depend on how many rows the table holds (docs/exports.md "Speed")."""

import hashlib
import hmac
import zoneinfo
from collections import namedtuple
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import (
    CharField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat

from accounts.access import annotate_allowed, scope
from accounts.roles import Action
from cases.models import Consent, ConsentScope, FollowUp, Interview, Service, VictimCase
from cases.selectors import GRANTS as CASE_GRANTS
from cases.selectors import case_scope, research_refused_condition
from interception.models import (
    IdentityDocument,
    Interceptee,
    IntercepteeRole,
    Interception,
    InterceptionMonitor,
    InterceptionRedFlag,
    RedFlag,
    RouteStop,
)
from interception.selectors import GRANTS, InterceptionFilters
from people.masking import mask
from people.models import Place
from people.places import label as place_label
from prosecution.models import Charge
from prosecution.selectors import GRANTS as LEGAL_CASE_GRANTS
from prosecution.selectors import legal_case_scope

AGE_BANDS = [(0, 13, "0-13"), (14, 17, "14-17"), (18, 24, "18-24"), (25, 34, "25-34"), (35, 49, "35-49")]


def _pseudonym_key() -> bytes:
    return (settings.EXPORT_PSEUDONYM_KEY or f"pseudonym:{settings.SECRET_KEY}").encode()


def pseudonym(kind: str, pk: int, key: bytes | None = None) -> str:
    key = key or _pseudonym_key()
    return hmac.new(key, f"{kind}:{pk}".encode(), hashlib.sha256).hexdigest()[:16]


def age_band(age: int | None) -> str:
    if age is None:
        return ""
    for low, high, label in AGE_BANDS:
        if low <= age <= high:
            return label
    return "50+"


@lru_cache(maxsize=64)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


NO_PLACE = ("", "", "")


@dataclass
class Context:
    """What every row of one export shares: its mode, the pseudonym key, and what rows point to in small
    tables (the red-flag catalogue, places, monitors' usernames), read once per export or per chunk."""

    deidentified: bool
    sensitive: bool
    key: bytes = field(default_factory=_pseudonym_key)
    places: dict = field(default_factory=dict)  # place id -> (code, label, country)
    usernames: dict = field(default_factory=dict)  # user id -> username
    flag_ranks: dict = field(default_factory=dict)  # red flag id -> its rank in the catalogue by code
    flag_codes: dict = field(default_factory=dict)  # red flag id -> code
    flags_by_id_are_sorted: bool = False

    def load(self, places=(), users=()) -> None:
        """Read the places and usernames not met yet: at most one query each per chunk, whatever its size."""
        missing = {pk for pk in places if pk is not None and pk not in self.places}
        if missing:
            for place in Place.objects.filter(pk__in=missing).select_related("parent"):
                self.places[place.pk] = (place.code, place_label(place), place.country)
        missing = {pk for pk in users if pk not in self.usernames}
        if missing:
            self.usernames.update(
                get_user_model().objects.filter(pk__in=missing).values_list("pk", "username")
            )

    def load_flags(self) -> None:
        """The catalogue's codes, ranked as the database sorts them (`ORDER BY code`)."""
        codes = list(RedFlag.objects.order_by("code").values_list("pk", "code"))
        self.flag_ranks = {pk: rank for rank, (pk, _) in enumerate(codes)}
        self.flag_codes = dict(codes)
        # Rows list their flags by id (the index's order): when ids follow the codes' order (the catalogue
        # was loaded in that order), a row's codes need no sort.
        self.flags_by_id_are_sorted = [pk for pk, _ in codes] == sorted(pk for pk, _ in codes)

    def codes(self, flag_ids) -> str:
        """A row's red flags (ids in ascending order): their codes in the catalogue's order."""
        if not flag_ids:
            return ""
        try:
            if not self.flags_by_id_are_sorted:
                flag_ids = sorted(flag_ids, key=self.flag_ranks.__getitem__)
            return " ".join(map(self.flag_codes.__getitem__, flag_ids))
        except KeyError:  # a flag added to the catalogue since the export started: read it again
            self.load_flags()
            ranks, codes = self.flag_ranks, self.flag_codes
            return " ".join(codes.get(pk, "") for pk in sorted(flag_ids, key=lambda pk: ranks.get(pk, -1)))

    def place(self, pk) -> tuple[str, str, str]:
        return self.places.get(pk, NO_PLACE)  # None, or a place deleted since the row was read

    def where(self, pk, text="", country="") -> str:
        """A place as the file shows it: its label, the text as typed, the country (what is there)."""
        return " / ".join(x for x in (self.place(pk)[1], text, country or "") if x)


def _array(qs: QuerySet, column) -> ArraySubquery:
    """`ARRAY(SELECT column FROM ... WHERE <correlated>)`: a row's related values in the row's own query."""
    return ArraySubquery(
        qs.values_list(column, flat=True) if isinstance(column, str) else qs.values(v=column)
    )


def _joined(*parts) -> Concat:
    return Concat(*parts, output_field=CharField())


# --- research consent (docs/exports.md "Research consent") ---------------------------------------------
# A person who refused or withdrew the use of her data in de-identified research (the latest `research`
# consent of a case file of hers is refused or withdrawn) is left out of every de-identified export: her
# case rows, her rows in the people file, and her place in an interception's counts. One SQL condition in
# the export's statement (a correlated EXISTS on her identity's case files), no Python loop. Identified
# exports (staff with the rights) keep everyone: the consent is about research use.


def _latest_consent(scope: str, case_ref: str = "pk") -> Subquery:
    """The decision of the newest consent row of `scope` of the case at `case_ref` (NULL: none)."""
    latest = Consent.objects.filter(case_id=OuterRef(case_ref), scope=scope).order_by("-recorded_at", "-id")
    return Subquery(latest.values("decision")[:1], output_field=CharField())


def research_refused(identity_ref: str) -> Exists:
    """True for a row whose person (her identity, at `identity_ref` of the outer query, e.g.
    "person__identity_id") has a case file whose latest research consent is refused or withdrawn."""
    cases = VictimCase.objects.filter(
        research_refused_condition(), person__identity_id=OuterRef(identity_ref)
    )
    return Exists(cases)


# --- interceptions -----------------------------------------------------------------------------


def interception_rows_queryset(user, f: InterceptionFilters) -> QuerySet[Interception]:
    """What the user may export: interceptions at stations where they hold `export`, with the list's
    filters; each row marked with whether its sensitive fields may be shown."""
    qs = scope(Interception.objects.all(), user, "interception", Action.EXPORT)
    qs = annotate_allowed(qs, user, "interception", Action.VIEW_SENSITIVE, "can_see_sensitive", grants=GRANTS)
    return f.apply(qs).order_by("-occurred_at", "-id")


def interception_values(qs: QuerySet[Interception], ctx: Context) -> QuerySet:
    """The columns of the interception file, as plain values, for the file's mode. Related rows come as
    arrays of ids or short strings (index-only lookups); their codes and names from `ctx`."""
    flags = InterceptionRedFlag.objects.filter(interception=OuterRef("pk")).order_by("red_flag_id")
    people = Interceptee.objects.filter(interception=OuterRef("pk")).order_by()
    if ctx.deidentified:  # a person who refused research use is not counted (docs/exports.md)
        people = people.filter(~research_refused("person__identity_id"))
    stops = RouteStop.objects.filter(interception=OuterRef("pk")).order_by("position")
    monitors = InterceptionMonitor.objects.filter(interception=OuterRef("pk")).order_by()
    extra = {
        "flag_ids": _array(flags, "red_flag_id"),
        "roles": _array(people, "role"),  # counted here: one lookup for victims and suspects
        # each stop as "place id|country|text" (the id and the code hold no "|"; the text comes last)
        "stops": _array(
            stops,
            _joined(
                Coalesce(Cast("place_id", CharField()), Value("")), Value("|"), "country", Value("|"), "text"
            ),
        ),
    }
    columns = [
        "pk",
        "station__code",
        "occurred_on",
        "status",
        "red_flag_score",
        "certainty",
        "outcome",
        "roles",
        "flag_ids",
        "how_started",
        "transport",
        "journey_start_country",
        "stops",
    ]
    if not ctx.deidentified:
        extra["monitor_ids"] = _array(monitors, "user_id")
        columns += [
            "number",
            "station__timezone",
            "occurred_at",
            "place",
            "place_ref__code",
            "place_country",
            "journey_start_place_id",
            "journey_start_text",
            "monitor_ids",
        ]
        if ctx.sensitive:
            columns += ["can_see_sensitive", "reason", "outcome_notes", "how_started_notes"]
    return qs.annotate(**extra).values_list(*columns, named=True)


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


VICTIM, SUSPECT = IntercepteeRole.POTENTIAL_VICTIM.value, IntercepteeRole.SUSPECT.value


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
    return qs.order_by("-interception__occurred_at", "id")


def person_values(qs: QuerySet[Interceptee], ctx: Context) -> QuerySet:
    """The columns of the people file, as plain values, for the file's mode."""
    documents = IdentityDocument.objects.filter(interceptee=OuterRef("pk")).order_by("id")
    extra = {
        "document_kinds": _array(documents, _joined("kind", Value(":"), "whose", Value(":"), "looks_genuine"))
    }
    columns = [
        "interception_id",
        "person_id",
        "interception__station__code",
        "interception__occurred_on",
        "role",
        "person__gender",
        "person__age",
        "person__nationality",
        "destination_country",
        "travel_purpose",
        "suspect_role",
        "document_kinds",
    ]
    if not ctx.deidentified:
        columns += [
            "interception__number",
            "consent_to_use_information",
            "consent_to_use_photo",
            "destination_place_id",
            "destination_text",
        ]
        if ctx.sensitive:
            extra["document_numbers"] = _array(documents.exclude(number=""), "number")
            columns += [
                "can_see_sensitive",
                "person__full_name",
                "person__phone",
                "person__address",
                "person__address_place_id",
                "travel_purpose_notes",
                "suspect_description",
                "document_numbers",
            ]
    return qs.annotate(**extra).values_list(*columns, named=True)


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


# --- the whole record (docs/interceptions.md "The whole record") -------------------------------------
# Its columns come after the columns above that everyone gets and before the sensitive ones (which stay
# last): categories and countries in every mode; place labels where the record is identified; narratives
# and document numbers only in sensitive exports, masked.


def _insert(base: list, plain: int, extra: list, extra_sensitive: list, sensitive: bool) -> list:
    """`base` with `extra` (and, in sensitive exports, `extra_sensitive`) after its first `plain` columns."""
    return [*base[:plain], *extra, *(extra_sensitive if sensitive else []), *base[plain:]]


def _stops(stops) -> list[tuple]:
    """The route's stops as (place id or None, country, text), in order."""
    found = []
    for stop in stops:
        place, country, text = stop.split("|", 2)
        found.append((int(place) if place else None, country, text))
    return found


def _interception_refs(chunk, ctx: Context) -> tuple[set, set]:
    """(place ids, user ids) the rows of `chunk` show."""
    places, users = set(), set()
    for i in chunk:
        if i.stops:
            places.update(pk for pk, *_ in _stops(i.stops))
    if not ctx.deidentified:
        places.update(i.journey_start_place_id for i in chunk)
        users.update(pk for i in chunk for pk in i.monitor_ids)
    return places, users


def whole_interception_header(*, deidentified: bool, sensitive: bool) -> list[str]:
    header = interception_header(deidentified=deidentified, sensitive=sensitive)
    if deidentified:
        return header + ["how_started", "transport", "journey_start_country", "route_countries"]
    plain = len(interception_header(deidentified=False, sensitive=False))
    extra = ["place_ref", "place_country", "how_started", "transport", "journey_start", "route", "monitors"]
    return _insert(header, plain, extra, ["how_started_notes"], sensitive)


def whole_interception_row(i, ctx: Context) -> list:
    """The cells of one interception, in the header's order (`whole_interception_header`)."""
    roles = i.roles
    stops = _stops(i.stops) if i.stops else ()
    if ctx.deidentified:
        return [
            pseudonym("interception", i.pk, ctx.key),
            i.station__code,
            i.occurred_on.strftime("%Y-%m"),
            i.status,
            i.red_flag_score,
            i.certainty,
            i.outcome,
            roles.count(VICTIM),
            roles.count(SUSPECT),
            ctx.codes(i.flag_ids),
            # the whole record
            i.how_started,
            i.transport,
            i.journey_start_country or "",
            " > ".join([country or ctx.place(pk)[2] for pk, country, _ in stops]) if stops else "",
        ]
    row = [
        i.pk,
        i.number,
        i.station__code,
        i.occurred_at.astimezone(_zone(i.station__timezone)).isoformat(),
        i.occurred_on.isoformat(),
        i.place,
        i.status,
        i.red_flag_score,
        i.certainty,
        i.outcome,
        roles.count(VICTIM),
        roles.count(SUSPECT),
        ctx.codes(i.flag_ids),
        # the whole record
        i.place_ref__code or "",
        i.place_country or "",
        i.how_started,
        i.transport,
        ctx.where(i.journey_start_place_id, i.journey_start_text, i.journey_start_country)
        if i.journey_start_place_id or i.journey_start_text or i.journey_start_country
        else "",
        " > ".join([ctx.where(pk, text, country) for pk, country, text in stops]) if stops else "",
        " ".join(sorted(filter(None, map(ctx.usernames.get, i.monitor_ids)))),  # a deleted user: gone
    ]
    if ctx.sensitive:
        allowed = i.can_see_sensitive
        row += [mask(i.how_started_notes, allowed), mask(i.reason, allowed), mask(i.outcome_notes, allowed)]
    return row


def whole_person_header(*, deidentified: bool, sensitive: bool) -> list[str]:
    header = person_header(deidentified=deidentified, sensitive=sensitive)
    common = ["destination_country", "travel_purpose", "suspect_role", "documents"]
    if deidentified:
        return header + common
    plain = len(person_header(deidentified=False, sensitive=False))
    personal = ["travel_purpose_notes", "suspect_description", "document_numbers"]
    return _insert(header, plain, ["destination", *common], personal, sensitive)


def whole_person_row(r, ctx: Context) -> list:
    """The cells of one person on an interception, in the header's order (`whole_person_header`)."""
    nationality = r.person__nationality or ""
    documents = " ".join(r.document_kinds)
    if ctx.deidentified:
        return [
            pseudonym("interception", r.interception_id, ctx.key),
            pseudonym("person", r.person_id, ctx.key),
            r.interception__station__code,
            r.interception__occurred_on.strftime("%Y-%m"),
            r.role,
            r.person__gender,
            age_band(r.person__age),
            nationality,
            # the whole record
            r.destination_country or "",
            r.travel_purpose,
            r.suspect_role,
            documents,
        ]
    row = [
        r.interception__number,
        r.interception__station__code,
        r.interception__occurred_on.isoformat(),
        r.role,
        r.person_id,
        r.person__gender,
        r.person__age,
        nationality,
        r.consent_to_use_information,
        r.consent_to_use_photo,
        # the whole record
        ctx.where(r.destination_place_id, r.destination_text),
        r.destination_country or "",
        r.travel_purpose,
        r.suspect_role,
        documents,
    ]
    if ctx.sensitive:
        allowed = r.can_see_sensitive
        code, label, _ = ctx.place(r.person__address_place_id)
        row += [
            mask(r.travel_purpose_notes, allowed),
            mask(r.suspect_description, allowed),
            mask(" ".join(r.document_numbers), allowed),
            mask(r.person__full_name, allowed),
            mask(r.person__phone, allowed),
            mask(r.person__address, allowed),
            mask(code, allowed),
            mask(label, allowed),
        ]
    return row


def _person_refs(chunk, ctx: Context) -> tuple[set, set]:
    """(place ids, user ids) the rows of `chunk` show."""
    if ctx.deidentified:
        return set(), set()
    places = {r.destination_place_id for r in chunk}
    if ctx.sensitive:
        places.update(r.person__address_place_id for r in chunk)
    return places, set()


# --- case files (docs/exports.md "Case files") ----------------------------------------------------------

CONSENT_SCOPES = tuple(ConsentScope.values)  # services, information_sharing, photo, research


def case_rows_queryset(user, f) -> QuerySet[VictimCase]:
    """What the user may export: case files at stations where they hold `export` on cases (the cases app's
    own scope), with the export's filters (exports.selectors.CaseExportFilters); each row marked with
    whether its names and contacts may be shown (view_sensitive on the case, as the interception export
    does per station)."""
    qs = case_scope(user, Action.EXPORT)
    qs = annotate_allowed(qs, user, "case", Action.VIEW_SENSITIVE, "can_see_sensitive", grants=CASE_GRANTS)
    return f.apply(qs).order_by("-opened_on", "-id")


def _case_deidentify(qs: QuerySet[VictimCase]) -> QuerySet[VictimCase]:
    """A de-identified file leaves out the cases of a person who refused or withdrew research use."""
    return qs.filter(~research_refused("person__identity_id"))


def _person_deidentify(qs: QuerySet[Interceptee]) -> QuerySet[Interceptee]:
    """A de-identified people file leaves out a person who refused or withdrew research use."""
    return qs.filter(~research_refused("person__identity_id"))


def _count(qs: QuerySet) -> Coalesce:
    """`(SELECT COUNT(id) FROM ... WHERE <correlated>)`: one index lookup per row."""
    counted = qs.order_by().values(n=Func(F("id"), function="COUNT", output_field=IntegerField()))
    return Coalesce(Subquery(counted[:1], output_field=IntegerField()), 0)


# The latest interview of a case, in one correlated lookup: "meets|acts|means|purposes|score|testify" (the
# codes hold no "|" and no space; the willingness comes last).
_INTERVIEW_SEP = "|"


def _latest_interview() -> Subquery:
    def codes(field):
        return Func(F(field), Value(" "), function="array_to_string", output_field=CharField())

    latest = Interview.objects.filter(case_id=OuterRef("pk")).order_by("-conducted_on", "-id")
    summary = _joined(
        Cast("meets_definition", CharField()),
        Value(_INTERVIEW_SEP),
        codes("acts"),
        Value(_INTERVIEW_SEP),
        codes("means"),
        Value(_INTERVIEW_SEP),
        codes("purposes"),
        Value(_INTERVIEW_SEP),
        Cast("alarm_score", CharField()),
        Value(_INTERVIEW_SEP),
        "willing_to_testify",
    )
    return Subquery(latest.values(v=summary)[:1], output_field=CharField())


NO_INTERVIEW = ["", "", "", "", "", ""]


def _interview_cells(summary: str | None) -> list:
    """meets_definition (yes/no), acts, means, purposes, alarm score, willing to testify; blank cells for
    a case without an interview."""
    if not summary:
        return NO_INTERVIEW
    meets, acts, means, purposes, score, testify = summary.split(_INTERVIEW_SEP, 5)
    return [meets in ("true", "t"), acts, means, purposes, int(score), testify]


def case_values(qs: QuerySet[VictimCase], ctx: Context) -> QuerySet:
    """The columns of the case file export, as plain values, for the file's mode. Consents, the latest
    interview and the counts come as correlated lookups in the same statement; never a narrative."""
    extra = {f"consent_{scope}": _latest_consent(scope) for scope in CONSENT_SCOPES}
    extra["interview"] = _latest_interview()
    extra["service_count"] = _count(Service.objects.filter(case_id=OuterRef("pk")))
    extra["follow_ups_done"] = _count(FollowUp.objects.filter(case_id=OuterRef("pk"), done_on__isnull=False))
    columns = [
        "pk",
        "person_id",
        "interception_id",
        "station__code",
        "station__timezone",
        "status",
        "source",
        "opened_on",
        "risk",
        "next_follow_up_on",
        "interception_outcome",
        "closure_reason",
        "closed_at",
        "person__gender",
        "person__age",
        "person__nationality",
        *extra,
    ]
    if not ctx.deidentified:
        columns += ["number", "interception__number", "assigned_to__username"]
        if ctx.sensitive:
            columns += ["can_see_sensitive", "person__full_name", "person__phone", "person__address"]
    return qs.annotate(**extra).values_list(*columns, named=True)


_CASE_COMMON = [
    "status",
    "source",
    "risk",
    "interception_outcome",
    "closure_reason",
]
_CASE_PERSON = ["gender", "age", "nationality"]
_CASE_TAIL = [
    *(f"consent_{scope}" for scope in CONSENT_SCOPES),
    "interview_meets_definition",
    "interview_acts",
    "interview_means",
    "interview_purposes",
    "interview_alarm_score",
    "interview_willing_to_testify",
    "services",
    "follow_ups_done",
]


def case_header(*, deidentified: bool, sensitive: bool) -> list[str]:
    if deidentified:
        return [
            "record",
            "person",
            "interception",
            "station",
            "month",
            *_CASE_COMMON,
            "next_follow_up_month",
            "closed_month",
            "gender",
            "age_band",
            "nationality",
            *_CASE_TAIL,
        ]
    header = [
        "id",
        "number",
        "station",
        "opened_on",
        "interception_number",
        "assigned_to",
        *_CASE_COMMON,
        "next_follow_up_on",
        "closed_at_local",
        "person_id",
        *_CASE_PERSON,
        *_CASE_TAIL,
    ]
    return header + (["name", "phone", "address"] if sensitive else [])


def case_row(c, ctx: Context) -> list:
    """The cells of one case file, in the header's order (`case_header`)."""
    consents = [getattr(c, f"consent_{scope}") or "" for scope in CONSENT_SCOPES]
    tail = [*consents, *_interview_cells(c.interview), c.service_count, c.follow_ups_done]
    common = [c.status, c.source, c.risk, c.interception_outcome, c.closure_reason]
    if ctx.deidentified:
        return [
            pseudonym("case", c.pk, ctx.key),
            pseudonym("person", c.person_id, ctx.key),
            pseudonym("interception", c.interception_id, ctx.key) if c.interception_id else "",
            c.station__code,
            c.opened_on.strftime("%Y-%m"),
            *common,
            c.next_follow_up_on.strftime("%Y-%m") if c.next_follow_up_on else "",
            c.closed_at.astimezone(_zone(c.station__timezone)).strftime("%Y-%m") if c.closed_at else "",
            c.person__gender,
            age_band(c.person__age),
            c.person__nationality or "",
            *tail,
        ]
    row = [
        c.pk,
        c.number,
        c.station__code,
        c.opened_on.isoformat(),
        c.interception__number or "",
        c.assigned_to__username or "",
        *common,
        c.next_follow_up_on.isoformat() if c.next_follow_up_on else "",
        c.closed_at.astimezone(_zone(c.station__timezone)).isoformat() if c.closed_at else "",
        c.person_id,
        c.person__gender,
        c.person__age,
        c.person__nationality or "",
        *tail,
    ]
    if ctx.sensitive:
        allowed = c.can_see_sensitive
        row += [
            mask(c.person__full_name, allowed),
            mask(c.person__phone, allowed),
            mask(c.person__address, allowed),
        ]
    return row


def _case_refs(chunk, ctx: Context) -> tuple[set, set]:
    return set(), set()  # usernames and codes come in the row's own statement


# --- legal cases (docs/exports.md "Legal cases") --------------------------------------------------------
# One row per charge: suspect × court case × statute, with the verdict and the sentence. The legal case, its
# court case, the suspect's appearance and the statutes come in the row's own statement (joins on foreign
# keys); nothing is read per row. Only the suspect's name is sensitive; the complaint and court case numbers
# are left out of de-identified files with every other number.


def legal_case_rows_queryset(user, f) -> QuerySet[Charge]:
    """What the user may export: the charges of the legal cases where they hold `export` on legal cases
    (prosecution's own scope), with the export's filters (exports.selectors.LegalCaseExportFilters) on the
    legal case; each row marked with whether the suspect's name may be shown (view_sensitive on the legal
    case)."""
    cases = f.apply(legal_case_scope(user, Action.EXPORT))
    qs = Charge.objects.filter(legal_case__in=cases.values("pk"))
    qs = annotate_allowed(
        qs,
        user,
        "legal_case",
        Action.VIEW_SENSITIVE,
        "can_see_sensitive",
        station_field="legal_case__station",
        grants=LEGAL_CASE_GRANTS,
        object_field="legal_case",
    )
    return qs.order_by("-legal_case__opened_on", "-legal_case_id", "suspect_id", "court_case_id", "id")


def _legal_case_deidentify(qs: QuerySet[Charge]) -> QuerySet[Charge]:
    """A de-identified file leaves out the rows of a suspect who refused or withdrew research use (the same
    rule for every person, whatever her part in the record)."""
    return qs.filter(~research_refused("suspect__person__identity_id"))


def legal_case_values(qs: QuerySet[Charge], ctx: Context) -> QuerySet:
    columns = [
        "pk",
        "legal_case_id",
        "legal_case__station__code",
        "legal_case__stage",
        "legal_case__opened_on",
        "legal_case__complaint_filed_on",
        "court_case__court__name",
        "suspect__person_id",
        "suspect__person__gender",
        "suspect__person__age",
        "suspect__role",
        "suspect__arrest_status",
        "suspect__arrest_verified_at",
        "statute__code",
        "statute__is_trafficking",
        "verdict",
        "verdict_on",
        "convicted_under__code",
        "convicted_under__is_trafficking",
        "imprisonment_total_days",
        "fine_amount",
        "fine_currency",
        "compensation_amount",
        "compensation_currency",
    ]
    if not ctx.deidentified:
        columns += ["legal_case__number", "legal_case__complaint_number", "court_case__number"]
        if ctx.sensitive:
            columns += ["can_see_sensitive", "suspect__person__full_name"]
    return qs.values_list(*columns, named=True)


_LEGAL_CHARGE = [
    "suspect_role",
    "arrest_status",
    "arrest_verified",
    "statute",
    "statute_kind",
    "verdict",
]
_LEGAL_SENTENCE = [
    "convicted_under",
    "convicted_under_kind",
    "imprisonment_total_days",
    "fine_amount",
    "fine_currency",
    "compensation_amount",
    "compensation_currency",
]


def legal_case_header(*, deidentified: bool, sensitive: bool) -> list[str]:
    if deidentified:
        return [
            "record",
            "suspect",
            "station",
            "stage",
            "opened_month",
            "complaint_month",
            "court",
            "suspect_gender",
            "suspect_age_band",
            *_LEGAL_CHARGE,
            "verdict_month",
            *_LEGAL_SENTENCE,
        ]
    header = [
        "charge_id",
        "number",
        "station",
        "stage",
        "opened_on",
        "complaint_number",
        "complaint_filed_on",
        "court",
        "court_case_number",
        "suspect_id",
        "suspect_gender",
        "suspect_age",
        *_LEGAL_CHARGE,
        "verdict_on",
        *_LEGAL_SENTENCE,
    ]
    return header + (["suspect_name"] if sensitive else [])


def _kind_of_statute(is_trafficking) -> str:
    """ "trafficking" or "lesser" (blank: no statute, e.g. no conviction)."""
    if is_trafficking is None:
        return ""
    return "trafficking" if is_trafficking else "lesser"


def _month(day) -> str:
    return day.strftime("%Y-%m") if day else ""


def legal_case_row(c, ctx: Context) -> list:
    """The cells of one charge, in the header's order (`legal_case_header`)."""
    charge = [
        c.suspect__role,
        c.suspect__arrest_status,
        c.suspect__arrest_verified_at is not None,
        c.statute__code,
        _kind_of_statute(c.statute__is_trafficking),
        c.verdict,
    ]
    sentence = [
        c.convicted_under__code or "",
        _kind_of_statute(c.convicted_under__is_trafficking),
        c.imprisonment_total_days,
        c.fine_amount,
        c.fine_currency,
        c.compensation_amount,
        c.compensation_currency,
    ]
    if ctx.deidentified:
        return [
            pseudonym("legal_case", c.legal_case_id, ctx.key),
            pseudonym("person", c.suspect__person_id, ctx.key),
            c.legal_case__station__code,
            c.legal_case__stage,
            _month(c.legal_case__opened_on),
            _month(c.legal_case__complaint_filed_on),
            c.court_case__court__name,
            c.suspect__person__gender,
            age_band(c.suspect__person__age),
            *charge,
            _month(c.verdict_on),
            *sentence,
        ]
    row = [
        c.pk,
        c.legal_case__number,
        c.legal_case__station__code,
        c.legal_case__stage,
        c.legal_case__opened_on.isoformat(),
        c.legal_case__complaint_number,
        c.legal_case__complaint_filed_on.isoformat() if c.legal_case__complaint_filed_on else "",
        c.court_case__court__name,
        c.court_case__number,
        c.suspect__person_id,
        c.suspect__person__gender,
        c.suspect__person__age,
        *charge,
        c.verdict_on.isoformat() if c.verdict_on else "",
        *sentence,
    ]
    if ctx.sensitive:
        row.append(mask(c.suspect__person__full_name, c.can_see_sensitive))
    return row


@dataclass(frozen=True)
class Kind:
    queryset: Callable  # (user, filters) -> the rows the user may export, as a queryset
    values: Callable  # (queryset, ctx) -> the same rows as plain values
    header: Callable  # (deidentified=, sensitive=) -> the column names
    row: Callable  # (values, ctx) -> the cells
    refs: Callable  # (chunk of values, ctx) -> (place ids, user ids) its rows show
    record_type: str
    # (queryset) -> the rows a de-identified file keeps (research consent), or None: every row
    deidentify: Callable | None = None


KINDS = {
    "interceptions": Kind(
        interception_rows_queryset,
        interception_values,
        whole_interception_header,
        whole_interception_row,
        _interception_refs,
        "interception",
    ),
    "persons": Kind(
        person_rows_queryset,
        person_values,
        whole_person_header,
        whole_person_row,
        _person_refs,
        "person",
        _person_deidentify,
    ),
    "cases": Kind(
        case_rows_queryset, case_values, case_header, case_row, _case_refs, "case", _case_deidentify
    ),
    "legal_cases": Kind(
        legal_case_rows_queryset,
        legal_case_values,
        legal_case_header,
        legal_case_row,
        _case_refs,
        "legal_case",
        _legal_case_deidentify,
    ),
}


def _chunks(values: QuerySet, chunk_size: int) -> Iterator[list[tuple]]:
    """The rows of a `values_list(named=True)` queryset, in chunks, from a server-side cursor. The
    statement goes through Django's cursor (logged and counted like any query); the rows come straight from
    psycopg2's `fetchmany` as named tuples, without Django's per-row iteration (which took a third of an
    export's Python time)."""
    sql, params = values.query.sql_with_params()
    cursor = connection.chunked_cursor()  # a named cursor, WITH HOLD outside a transaction (as Django's)
    try:
        cursor.execute(sql, params)
        rows = cursor.cursor.fetchmany(chunk_size)  # a named cursor describes its columns once it fetched
        names = [column.name for column in cursor.description]
        if sorted(names) != sorted(values._fields):  # Django names each column of a values query
            raise RuntimeError(f"unexpected export columns: {names}")
        row_type, new = namedtuple("Row", names), tuple.__new__
        while rows:
            yield [new(row_type, row) for row in rows]
            rows = cursor.cursor.fetchmany(chunk_size)
    finally:
        cursor.close()


def rows(
    kind: str, user, f: InterceptionFilters, *, deidentified: bool, sensitive: bool, chunk_size: int
) -> tuple[list[str], int, Iterator[list[list]]]:
    """(header, total, chunk iterator): each chunk a list of up to `chunk_size` rows. Rows stream from a
    server-side cursor, so memory stays flat whatever the number of rows; each chunk costs at most two more
    queries (the places and usernames it names that were not met before)."""
    k = KINDS[kind]
    ctx = Context(deidentified=deidentified, sensitive=sensitive)
    qs = k.queryset(user, f)
    if deidentified and k.deidentify is not None:
        qs = k.deidentify(qs)
    total = qs.count()
    values = k.values(qs, ctx)
    if kind == "interceptions":
        ctx.load_flags()

    def iterator():
        # PostgreSQL's JIT would compile this long statement for a second or more before the first row:
        # off for this statement, back to the server's setting after.
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        chunks = _chunks(values, chunk_size)
        try:
            for chunk in chunks:
                ctx.load(*k.refs(chunk, ctx))
                yield [k.row(record, ctx) for record in chunk]
        finally:
            chunks.close()  # a failed row closes the server-side cursor at once
            with connection.cursor() as cursor:
                cursor.execute("RESET jit")

    return k.header(deidentified=deidentified, sensitive=sensitive), total, iterator()
