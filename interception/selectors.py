"""Every read of interceptions, already scoped to the user (accounts.access.scope)."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import F, Func, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404

from accounts.access import Grants, annotate_allowed, scope, stations_for
from accounts.models import Station
from accounts.roles import Action
from audit.services import record_event

from . import policies
from .models import (
    Attachment,
    Interceptee,
    IntercepteeRole,
    Interception,
    InterceptionGroupObjectPermission,
    InterceptionRedFlag,
    InterceptionUserObjectPermission,
    RedFlag,
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

    def as_details(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items() if v}

    def apply(self, qs: QuerySet, prefix: str = "") -> QuerySet:
        """Narrow `qs` by these filters; `prefix` is the path to the interception ("interception__" for
        rows of people on interceptions). The list page, the API and exports all filter here."""
        p = prefix
        if self.station:
            qs = qs.filter(**{f"{p}station__code": self.station.upper()})
        if self.date_from:
            qs = qs.filter(**{f"{p}occurred_on__gte": self.date_from})
        if self.date_to:
            qs = qs.filter(**{f"{p}occurred_on__lte": self.date_to})
        if self.status:
            qs = qs.filter(**{f"{p}status": self.status})
        if self.min_score is not None:
            qs = qs.filter(**{f"{p}red_flag_score__gte": self.min_score})
        if self.number:
            qs = qs.filter(**{f"{p}number__icontains": self.number.strip()})
        return qs


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
    return qs.annotate(**interceptee_counts()).order_by("-occurred_at", "-id")


def with_details(qs: QuerySet[Interception]) -> QuerySet[Interception]:
    """Prefetch what a full record shows (people, flags, monitors, attachments)."""
    return qs.select_related("station", "created_by").prefetch_related(
        Prefetch("interceptees", queryset=Interceptee.objects.select_related("person").order_by("id")),
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


def log_list_read(user, rows, *, filters: InterceptionFilters, count: int, page: int, api: bool = False):
    """Log one list response: one event naming every interception on the page and their stations
    (`details["ids"]`, `details["stations"]`), with the filters, so the auditor's per-record filter and
    the record's panel find it without one chained write per row."""
    rows = list(rows)
    details = {"filters": filters.as_details(), "count": count, "page": page}
    if api:
        details["api"] = True
    record_event(
        actor=user,
        action="interception.list",
        object_type="interception",
        object_ids=[row.pk for row in rows],
        stations=[row.station for row in rows],
        details=details,
    )
    return rows


def interception_page(*, user, filters: InterceptionFilters, page_number, per_page: int) -> Page:
    """One page of the list, its read logged (`log_list_read`)."""
    page = Paginator(interception_list(user=user, filters=filters), per_page).get_page(page_number)
    page.object_list = log_list_read(
        user, page.object_list, filters=filters, count=page.paginator.count, page=page.number
    )
    return page


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
    from core import events

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
    record_event(
        actor=user,
        action="access.denied",
        object_type=object_type,
        object_id=pk,
        station=station,
        details={"action": str(action)},
    )
    events.publish("access.denied", user_id=user.pk)


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


def history_of(interception: Interception) -> list[dict]:
    """The change history of the record, newest first, masked like the record: its own fields, red flags
    ticked and unticked (with the points each had then), people added, removed or changed (role, consent,
    their details) and attachments added and deleted. Five queries, whatever the length of the history.

    Each entry: {"at", "user", "kind", "what", "changes"}; a change is {"field", "old", "new"} or, for an
    event without a before and after (a flag ticked), {"text"}."""
    from people.masking import mask
    from people.models import Person

    allowed = bool(getattr(interception, "can_see_sensitive", False))
    entries = []
    done = {"+": "created", "~": "changed", "-": "deleted"}

    def who(record) -> str:
        return record.history_user.username if record.history_user else "system"

    def shown(value):
        if isinstance(value, bool):
            return "yes" if value else "no"
        return value

    def walk(records, label, sensitive_fields, excluded, kinds=done, skip=lambda record: False, also=()):
        previous = {}
        for record in records:
            prev = previous.get(record.id)
            changes = []
            if prev is not None and record.history_type == "~":
                delta = record.diff_against(prev, excluded_fields=excluded)
                for change in delta.changes:
                    hide = change.field in sensitive_fields
                    changes.append(
                        {
                            "field": change.field.replace("_", " "),
                            "old": mask(change.old, allowed) if hide else shown(change.old),
                            "new": mask(change.new, allowed) if hide else shown(change.new),
                        }
                    )
                # Fields the server computes (not editable) are left out of simple-history's diff.
                for name in also:
                    if getattr(prev, name) != getattr(record, name):
                        changes.append(
                            {
                                "field": name.replace("_", " "),
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
        lambda r: "Interception",
        {"reason", "outcome_notes"},
        ["version", "submitted_at"],
        also=("red_flag_score",),
    )

    # 2. Red flags: the ticks and unticks of one save form one entry, each with its snapshot points.
    flag_entries: dict[tuple, dict] = {}
    for record in ordered(InterceptionRedFlag.history.filter(interception_id=interception.pk)).select_related(
        "red_flag"
    ):
        if record.history_type == "~":
            continue
        verb = "ticked" if record.history_type == "+" else "unticked"
        flag = record.red_flag
        key = (record.history_date, record.history_user_id)
        entry = flag_entries.get(key)
        if entry is None:
            entry = flag_entries[key] = {
                "at": record.history_date,
                "user": who(record),
                "what": "red flags",
                "kind": "changed",
                "changes": [],
            }
            entries.append(entry)
        entry["changes"].append(
            {"text": f"{verb} {flag.code} ({record.points} points): {flag.text}", "ticked": verb == "ticked"}
        )

    # 3. People on the record: added, removed, role and consent changed.
    appearances = list(
        ordered(Interceptee.history.filter(interception_id=interception.pk)).select_related("person")
    )
    walk(
        appearances,
        lambda r: f"{r.get_role_display().lower()} {mask(r.person.full_name, allowed)}",
        set(),
        ["interception", "person"],
        kinds={"+": "added", "~": "changed", "-": "removed"},
    )

    # 4. Their details (name, age, phone...). A person's creation is told by "added" above, except for
    # people added before appearances had a history.
    added = {r.person_id for r in appearances if r.history_type == "+"}
    person_ids = {r.person_id for r in appearances} | {
        row.person_id for row in interception.interceptees.all()
    }
    walk(
        ordered(Person.history.filter(id__in=person_ids)),
        lambda r: f"person {mask(r.full_name, allowed)}",
        set(Person.SENSITIVE_FIELDS),
        [],
        skip=lambda r: r.history_type == "+" and r.id in added,
    )

    # 5. Photos and documents: the file's name is sensitive, its kind is not.
    for record in ordered(Attachment.history.filter(interception_id=interception.pk)):
        if record.history_type == "~":
            continue
        entries.append(
            {
                "at": record.history_date,
                "user": who(record),
                "what": f"{record.get_kind_display().lower()} {mask(record.original_name, allowed)}",
                "kind": "added" if record.history_type == "+" else "deleted",
                "changes": [],
            }
        )

    entries.sort(key=lambda e: e["at"], reverse=True)
    return entries
