"""Every write to interceptions: create, update, submit, attach, tally. Each runs in one transaction
and writes its audit event in that same transaction."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.access import can_at_station
from accounts.models import Station
from accounts.roles import Action
from audit.services import record_event
from core import events, idempotency, outbox
from core.errors import IdempotencyConflict, StaleVersionError
from core.services import model_update, plain
from people.models import Gender, Person

from . import policies
from .models import (
    Attachment,
    AttachmentKind,
    DailyTally,
    Interceptee,
    IntercepteeRole,
    Interception,
    InterceptionRedFlag,
    NumberCounter,
    Outcome,
    RedFlag,
    Status,
)
from .selectors import red_flags_for_station

CLOCK_SKEW = timedelta(minutes=10)
MAX_PEOPLE = 50  # people on one interception record (interceptees and suspects together)


@dataclass
class IntercepteeData:
    full_name: str
    role: str
    gender: str = Gender.UNKNOWN
    age: int | None = None
    phone: str = ""
    address: str = ""
    nationality: str = ""
    consent_to_use_information: bool = False
    consent_to_use_photo: bool = False
    id: int | None = None  # an existing interceptee row, when editing


@dataclass
class InterceptionData:
    occurred_at: datetime
    place: str
    certainty: int | None = None
    reason: str = ""
    outcome: str = ""
    outcome_notes: str = ""
    red_flag_codes: list[str] = field(default_factory=list)
    interceptees: list[IntercepteeData] = field(default_factory=list)


def data_from_instance(interception: Interception) -> InterceptionData:
    """The stored record as service data (unmasked), for edits that change only some fields."""
    return InterceptionData(
        occurred_at=interception.occurred_at,
        place=interception.place,
        certainty=interception.certainty,
        reason=interception.reason,
        outcome=interception.outcome,
        outcome_notes=interception.outcome_notes,
        red_flag_codes=[f.code for f in interception.red_flags.all()],
        interceptees=[
            IntercepteeData(
                id=row.pk,
                full_name=row.person.full_name,
                role=row.role,
                gender=row.person.gender,
                age=row.person.age,
                phone=row.person.phone,
                address=row.person.address,
                nationality=row.person.nationality,
                consent_to_use_information=row.consent_to_use_information,
                consent_to_use_photo=row.consent_to_use_photo,
            )
            for row in interception.interceptees.select_related("person")
        ],
    )


def _clean_phone(value: str) -> str:
    value = (value or "").strip()
    return "".join(ch for ch in value if ch.isdigit() or ch == "+")


def _validate(*, station: Station, data: InterceptionData, submit: bool) -> list[RedFlag]:
    if len(data.interceptees) > MAX_PEOPLE:
        raise ValidationError(
            {
                "interceptees": f"A record holds at most {MAX_PEOPLE} people; this one has "
                f"{len(data.interceptees)}. Record a larger group as several interceptions."
            }
        )
    errors: dict[str, list[str]] = {}
    if timezone.is_naive(data.occurred_at):
        errors.setdefault("occurred_at", []).append("Give the time with its time zone.")
    elif data.occurred_at > timezone.now() + CLOCK_SKEW:
        errors.setdefault("occurred_at", []).append("The interception cannot be in the future.")
    if not (data.place or "").strip():
        errors.setdefault("place", []).append("Say where the interception happened.")
    if data.certainty is not None and not 1 <= data.certainty <= 5:
        errors.setdefault("certainty", []).append("Certainty is a whole number from 1 to 5.")
    if data.outcome not in Outcome.values:
        errors.setdefault("outcome", []).append(f"Unknown outcome {data.outcome!r}.")
    codes = list(dict.fromkeys(c.strip() for c in data.red_flag_codes if c and c.strip()))
    flags = list(red_flags_for_station(station).filter(code__in=codes))
    unknown = sorted(set(codes) - {f.code for f in flags})
    if unknown:
        errors.setdefault("red_flags", []).append(
            f"Unknown or inactive red flag(s) for this station: {', '.join(unknown)}."
        )
    for i, person in enumerate(data.interceptees):
        problems = []
        if not (person.full_name or "").strip():
            problems.append("name is required")
        if person.role not in IntercepteeRole.values:
            problems.append(f"role must be one of {', '.join(IntercepteeRole.values)}")
        if person.gender not in Gender.values:
            problems.append(f"gender must be one of {', '.join(Gender.values)}")
        if person.age is not None and not 0 <= person.age <= 120:
            problems.append("age must be between 0 and 120")
        if problems:
            errors.setdefault("interceptees", []).append(f"Person {i + 1}: {'; '.join(problems)}.")
    if submit:
        if data.certainty is None:
            errors.setdefault("certainty", []).append("Say how sure you are (1–5) before submitting.")
        if not (data.reason or "").strip():
            errors.setdefault("reason", []).append("Describe why you intercepted before submitting.")
        if not any(p.role == IntercepteeRole.POTENTIAL_VICTIM for p in data.interceptees):
            errors.setdefault("interceptees", []).append(
                "Add at least one potential victim before submitting."
            )
    if errors:
        raise ValidationError(errors)
    return flags


def _next_number(station: Station, occurred_at: datetime) -> str:
    year = occurred_at.astimezone(station.tzinfo).year
    counter, _ = NumberCounter.objects.get_or_create(station=station, year=year)
    counter = NumberCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{station.code}-{year}-{counter.last:05d}"


def _idempotency_content(*, station: Station, data: InterceptionData, submit: bool) -> dict:
    """What a retry must repeat for its key to return the first record: the service data, normalised the
    way it is stored (text stripped, phones cleaned, flags as a set, the time in UTC)."""
    occurred_at = data.occurred_at
    if isinstance(occurred_at, datetime) and timezone.is_aware(occurred_at):
        occurred_at = occurred_at.astimezone(UTC)
    return {
        "station": station.pk,
        "submit": bool(submit),
        "occurred_at": occurred_at.isoformat() if isinstance(occurred_at, datetime) else str(occurred_at),
        "place": (data.place or "").strip(),
        "certainty": data.certainty,
        "reason": (data.reason or "").strip(),
        "outcome": data.outcome or "",
        "outcome_notes": (data.outcome_notes or "").strip(),
        "red_flags": sorted({c.strip() for c in data.red_flag_codes if c and c.strip()}),
        "people": [
            {
                "full_name": (p.full_name or "").strip(),
                "role": p.role,
                "gender": p.gender,
                "age": p.age,
                "phone": _clean_phone(p.phone),
                "address": (p.address or "").strip(),
                "nationality": (p.nationality or "").strip().upper(),
                "consent_to_use_information": bool(p.consent_to_use_information),
                "consent_to_use_photo": bool(p.consent_to_use_photo),
            }
            for p in data.interceptees
        ],
    }


def _lock_idempotency_key(*, actor, key: str, content: dict) -> Interception | None:
    """Hold the key for this transaction and return the interception an earlier request with this key and
    this content created (None when the key is new). Same key, other content: IdempotencyConflict."""
    first_id = idempotency.previous(user=actor, key=key, object_type="interception", content=content)
    if first_id is not None:
        first = Interception.objects.filter(pk=first_id).first()
        if first is None:
            raise IdempotencyConflict("The record first saved with this idempotency key no longer exists.")
        return first
    # Records created before keys had fingerprints (core.IdempotencyRecord): the key alone decides.
    return Interception.objects.filter(created_by=actor, idempotency_key=key).first()


def _sync_interceptees(*, actor, interception: Interception, people: list[IntercepteeData]) -> None:
    """Make the interception's people equal to `people`: update rows with an id, add the rest,
    remove the ones no longer listed."""
    existing = {i.pk: i for i in interception.interceptees.select_related("person")}
    keep: set[int] = set()
    new_persons: list[tuple[Person, IntercepteeData]] = []
    for data in people:
        values = {
            "full_name": data.full_name.strip(),
            "gender": data.gender,
            "age": data.age,
            "phone": _clean_phone(data.phone),
            "address": (data.address or "").strip(),
            "nationality": (data.nationality or "").strip().upper(),
        }
        row = existing.get(data.id) if data.id else None
        if row is None:
            new_persons.append((Person(station=interception.station, created_by=actor, **values), data))
            continue
        keep.add(row.pk)
        changed = [k for k, v in values.items() if getattr(row.person, k) != v]
        if changed:
            for k in changed:
                setattr(row.person, k, values[k])
            row.person._history_user = actor
            row.person.save(update_fields=[*changed, "updated_at"])
        row_values = {
            "role": data.role,
            "consent_to_use_information": data.consent_to_use_information,
            "consent_to_use_photo": data.consent_to_use_photo,
        }
        row_changed = [k for k, v in row_values.items() if getattr(row, k) != v]
        if row_changed:
            for k in row_changed:
                setattr(row, k, row_values[k])
            row._history_user = actor
            row.save(update_fields=row_changed)
    # One by one (a record holds few people), so each removal is kept in the history with its author.
    for pk in [pk for pk in existing if pk not in keep]:
        existing[pk]._history_user = actor
        existing[pk].delete()
    if new_persons:
        persons = bulk_create_with_history([p for p, _ in new_persons], Person, default_user=actor)
        bulk_create_with_history(
            [
                Interceptee(
                    interception=interception,
                    person=person,
                    role=data.role,
                    consent_to_use_information=data.consent_to_use_information,
                    consent_to_use_photo=data.consent_to_use_photo,
                )
                for person, (_, data) in zip(persons, new_persons, strict=True)
            ],
            Interceptee,
            default_user=actor,
        )


def _red_flag_points(existing: dict[int, InterceptionRedFlag], flags: list[RedFlag]) -> dict[int, int]:
    """Points per ticked flag as the record keeps them: a flag that stays ticked keeps the points it was
    ticked with (`existing`: the record's ticks by flag id); a newly ticked flag takes the catalogue's
    points now (docs/history.md)."""
    return {f.pk: existing[f.pk].points if f.pk in existing else f.points for f in flags}


def _set_red_flags(
    *,
    actor,
    interception: Interception,
    flags: list[RedFlag],
    existing: dict[int, InterceptionRedFlag],
    points: dict[int, int],
) -> bool:
    """Make the record's ticks (`existing`, by flag id) equal `flags`, each with its snapshot points. Every
    tick and untick is kept in the history with its points and author. Returns whether anything changed."""
    wanted = {f.pk for f in flags}
    when = timezone.now()
    removed = [tick for flag_id, tick in existing.items() if flag_id not in wanted]
    for tick in removed:
        tick._history_user, tick._history_date = actor, when
        tick.delete()
    added = [
        InterceptionRedFlag(interception=interception, red_flag=f, points=points[f.pk])
        for f in flags
        if f.pk not in existing
    ]
    if added:
        bulk_create_with_history(added, InterceptionRedFlag, default_user=actor, default_date=when)
    return bool(removed or added)


def _queue_tally(interception: Interception, day: date | None = None) -> None:
    """Recount the station's day (default: the interception's) in a worker, through the outbox: written in
    this transaction, sent after the commit or, if the broker is down then, by the relay."""
    from .tasks import recompute_daily_tally

    day = day or interception.occurred_on
    outbox.enqueue(recompute_daily_tally, interception.station_id, day.isoformat())


def _queue_alerts(interception: Interception) -> None:
    """Newly submitted: tell the subscribers (alerts/ evaluates its rules in a worker, through the outbox)."""
    events.publish("interception.submitted", id=interception.pk)


def interception_create(
    *,
    actor,
    station: Station,
    data: InterceptionData,
    submit: bool = False,
    idempotency_key: str | None = None,
) -> tuple[Interception, bool]:
    """Create an interception. Returns (interception, created); a repeated idempotency key with the same
    content returns the interception the first request created, unchanged. The same key with other content
    raises IdempotencyConflict; a key too long or with control characters is a ValidationError."""
    idempotency_key = idempotency.clean_key(idempotency_key)
    content = _idempotency_content(station=station, data=data, submit=submit) if idempotency_key else None
    with transaction.atomic():
        if idempotency_key:
            first = _lock_idempotency_key(actor=actor, key=idempotency_key, content=content)
            if first is not None:
                return first, False
        if not can_at_station(actor, station, "interception", Action.ADD):
            raise ValidationError({"station": "You cannot record interceptions at this station."})
        flags = _validate(station=station, data=data, submit=submit)
        now = timezone.now()
        interception = Interception(
            number=_next_number(station, data.occurred_at),
            station=station,
            occurred_at=data.occurred_at,
            occurred_on=data.occurred_at.astimezone(station.tzinfo).date(),
            place=data.place.strip(),
            certainty=data.certainty,
            reason=(data.reason or "").strip(),
            outcome=data.outcome,
            outcome_notes=(data.outcome_notes or "").strip(),
            red_flag_score=sum(f.points for f in flags),  # the snapshot's sum: every tick is new
            status=Status.SUBMITTED if submit else Status.DRAFT,
            submitted_at=now if submit else None,
            created_by=actor,
            idempotency_key=idempotency_key,
        )
        interception._history_user = actor
        interception.save()
        points = _red_flag_points({}, flags)  # a new record: every tick takes today's points
        _set_red_flags(actor=actor, interception=interception, flags=flags, existing={}, points=points)
        interception.monitors.add(actor)
        _sync_interceptees(actor=actor, interception=interception, people=data.interceptees)
        record_event(
            actor=actor,
            action="interception.create",
            obj=interception,
            station=station,
            details={"number": interception.number, "status": interception.status},
        )
        if idempotency_key:
            idempotency.remember(
                user=actor,
                key=idempotency_key,
                object_type="interception",
                object_id=interception.pk,
                content=content,
            )
        if submit:
            _queue_tally(interception)
            _queue_alerts(interception)
    return interception, True


def interception_update(
    *,
    actor,
    interception: Interception,
    expected_version: int,
    data: InterceptionData,
    submit: bool = False,
) -> Interception:
    """Save an edit made on version `expected_version`. A stale version is refused, nothing written."""
    with transaction.atomic():
        current = Interception.objects.select_for_update().select_related("station").get(pk=interception.pk)
        if not policies.may_change(actor, current):
            raise PermissionDenied(policies.MESSAGES[policies.CHANGE])
        if current.version != expected_version:
            raise StaleVersionError(current.version)
        submitting = submit or current.status == Status.SUBMITTED
        flags = _validate(station=current.station, data=data, submit=submitting)
        ticks = {t.red_flag_id: t for t in InterceptionRedFlag.objects.filter(interception=current)}
        points = _red_flag_points(ticks, flags)
        values = {
            "occurred_at": data.occurred_at,
            "occurred_on": data.occurred_at.astimezone(current.station.tzinfo).date(),
            "place": data.place.strip(),
            "certainty": data.certainty,
            "reason": (data.reason or "").strip(),
            "outcome": data.outcome,
            "outcome_notes": (data.outcome_notes or "").strip(),
            "red_flag_score": sum(points.values()),
        }
        old_day = current.occurred_on
        changed = [k for k, v in values.items() if getattr(current, k) != v]
        for k in changed:
            setattr(current, k, values[k])
        newly_submitted = submit and current.status == Status.DRAFT
        if newly_submitted:
            current.status, current.submitted_at = Status.SUBMITTED, timezone.now()
            changed += ["status", "submitted_at"]
        if _set_red_flags(actor=actor, interception=current, flags=flags, existing=ticks, points=points):
            changed.append("red_flags")
        _sync_interceptees(actor=actor, interception=current, people=data.interceptees)
        current.version += 1
        current._history_user = actor
        current.save(update_fields=[*(c for c in changed if c != "red_flags"), "version", "updated_at"])
        current.monitors.add(actor)
        record_event(
            actor=actor,
            action="interception.change",
            obj=current,
            station=current.station,
            details={"number": current.number, "fields": sorted(set(changed)), "version": current.version},
        )
        if current.status == Status.SUBMITTED:
            _queue_tally(current)
            if newly_submitted:
                _queue_alerts(current)
            if old_day != current.occurred_on:
                _queue_tally(current, day=old_day)
    return current


SIGNATURES = {
    b"\xff\xd8\xff": ("image/jpeg", AttachmentKind.PHOTO),
    b"\x89PNG\r\n\x1a\n": ("image/png", AttachmentKind.PHOTO),
    b"%PDF-": ("application/pdf", AttachmentKind.DOCUMENT),
}


def attachment_add(*, actor, interception: Interception, uploaded_file) -> Attachment:
    """Store a photo (JPEG, PNG) or document (PDF) privately. The type is read from the file's bytes."""
    if not policies.may_add_attachment(actor, interception):
        raise PermissionDenied(policies.MESSAGES[policies.ADD_ATTACHMENT])
    if uploaded_file.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            {"file": f"The file is larger than {settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB."}
        )
    head = uploaded_file.read(16)
    uploaded_file.seek(0)
    match = next((v for sig, v in SIGNATURES.items() if head.startswith(sig)), None)
    if match is None:
        raise ValidationError({"file": "Only JPEG or PNG photos and PDF documents can be attached."})
    content_type, kind = match
    name = (uploaded_file.name or "attachment").rsplit("/", 1)[-1][:200]
    with transaction.atomic():
        attachment = Attachment(
            interception=interception,
            kind=kind,
            original_name=name,
            content_type=content_type,
            size=uploaded_file.size,
            uploaded_by=actor,
        )
        attachment.file.save(name, uploaded_file, save=False)
        attachment._history_user = actor
        attachment.save()
        record_event(
            actor=actor,
            action="attachment.add",
            obj=attachment,
            station=interception.station,
            details={
                "interception": interception.number,
                "interception_id": interception.pk,
                "size": attachment.size,
            },
        )
    return attachment


def daily_tally_recompute(*, station_id: int, day: date) -> DailyTally | None:
    """Recount one station's submitted interceptions for one local day. Safe to run twice."""
    station = Station.objects.filter(pk=station_id).first()
    if station is None:
        return None
    counts = Interception.objects.filter(station=station, occurred_on=day, status=Status.SUBMITTED).aggregate(
        submitted=Count("id", distinct=True),
        potential_victims=Count(
            "interceptees", filter=Q(interceptees__role=IntercepteeRole.POTENTIAL_VICTIM)
        ),
    )
    tally, _ = DailyTally.objects.update_or_create(station=station, day=day, defaults=counts)
    return tally


SHARE_LEVELS = {
    "view": ["view"],
    "view_sensitive": ["view", "view_sensitive"],
}


GROUP_SHARING_REMOVED = "Records are shared with users only, not with groups: give a username."


def share_target(*, user: str | None = None, group: str | None = None) -> dict:
    """Find who a record is to be shared with, by username: {"user": User}. Unknown names are a
    ValidationError on that field; a group is refused (records are shared with users only)."""
    from accounts.models import User

    if group:
        raise ValidationError({"group": GROUP_SHARING_REMOVED})
    if not user:
        raise ValidationError({"user": "Give the username of the person to share with."})
    found = User.objects.filter(username=user).first()
    if found is None:
        raise ValidationError({"user": f"No user named {user!r}."})
    return {"user": found}


def interception_share(*, actor, interception: Interception, level: str, user=None, group=None) -> None:
    """Share one interception with a user outside its station, change their level, or (level
    "none") take the share back. Takes effect at once: every selector reads the grants in its SQL."""
    from guardian.shortcuts import assign_perm, remove_perm

    if not policies.may_share(actor, interception):
        raise PermissionDenied(policies.MESSAGES[policies.SHARE])
    if level != "none" and level not in SHARE_LEVELS:
        raise ValidationError({"level": f"Choose one of: {', '.join(SHARE_LEVELS)}, none."})
    if group is not None:
        raise ValidationError({"group": GROUP_SHARING_REMOVED})
    if user is None:
        raise ValidationError({"user": "Share with one user."})
    if level != "none" and user is not None and not user.is_active:
        raise ValidationError({"user": "This user is deactivated."})
    target = user
    with transaction.atomic():
        for action in ("view", "view_sensitive"):
            remove_perm(f"interception.{action}_interception", target, interception)
        for action in SHARE_LEVELS.get(level, []):
            assign_perm(f"interception.{action}_interception", target, interception)
        details = {
            "number": interception.number,
            "user": user.username,
        }
        if level != "none":
            details["level"] = level
        record_event(
            actor=actor,
            action="interception.unshare" if level == "none" else "interception.share",
            obj=interception,
            station=interception.station,
            details=details,
        )


def interception_unshare(*, actor, interception: Interception, user=None, group=None) -> None:
    interception_share(actor=actor, interception=interception, level="none", user=user, group=group)


def attachment_delete(*, actor, attachment: Attachment) -> None:
    """Remove a photo or document (station managers). The file goes when the transaction commits."""
    station = attachment.interception.station
    if not policies.may_delete_attachment(actor, attachment.interception):
        raise PermissionDenied(policies.MESSAGES[policies.DELETE_ATTACHMENT])
    with transaction.atomic():
        record_event(
            actor=actor,
            action="attachment.delete",
            obj=attachment,
            station=station,
            details={
                "interception": attachment.interception.number,
                "interception_id": attachment.interception_id,
                "kind": attachment.kind,
            },
        )
        storage, name = attachment.file.storage, attachment.file.name
        attachment._history_user = actor
        attachment.delete()
        transaction.on_commit(lambda: storage.delete(name))


RED_FLAG_FIELDS = ("code", "group", "text", "points", "country", "active", "sort_order")


def red_flag_update(*, actor, flag: RedFlag, data: dict) -> RedFlag:
    """Add a catalogue flag (unsaved `flag`) or change one (points, active, text...), from the admin.

    The access log keeps old and new values of each changed field (`red_flag.change`), or the new flag's
    values (`red_flag.create`), so a score can be explained after the catalogue changes."""

    unknown = set(data) - set(RED_FLAG_FIELDS)
    if unknown:
        raise ValidationError(f"Cannot change {', '.join(sorted(unknown))} here.")
    with transaction.atomic():
        if flag.pk is None:
            model_update(flag, data)
            flag.full_clean()
            flag._history_user = actor
            flag.save()
            values = {name: plain(getattr(flag, name)) for name in RED_FLAG_FIELDS}
            record_event(actor=actor, action="red_flag.create", obj=flag, details=values)
            return flag
        flag = RedFlag.objects.select_for_update().get(pk=flag.pk)
        changes = model_update(flag, data)
        if changes:
            flag.full_clean()
            flag._history_user = actor
            flag.save(update_fields=list(changes))
            record_event(
                actor=actor,
                action="red_flag.change",
                obj=flag,
                # Points and the active flag are always there, old and new (equal when unchanged).
                details={
                    "code": flag.code,
                    "points": {"old": flag.points, "new": flag.points},
                    "active": {"old": flag.active, "new": flag.active},
                    **changes,
                },
            )
        return flag
