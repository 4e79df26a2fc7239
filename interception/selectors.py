"""Every read of interceptions, already scoped to the user (accounts.access.scope)."""

import hashlib
import re
from dataclasses import dataclass
from datetime import date

from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import F, Func, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.access import Grants, annotate_allowed, scope, stations_for
from accounts.models import Station
from accounts.roles import Action
from audit.services import record_denied, record_event
from core.pagination import CappedPage, CappedPaginator
from core.templatetags.nepali_tags import red_flag_text

from . import policies
from .models import (
    Attachment,
    Companion,
    IdentityDocument,
    Interceptee,
    IntercepteeRole,
    Interception,
    InterceptionGroupObjectPermission,
    InterceptionMonitor,
    InterceptionRedFlag,
    InterceptionUserObjectPermission,
    RedFlag,
    RouteStop,
)

GRANTS = Grants(InterceptionUserObjectPermission, InterceptionGroupObjectPermission, "interception")


@dataclass(frozen=True)
class InterceptionFilters:
    station: str | None = None  # station code
    date_from: date | None = None  # local date at the station
    date_to: date | None = None
    status: str | None = None
    min_score: int | None = None
    number: str | None = None  # part of the interception number
    # A name or phone (people search): interceptions with an appearance of a person it finds. Needs the
    # reader, so it is applied by `apply_person`, not `apply` (exports do not offer it).
    person: str | None = None

    def as_details(self) -> dict:
        """The filters for the access log and an export job. The person query is never kept in clear: its
        keyed hash is (`person_query_hash`, people.selectors.query_digest)."""
        details = {
            k: (v.isoformat() if isinstance(v, date) else v)
            for k, v in self.__dict__.items()
            if v and k != "person"
        }
        if self.person:
            from people.selectors import query_digest

            details["person_query_hash"] = query_digest(self.person)
        return details

    def apply_person(self, qs: QuerySet, user) -> QuerySet:
        """Narrow `qs` (interceptions) to those having an appearance, whose name `user` may read, of a
        person the person query finds (people.selectors.matching_appearances: the search's own scope)."""
        if not self.person:
            return qs
        from people.selectors import matching_appearances

        appearances = matching_appearances(user, self.person).filter(source="interception")
        return qs.filter(pk__in=appearances.values("record_id"))

    def apply(self, qs: QuerySet, prefix: str = "") -> QuerySet:
        """Narrow `qs` by these filters; `prefix` is the path to the interception ("interception__" for
        rows of people on interceptions). The list page, the API and exports all filter here."""
        p = prefix
        if self.station:
            # The station's id as a scalar subquery, not a join on the station table: the filter is then
            # an index condition on the interception's own column (docs/benchmarks.md).
            station_id = Station.objects.filter(code=self.station.upper()).values("pk")[:1]
            qs = qs.filter(**{f"{p}station_id": Subquery(station_id)})
        if self.date_from:
            qs = qs.filter(**{f"{p}occurred_on__gte": self.date_from})
        if self.date_to:
            qs = qs.filter(**{f"{p}occurred_on__lte": self.date_to})
        if self.status:
            qs = qs.filter(**{f"{p}status": self.status})
        if self.min_score is not None:
            qs = qs.filter(**{f"{p}red_flag_score__gte": self.min_score})
        if self.number:
            qs = qs.filter(number_filter(self.number, prefix=p))
        return qs


# A whole interception number ("BHW-2026-00017": station code, year, counter), as services.py makes them.
FULL_NUMBER = re.compile(r"^[A-Za-z0-9]+-\d{4}-\d{5,}$")
# Fragments shorter than this cannot use the trigram index (docs/interceptions.md, "Number search").
NUMBER_MIN_LENGTH = 3


def number_filter(text: str, *, prefix: str = "") -> Q:
    """The number search: a whole number is an exact match on the unique index (as typed or upper-cased);
    any other text a case-insensitive "contains", which PostgreSQL answers from the trigram index
    (`interception_number_trgm`, migration 0012) for 3 characters or more. 1 or 2 characters still work,
    without the index (the form asks for 3)."""
    text = text.strip()
    if FULL_NUMBER.match(text):
        return Q(**{f"{prefix}number__in": sorted({text, text.upper()})})
    return Q(**{f"{prefix}number__icontains": text})


def red_flags_for_station(station: Station) -> QuerySet[RedFlag]:
    return RedFlag.objects.filter(Q(country__isnull=True) | Q(country_id=station.country_id), active=True)


def red_flags_for_user(user) -> QuerySet[RedFlag]:
    countries = stations_for(user, "interception", Action.ADD).values("country_id")
    return RedFlag.objects.filter(Q(country__isnull=True) | Q(country_id__in=countries), active=True)


def interception_scope(user, action: str = Action.VIEW) -> QuerySet[Interception]:
    """Interceptions at the user's stations for `action`, plus those shared with them or their groups."""
    return scope(Interception.objects.all(), user, "interception", action, grants=GRANTS)


def with_access_flags(qs: QuerySet[Interception], user) -> QuerySet[Interception]:
    """Mark each row with `can_see_sensitive`, so pages, API and files mask without per-row queries."""
    return annotate_allowed(
        qs, user, "interception", Action.VIEW_SENSITIVE, "can_see_sensitive", grants=GRANTS
    )


def interceptee_counts() -> dict[str, Subquery]:
    """`victim_count` and `suspect_count` as correlated subqueries (`SELECT COUNT(*) ... WHERE interception_id
    = outer id`), not a join and GROUP BY: PostgreSQL computes them for the rows of the page only, and
    `count()` stays a plain count."""

    def count(role: str) -> Subquery:
        rows = Interceptee.objects.filter(interception=OuterRef("pk"), role=role).order_by()
        return Subquery(
            rows.annotate(n=Func(F("pk"), function="COUNT")).values("n"), output_field=IntegerField()
        )

    return {
        "victim_count": count(IntercepteeRole.POTENTIAL_VICTIM),
        "suspect_count": count(IntercepteeRole.SUSPECT),
    }


def interception_list(*, user, filters: InterceptionFilters | None = None) -> QuerySet[Interception]:
    """The interceptions `user` may see, filtered, with what a list row shows in a fixed number of
    queries (no per-row queries, whatever the page size)."""
    f = filters or InterceptionFilters()
    qs = f.apply(with_access_flags(interception_scope(user), user).select_related("station"))
    qs = f.apply_person(qs, user)
    return qs.annotate(**interceptee_counts()).order_by("-occurred_at", "-id")


def with_details(qs: QuerySet[Interception]) -> QuerySet[Interception]:
    """Prefetch what a full record shows (people, flags, monitors, attachments)."""
    return qs.select_related(
        "station__country", "created_by", "place_ref__parent", "journey_start_place__parent"
    ).prefetch_related(
        Prefetch(
            "interceptees",
            queryset=Interceptee.objects.select_related(
                "person__address_place__parent", "destination_place__parent"
            ).order_by("id"),
        ),
        # The whole record (docs/interceptions.md): companions, documents, photos per person, the route.
        "interceptees__companions",
        "interceptees__documents",
        Prefetch("route", queryset=RouteStop.objects.select_related("place__parent").order_by("position")),
        Prefetch("red_flags", queryset=RedFlag.objects.order_by("group", "sort_order", "code")),
        # The ticks with the points they were scored with (the page shows these, not today's catalogue).
        Prefetch(
            "flag_ticks",
            queryset=InterceptionRedFlag.objects.select_related("red_flag").order_by(
                "red_flag__group", "red_flag__sort_order", "red_flag__code"
            ),
        ),
        "monitors",
        "attachments",
    )


def _fetch(user, pk) -> Interception:
    """One interception within the user's view scope, with what a full record shows, or 404 (not found
    and not allowed look the same; an attempt on a record that exists is logged as denied)."""
    try:
        return with_details(with_access_flags(interception_scope(user), user)).get(pk=int(pk))
    except (Interception.DoesNotExist, ValueError, TypeError, OverflowError):
        denied(user, "interception", pk, Interception, Action.VIEW)
        raise Http404("No such interception.") from None


def access_interception(user, pk, action: str = policies.VIEW, *, purpose: str = "view") -> Interception:
    """The one way to get an interception for a response (Zulip's `access_stream_by_id`): fetch it within
    the user's scope, check the policy for `action` (policies.VIEW, CHANGE, ADD_ATTACHMENT, SHARE...),
    log the read, return it.

    A record out of reach answers 404 (`Http404`, and the attempt is logged as `access.denied`); a record
    the user may see but not act on raises `PermissionDenied` (the API answers 403, pages 404), logged as
    denied too. The read is logged as `interception.view` naming the record and its station, with
    `purpose` (view, edit, create, replay, change, upload, share...) in the details."""
    interception = _fetch(user, pk)
    if not policies.allows(user, action, interception):
        denied(user, "interception", pk, Interception, action, station=interception.station)
        raise PermissionDenied(policies.MESSAGES.get(action, "You may not do this."))
    record_event(
        actor=user,
        action="interception.view",
        obj=interception,
        station=interception.station,
        details={
            "number": interception.number,
            "purpose": purpose,
            "sensitive": bool(interception.can_see_sensitive),
        },
    )
    return interception


def reload(interception: Interception) -> Interception:
    """The record again after a write in the same request, with the same access flags and what a full
    record shows, for the response. Only for a record `access_interception` returned in this request:
    that call logged the read, and the write's own event records the change."""
    fresh = with_details(Interception.objects.filter(pk=interception.pk)).get()
    fresh.can_see_sensitive = interception.can_see_sensitive
    return fresh


def log_list_read(
    user,
    rows,
    *,
    filters: InterceptionFilters,
    count: int,
    page: int,
    api: bool = False,
    capped: bool | None = None,
    cursor: bool | None = None,
):
    """Log one list response: one event naming every interception on the page and their stations
    (`details["ids"]`, `details["stations"]`), with the filters, so the auditor's per-record filter and
    the record's panel find it without one chained write per row.

    `rows` are model instances or dicts with "id" and "station" (its code). `count` is
    the count as the response showed it; `capped` (when given) whether that count stopped at the cap
    ("10,000+"); `cursor` (when given) whether the page was reached by a keyset cursor (page 0)."""
    rows = list(rows)
    details = {"filters": filters.as_details(), "count": count, "page": page}
    if capped is not None:
        details["capped"] = bool(capped)
    if cursor is not None:
        details["cursor"] = bool(cursor)
    if api:
        details["api"] = True
    ids, stations = [], []
    for row in rows:
        if isinstance(row, dict):
            ids.append(row["id"])
            stations.append(row["station"])
        else:
            ids.append(row.pk)
            stations.append(row.station)
    record_event(
        actor=user,
        action="interception.list",
        object_type="interception",
        object_ids=ids,
        stations=stations,
        details=details,
    )
    return rows


def interception_page(
    *, user, filters: InterceptionFilters, page_number, per_page: int, after: str | None = None
) -> CappedPage:
    """One page of the list, its read logged (`log_list_read`): page `page_number` (a bad one: the
    first), or with `after` (an "Older records" cursor) the rows after that cursor. The count is capped
    (`page.paginator.count`, `page.paginator.capped`) and a page reads its ids first, so neither the
    count nor a deep page costs more at a million rows (core/pagination.py)."""
    paginator = CappedPaginator(interception_list(user=user, filters=filters), per_page)
    page = paginator.page_after(after) if after else paginator.get_page(page_number)
    page.object_list = log_list_read(
        user,
        page.object_list,
        filters=filters,
        count=paginator.count,
        page=page.number,
        capped=paginator.capped,
        cursor=page.seek,
    )
    return page


STATION_CHOICES_SECONDS = 300


def station_choices(user) -> list[tuple[str, str]]:
    """The list filter's stations, (code, name) of every station `user` may view interceptions at, by
    code. Kept in the Django cache for a few minutes, keyed by the user and a digest of the stations
    query itself (which names the user's station ids once the request read their access profile): a
    change of memberships gives a new key at once; a renamed or added station shows within
    `STATION_CHOICES_SECONDS`. No query on a hit. Station codes and names are reference data."""
    stations = stations_for(user, "interception", Action.VIEW).order_by("code").values_list("code", "name")
    sql, params = stations.query.sql_with_params()
    digest = hashlib.sha256(repr((sql, params)).encode()).hexdigest()[:32]
    key = f"interception:station-choices:v1:{user.pk}:{digest}"
    choices = cache.get(key)
    if choices is None:
        choices = [tuple(row) for row in stations]
        cache.set(key, choices, STATION_CHOICES_SECONDS)
    return choices


def attachment_scope(user) -> QuerySet[Attachment]:
    """Photos and documents are sensitive: they need `view_sensitive` on attachments at the station, or an
    interception shared with `view_sensitive`."""
    return scope(
        Attachment.objects.all(),
        user,
        "attachment",
        Action.VIEW_SENSITIVE,
        station_field="interception__station",
        grants=GRANTS,
        object_field="interception",
    )


def access_attachment(user, interception_pk, pk, action: str = policies.VIEW) -> Attachment:
    """The one way to get an attachment: fetched within the user's scope (404 otherwise, logged as
    denied), checked against the policy for `action` (`policies.DELETE_ATTACHMENT`: `PermissionDenied`).
    Fetched to be served (`policies.VIEW`), the download is logged as `attachment.download` naming the
    attachment, its station and its interception; a delete is logged by the service that deletes it."""
    try:
        attachment = (
            attachment_scope(user)
            .select_related("interception__station")
            .get(pk=int(pk), interception_id=int(interception_pk))
        )
    except (Attachment.DoesNotExist, ValueError, TypeError, OverflowError):
        denied(
            user, "attachment", pk, Attachment, Action.VIEW_SENSITIVE, station_field="interception__station"
        )
        raise Http404("No such attachment.") from None
    interception = attachment.interception
    if not policies.allows(user, action, interception):
        denied(user, "attachment", pk, Attachment, action, station=interception.station)
        raise PermissionDenied(policies.MESSAGES.get(action, "You may not do this."))
    if action == policies.VIEW:
        record_event(
            actor=user,
            action="attachment.download",
            obj=attachment,
            station=interception.station,
            details={"interception": interception.number, "interception_id": interception.pk},
        )
    return attachment


def denied(
    user, object_type: str, pk, model, action: str, *, station=None, station_field: str = "station"
) -> None:
    """Log an attempt on a record that exists but is out of the user's reach, or an action on it the
    user may not do (a 404 or 403 all the same), naming the record's type, id and station; then publish
    `access.denied` (alerts subscribe to it: repeated attempts raise a security alert)."""
    if not getattr(user, "is_authenticated", False):
        return
    if station is None:
        try:  # the record's station, in one query (none: the record does not exist)
            record = model.objects.filter(pk=int(pk)).values(f"{station_field}_id")
            station = Station.objects.filter(pk__in=record).first()
        except (ValueError, TypeError, OverflowError):
            return
        if station is None:
            return
    record_denied(actor=user, object_type=object_type, object_id=pk, action=action, station=station)


def monitor_candidates(station: Station):
    """Who may be named as a monitor present at `station`: active users with a role at that station."""
    return monitor_candidates_at([station])


def monitor_candidates_at(stations):
    """Who may be named as a monitor at any of `stations` (the form's choices; the service checks the
    record's station)."""
    from accounts.models import User

    users = User.objects.filter(is_active=True, memberships__station__in=stations)
    return users.distinct().order_by("username")


def stations_for_recording(user) -> QuerySet[Station]:
    return stations_for(user, "interception", Action.ADD).filter(active=True).select_related("country")


def shares_of(interception: Interception) -> list[dict]:
    """Who this interception is shared with, and at what level (two queries)."""
    out: dict[tuple, dict] = {}
    for grant in InterceptionUserObjectPermission.objects.filter(content_object=interception).select_related(
        "user", "permission"
    ):
        entry = out.setdefault(
            ("user", grant.user.username), {"kind": "user", "name": grant.user.username, "level": "view"}
        )
        if grant.permission.codename == "view_sensitive_interception":
            entry["level"] = "view_sensitive"
    for grant in InterceptionGroupObjectPermission.objects.filter(content_object=interception).select_related(
        "group", "permission"
    ):
        entry = out.setdefault(
            ("group", grant.group.name), {"kind": "group", "name": grant.group.name, "level": "view"}
        )
        if grant.permission.codename == "view_sensitive_interception":
            entry["level"] = "view_sensitive"
    return sorted(out.values(), key=lambda e: (e["kind"], e["name"]))


# The names of the fields a history entry shows (in the reader's language).
HISTORY_FIELDS = {
    "address": gettext_lazy("address"),
    "address_place": gettext_lazy("address place"),
    "age": gettext_lazy("age"),
    "birth_date_estimate": gettext_lazy("birth date estimate"),
    "certainty": gettext_lazy("certainty"),
    "consent_to_use_information": gettext_lazy("consent to use information"),
    "consent_to_use_photo": gettext_lazy("consent to use photo"),
    "country": gettext_lazy("country"),
    "created_at": gettext_lazy("created at"),
    "created_by": gettext_lazy("created by"),
    "destination_country": gettext_lazy("destination country"),
    "destination_place": gettext_lazy("destination place"),
    "destination_text": gettext_lazy("destination text"),
    "from_interceptee": gettext_lazy("from interceptee"),
    "full_name": gettext_lazy("full name"),
    "gender": gettext_lazy("gender"),
    "how_started": gettext_lazy("how started"),
    "how_started_notes": gettext_lazy("how started notes"),
    "interceptee": gettext_lazy("interceptee"),
    "interception": gettext_lazy("interception"),
    "journey_start_country": gettext_lazy("journey start country"),
    "journey_start_place": gettext_lazy("journey start place"),
    "journey_start_text": gettext_lazy("journey start text"),
    "kind": gettext_lazy("kind"),
    "looks_genuine": gettext_lazy("looks genuine"),
    "nationality": gettext_lazy("nationality"),
    "number": gettext_lazy("number"),
    "occurred_at": gettext_lazy("occurred at"),
    "occurred_on": gettext_lazy("occurred on"),
    "outcome": gettext_lazy("outcome"),
    "outcome_notes": gettext_lazy("outcome notes"),
    "person": gettext_lazy("person"),
    "phone": gettext_lazy("phone"),
    "place": gettext_lazy("place"),
    "place_country": gettext_lazy("place country"),
    "place_ref": gettext_lazy("place ref"),
    "position": gettext_lazy("position"),
    "reason": gettext_lazy("reason"),
    "red_flag_score": gettext_lazy("red flag score"),
    "relationship": gettext_lazy("relationship"),
    "role": gettext_lazy("role"),
    "station": gettext_lazy("station"),
    "status": gettext_lazy("status"),
    "submitted_at": gettext_lazy("submitted at"),
    "suspect_description": gettext_lazy("suspect description"),
    "suspect_role": gettext_lazy("suspect role"),
    "text": gettext_lazy("text"),
    "to_interceptee": gettext_lazy("to interceptee"),
    "transport": gettext_lazy("transport"),
    "travel_purpose": gettext_lazy("travel purpose"),
    "travel_purpose_notes": gettext_lazy("travel purpose notes"),
    "version": gettext_lazy("version"),
    "whose": gettext_lazy("whose"),
}


def _field_label(name: str) -> str:
    return str(HISTORY_FIELDS.get(name, name.replace("_", " ")))


def history_of(interception: Interception) -> list[dict]:
    """The change history of the record, newest first, masked like the record: its own fields, red flags
    ticked and unticked (with the points each had then), people added, removed or changed (role, consent,
    their details), the monitors present, companions, identity documents, route stops and attachments
    added and deleted. Nine queries, whatever the length of the history.

    Each entry: {"at", "user", "kind", "what", "changes"}; a change is {"field", "old", "new"} or, for an
    event without a before and after (a flag ticked), {"text"}."""
    from django_countries.fields import CountryField

    from people.countries import name as country_name
    from people.masking import mask
    from people.models import Person

    allowed = bool(getattr(interception, "can_see_sensitive", False))
    entries = []
    done = {"+": "created", "~": "changed", "-": "deleted"}

    def who(record) -> str:
        return record.history_user.username if record.history_user else _("system")

    place_labels: dict = {}

    def shown(value, field="", model=None):
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        try:
            model_field = model._meta.get_field(field) if model is not None else None
        except FieldDoesNotExist:
            model_field = None
        if model_field is not None and value not in (None, ""):
            if isinstance(model_field, CountryField):  # a country's name in the reader's language
                return country_name(value)
            if model_field.choices:  # a choice's label, not its code ("Submitted", not "submitted")
                return str(dict(model_field.flatchoices).get(value, value))
        if field.endswith("place") and isinstance(value, int):  # a people.Place id: its label
            if value not in place_labels:
                from people.models import Place

                place = Place.objects.select_related("parent").filter(pk=value).first()
                place_labels[value] = str(place) if place else value
            return place_labels[value]
        return value

    def walk(records, label, sensitive_fields, excluded, kinds=done, skip=lambda record: False, also=()):
        previous = {}
        for record in records:
            prev = previous.get(record.id)
            changes = []
            if prev is not None and record.history_type == "~":
                delta = record.diff_against(prev, excluded_fields=excluded)
                for change in delta.changes:
                    hide = change.field in sensitive_fields and not allowed
                    old, new = (
                        (mask(change.old, allowed), mask(change.new, allowed))
                        if hide
                        else (
                            shown(change.old, change.field, type(record)),
                            shown(change.new, change.field, type(record)),
                        )
                    )
                    changes.append({"field": _field_label(change.field), "old": old, "new": new})
                # Fields the server computes (not editable) are left out of simple-history's diff.
                for name in also:
                    if getattr(prev, name) != getattr(record, name):
                        changes.append(
                            {
                                "field": _field_label(name),
                                "old": getattr(prev, name),
                                "new": getattr(record, name),
                            }
                        )
            previous[record.id] = record
            if skip(record):
                continue
            if prev is None or changes or record.history_type != "~":
                entries.append(
                    {
                        "at": record.history_date,
                        "user": who(record),
                        "what": label(record),
                        "kind": kinds[record.history_type],
                        "changes": changes,
                    }
                )

    def ordered(qs):
        return qs.select_related("history_user").order_by("history_date", "history_id")

    # 1. The record's own fields.
    walk(
        ordered(interception.history.all()),
        lambda r: _("Interception"),
        {"reason", "outcome_notes", "how_started_notes"},
        ["version", "submitted_at"],
        also=("red_flag_score",),
    )

    # 2. Lists changed row by row (red-flag ticks, monitors present): the rows added and removed by one save
    # (same moment, same author) form one entry, each row a line of it.
    def per_save(records, what, line):
        saves: dict[tuple, dict] = {}
        for record in records:
            if record.history_type == "~":
                continue
            key = (record.history_date, record.history_user_id)
            if key not in saves:
                saves[key] = {"at": record.history_date, "user": who(record), "what": what, "kind": "changed"}
                saves[key]["changes"] = []
                entries.append(saves[key])
            saves[key]["changes"].append({"text": line(record), "ticked": record.history_type == "+"})

    def tick_line(record):
        flag = record.red_flag
        values = {"code": flag.code, "points": record.points, "text": red_flag_text(flag)}
        if record.history_type == "+":
            return _("ticked %(code)s (%(points)s points): %(text)s") % values
        return _("unticked %(code)s (%(points)s points): %(text)s") % values

    def monitor_line(record):
        name = record.user.username if record.user else "?"
        return (_("added %(name)s") if record.history_type == "+" else _("removed %(name)s")) % {"name": name}

    per_save(
        ordered(InterceptionRedFlag.history.filter(interception_id=interception.pk)).select_related(
            "red_flag"
        ),
        _("red flags"),
        tick_line,
    )
    per_save(
        ordered(InterceptionMonitor.history.filter(interception_id=interception.pk)).select_related("user"),
        _("monitors present"),
        monitor_line,
    )

    # 3. People on the record: added, removed, role and consent changed.
    appearances = list(ordered(Interceptee.history.filter(interception_id=interception.pk)))
    person_ids = {r.person_id for r in appearances} | {
        row.person_id for row in interception.interceptees.all()
    }
    person_history = list(ordered(Person.history.filter(id__in=person_ids)))
    # Each person's latest name, from their history: a person removed from the record is deleted with
    # their row (docs/people.md), and their history keeps the name.
    latest_name = {
        r.id: r.full_name for r in sorted(person_history, key=lambda r: (r.history_date, r.history_id))
    }
    walk(
        appearances,
        lambda r: (
            _("%(role)s %(name)s")
            % {"role": r.get_role_display().lower(), "name": mask(latest_name.get(r.person_id, "?"), allowed)}
        ),
        set(Interceptee.SENSITIVE_FIELDS),
        ["interception", "person"],
        kinds={"+": "added", "~": "changed", "-": "removed"},
    )

    # 4. Their details (name, age, phone...). A person's creation is told by "added" above, except for
    # people added before appearances had a history.
    added = {r.person_id for r in appearances if r.history_type == "+"}
    walk(
        person_history,
        lambda r: _("person %(name)s") % {"name": mask(r.full_name, allowed)},
        set(Person.SENSITIVE_FIELDS),
        [],
        skip=lambda r: r.history_type == "+" and r.id in added,
    )

    # 5. The whole record's rows: companions, identity documents, the route's stops (one query each).
    names = {r.id: mask(latest_name.get(r.person_id, "?"), allowed) for r in appearances}
    walk(
        ordered(Companion.history.filter(interception_id=interception.pk)),
        lambda r: (
            _("companion: %(other)s is %(relationship)s of %(name)s")
            % {
                "other": names.get(r.to_interceptee_id, "?"),
                "relationship": r.get_relationship_display().lower(),
                "name": names.get(r.from_interceptee_id, "?"),
            }
        ),
        set(),
        ["interception", "from_interceptee", "to_interceptee"],
        kinds={"+": "added", "~": "changed", "-": "removed"},
    )
    walk(
        ordered(IdentityDocument.history.filter(interceptee_id__in=list(names))),
        lambda r: (
            _("document %(kind)s of %(name)s")
            % {"kind": r.get_kind_display().lower(), "name": names.get(r.interceptee_id, "?")}
        ),
        set(IdentityDocument.SENSITIVE_FIELDS),
        ["interceptee"],
        kinds={"+": "added", "~": "changed", "-": "removed"},
    )
    walk(
        ordered(RouteStop.history.filter(interception_id=interception.pk)).select_related("place__parent"),
        lambda r: (
            _("route stop %(number)s: %(place)s")
            % {"number": r.position + 1, "place": r.place or r.text or country_name(r.country)}
        ),
        set(),
        ["interception", "position"],
        kinds={"+": "added", "~": "changed", "-": "removed"},
    )

    # 6. Photos and documents: the file's name is sensitive, its kind is not.
    for record in ordered(Attachment.history.filter(interception_id=interception.pk)):
        if record.history_type == "~":
            continue
        entries.append(
            {
                "at": record.history_date,
                "user": who(record),
                "what": _("%(kind)s %(name)s")
                % {"kind": record.get_kind_display().lower(), "name": mask(record.original_name, allowed)},
                "kind": "added" if record.history_type == "+" else "deleted",
                "changes": [],
            }
        )

    entries.sort(key=lambda e: e["at"], reverse=True)
    return entries


def interception_id_for_key(*, user, key: str | None) -> int | None:
    """The id of the interception `user` created with this idempotency key (a form's key), or None. Only
    an id: the caller fetches the record through `access_interception`, which checks and logs."""
    if not key:
        return None
    from core.models import IdempotencyRecord

    found = (
        IdempotencyRecord.objects.filter(user=user, key=key, object_type="interception")
        .values_list("object_id", flat=True)
        .first()
    )
    if found is None:
        found = (
            Interception.objects.filter(created_by=user, idempotency_key=key)
            .values_list("pk", flat=True)
            .first()
        )
    return found


def my_drafts(*, user) -> list[Interception]:
    """The user's unfinished records: drafts they created or are a monitor on, within what they may see,
    last saved first, with their people count; the read is logged like a list page."""
    from .models import Status

    # `= ANY(ARRAY(...))`, not `IN (subquery)`: inside the OR, the latter is tested row by row over the
    # whole table; the former lets PostgreSQL combine the two index scans (core/lookups.py).
    mine = Q(created_by=user) | Q(
        pk__any_array=Interception.monitors.through.objects.filter(user=user).values("interception_id")
    )
    qs = (
        with_access_flags(interception_scope(user), user)
        .filter(mine, status=Status.DRAFT)
        .select_related("station")
        .annotate(
            people_count=Subquery(
                Interceptee.objects.filter(interception=OuterRef("pk"))
                .order_by()
                .annotate(n=Func(F("pk"), function="COUNT"))
                .values("n"),
                output_field=IntegerField(),
            )
        )
        .order_by("-updated_at", "-id")[:100]
    )
    return log_list_read(user, qs, filters=InterceptionFilters(status=Status.DRAFT), count=len(qs), page=1)


# The columns of a row of the API list (a summary; GET /{id}/ gives the whole record). None of them is
# sensitive (presenters.SENSITIVE_FIELDS): `can_see_sensitive` tells the client what the record would show.
LIST_ROW_COLUMNS = (
    "id",
    "number",
    "station_code",
    "occurred_at",
    "place",
    "status",
    "version",
    "certainty",
    "red_flag_score",
    "can_see_sensitive",
    "created_at",
    "updated_at",
)


def interception_rows(*, user, filters: InterceptionFilters | None = None) -> QuerySet:
    """The interceptions `user` may see, filtered, as plain dicts of LIST_ROW_COLUMNS (no model instances,
    no joins but the station's code), for the API list. Unordered and not yet read: the caller pages it
    (core.keyset.seek orders it by occurred_at DESC, id DESC) and then calls `with_interceptee_counts` on
    the page's rows and `log_list_read`."""
    f = filters or InterceptionFilters()
    qs = f.apply_person(f.apply(with_access_flags(interception_scope(user), user)), user)
    return qs.annotate(station_code=F("station__code")).values(*LIST_ROW_COLUMNS)


def with_interceptee_counts(rows: list[dict], *, user) -> list[dict]:
    """The page's rows with `victim_count` and `suspect_count` (one query within the user's scope, `WHERE id
    IN` the page's ids: counted for the rows shown only, never for rows the page seeks past), and
    `station` (the code)."""
    rows = list(rows)
    if not rows:
        return rows
    counts = {
        pk: (victims, suspects)
        for pk, victims, suspects in interception_scope(user)
        .filter(pk__in=[r["id"] for r in rows])
        .order_by()
        .annotate(**interceptee_counts())
        .values_list("pk", "victim_count", "suspect_count")
    }
    for row in rows:
        row["station"] = row.pop("station_code")
        row["victim_count"], row["suspect_count"] = counts.get(row["id"], (0, 0))
    return rows
