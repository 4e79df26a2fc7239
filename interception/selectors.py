"""Every read of interceptions, already scoped to the user (accounts.access.scope)."""

from dataclasses import dataclass
from datetime import date

from django.db.models import F, Func, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404

from accounts.access import Grants, annotate_allowed, scope, stations_for
from accounts.models import Station
from accounts.roles import Action

from .models import (
    Attachment,
    Interceptee,
    IntercepteeRole,
    Interception,
    InterceptionGroupObjectPermission,
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
        "monitors",
        "attachments",
    )


def interception_get(*, user, pk, action: str = Action.VIEW) -> Interception:
    """One interception the user may act on, or 404 (not found and not allowed look the same)."""
    try:
        return with_details(with_access_flags(interception_scope(user, action), user)).get(pk=int(pk))
    except (Interception.DoesNotExist, ValueError, TypeError):
        denied(user, "interception", pk, Interception, action)
        raise Http404("No such interception.") from None


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


def attachment_get(*, user, interception_pk, pk) -> Attachment:
    try:
        return (
            attachment_scope(user)
            .select_related("interception__station")
            .get(pk=int(pk), interception_id=int(interception_pk))
        )
    except (Attachment.DoesNotExist, ValueError, TypeError):
        denied(user, "attachment", pk, Attachment, Action.VIEW_SENSITIVE)
        raise Http404("No such attachment.") from None


def denied(user, object_type: str, pk, model, action: str) -> None:
    """Log an attempt on a record that exists but is out of the user's reach (a 404 all the same)."""
    from alerts.services import queue_security_check
    from audit.services import record_event

    try:
        exists = model.objects.filter(pk=int(pk)).exists()
    except (ValueError, TypeError):
        return
    if exists and getattr(user, "is_authenticated", False):
        record_event(
            actor=user,
            action="access.denied",
            details={"object_type": object_type, "object_id": str(pk), "action": str(action)},
        )
        queue_security_check("denied", str(user.pk))


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
    """The change history of the interception and of its people, newest first, masked like the record.
    Two queries, whatever the length of the history."""
    from people.masking import mask
    from people.models import Person

    allowed = bool(getattr(interception, "can_see_sensitive", False))
    entries = []

    def walk(records, label, sensitive_fields, excluded):
        previous = {}
        for record in records:
            prev = previous.get(record.id)
            changes = []
            if prev is not None:
                delta = record.diff_against(prev, excluded_fields=excluded)
                for change in delta.changes:
                    hide = change.field in sensitive_fields
                    changes.append(
                        {
                            "field": change.field.replace("_", " "),
                            "old": mask(change.old, allowed) if hide else change.old,
                            "new": mask(change.new, allowed) if hide else change.new,
                        }
                    )
            previous[record.id] = record
            if prev is None or changes or record.history_type != "~":
                entries.append(
                    {
                        "at": record.history_date,
                        "user": record.history_user.username if record.history_user else "system",
                        "what": label(record),
                        "kind": {"+": "created", "~": "changed", "-": "deleted"}[record.history_type],
                        "changes": changes,
                    }
                )

    walk(
        interception.history.select_related("history_user").order_by("history_date", "history_id"),
        lambda r: "Interception",
        {"reason", "outcome_notes"},
        ["version", "submitted_at"],
    )
    person_ids = [row.person_id for row in interception.interceptees.all()]
    walk(
        Person.history.filter(id__in=person_ids)
        .select_related("history_user")
        .order_by("history_date", "history_id"),
        lambda r: f"Person {mask(r.full_name, allowed)}",
        set(Person.SENSITIVE_FIELDS),
        [],
    )
    entries.sort(key=lambda e: e["at"], reverse=True)
    return entries
