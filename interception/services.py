"""Every write to interceptions: create, update, submit, attach, tally. Each runs in one transaction
and writes its audit event in that same transaction."""

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.access import can_at_station
from accounts.models import Station
from accounts.roles import Action
from audit.services import record_event
from core.errors import StaleVersionError
from people.models import Gender, Person

from .models import (
    Attachment,
    AttachmentKind,
    DailyTally,
    Interceptee,
    IntercepteeRole,
    Interception,
    NumberCounter,
    Outcome,
    RedFlag,
    Status,
)
from .selectors import red_flags_for_station

CLOCK_SKEW = timedelta(minutes=10)


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


def _lock_idempotency_key(user_id: int, key: str) -> None:
    digest = hashlib.blake2b(f"{user_id}:{key}".encode(), digest_size=8).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)])


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
            row.save(update_fields=row_changed)
    removed = [pk for pk in existing if pk not in keep]
    if removed:
        Interceptee.objects.filter(pk__in=removed).delete()
    if new_persons:
        persons = bulk_create_with_history([p for p, _ in new_persons], Person, default_user=actor)
        Interceptee.objects.bulk_create(
            Interceptee(
                interception=interception,
                person=person,
                role=data.role,
                consent_to_use_information=data.consent_to_use_information,
                consent_to_use_photo=data.consent_to_use_photo,
            )
            for person, (_, data) in zip(persons, new_persons, strict=True)
        )


def _queue_tally(interception: Interception) -> None:
    from .tasks import recompute_daily_tally

    station_id, day = interception.station_id, interception.occurred_on.isoformat()
    transaction.on_commit(lambda: recompute_daily_tally.delay(station_id, day))


def _queue_alerts(interception: Interception) -> None:
    """Newly submitted: evaluate the alert rules in a worker once the transaction commits (alerts/)."""
    from alerts.services import queue_interception_alerts

    queue_interception_alerts(interception)


def interception_create(
    *,
    actor,
    station: Station,
    data: InterceptionData,
    submit: bool = False,
    idempotency_key: str | None = None,
) -> tuple[Interception, bool]:
    """Create an interception. Returns (interception, created); a repeated idempotency key returns
    the interception the first request created, unchanged."""
    if idempotency_key is not None:
        idempotency_key = idempotency_key.strip()[:64] or None
    with transaction.atomic():
        if idempotency_key:
            _lock_idempotency_key(actor.pk, idempotency_key)
            first = Interception.objects.filter(created_by=actor, idempotency_key=idempotency_key).first()
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
            red_flag_score=sum(f.points for f in flags),
            status=Status.SUBMITTED if submit else Status.DRAFT,
            submitted_at=now if submit else None,
            created_by=actor,
            idempotency_key=idempotency_key,
        )
        interception._history_user = actor
        interception.save()
        interception.red_flags.set(flags)
        interception.monitors.add(actor)
        _sync_interceptees(actor=actor, interception=interception, people=data.interceptees)
        record_event(
            actor=actor,
            action="interception.create",
            obj=interception,
            station=station,
            details={"number": interception.number, "status": interception.status},
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
        if not can_at_station(actor, current.station, "interception", Action.CHANGE):
            raise PermissionDenied("You cannot change interceptions at this station.")
        if current.version != expected_version:
            raise StaleVersionError(current.version)
        submitting = submit or current.status == Status.SUBMITTED
        flags = _validate(station=current.station, data=data, submit=submitting)
        values = {
            "occurred_at": data.occurred_at,
            "occurred_on": data.occurred_at.astimezone(current.station.tzinfo).date(),
            "place": data.place.strip(),
            "certainty": data.certainty,
            "reason": (data.reason or "").strip(),
            "outcome": data.outcome,
            "outcome_notes": (data.outcome_notes or "").strip(),
            "red_flag_score": sum(f.points for f in flags),
        }
        old_day = current.occurred_on
        changed = [k for k, v in values.items() if getattr(current, k) != v]
        for k in changed:
            setattr(current, k, values[k])
        newly_submitted = submit and current.status == Status.DRAFT
        if newly_submitted:
            current.status, current.submitted_at = Status.SUBMITTED, timezone.now()
            changed += ["status", "submitted_at"]
        old_codes = set(current.red_flags.values_list("code", flat=True))
        if old_codes != {f.code for f in flags}:
            current.red_flags.set(flags)
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
                from .tasks import recompute_daily_tally

                station_id = current.station_id
                transaction.on_commit(lambda: recompute_daily_tally.delay(station_id, old_day.isoformat()))
    return current


SIGNATURES = {
    b"\xff\xd8\xff": ("image/jpeg", AttachmentKind.PHOTO),
    b"\x89PNG\r\n\x1a\n": ("image/png", AttachmentKind.PHOTO),
    b"%PDF-": ("application/pdf", AttachmentKind.DOCUMENT),
}


def attachment_add(*, actor, interception: Interception, uploaded_file) -> Attachment:
    """Store a photo (JPEG, PNG) or document (PDF) privately. The type is read from the file's bytes."""
    if not can_at_station(actor, interception.station, "attachment", Action.ADD):
        raise PermissionDenied("You cannot add attachments at this station.")
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
        attachment.save()
        record_event(
            actor=actor,
            action="attachment.add",
            obj=attachment,
            station=interception.station,
            details={"interception": interception.number, "size": attachment.size},
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


def share_target(*, user: str | None = None, group: str | None = None) -> dict:
    """Find who a record is to be shared with, by username or group name: {"user": User} or
    {"group": Group}. Unknown names are a ValidationError on that field."""
    from django.contrib.auth.models import Group

    from accounts.models import User

    if bool(user) == bool(group):
        raise ValidationError("Give either a user or a group.")
    if user:
        found = User.objects.filter(username=user).first()
        if found is None:
            raise ValidationError({"user": f"No user named {user!r}."})
        return {"user": found}
    found = Group.objects.filter(name=group).first()
    if found is None:
        raise ValidationError({"group": f"No group named {group!r}."})
    return {"group": found}


def interception_share(*, actor, interception: Interception, level: str, user=None, group=None) -> None:
    """Share one interception with a user or group outside its station, change their level, or (level
    "none") take the share back. Takes effect at once: every selector reads the grants in its SQL."""
    from guardian.shortcuts import assign_perm, remove_perm

    if not can_at_station(actor, interception.station, "interception", Action.SHARE):
        raise PermissionDenied("You cannot share interceptions at this station.")
    if level != "none" and level not in SHARE_LEVELS:
        raise ValidationError({"level": f"Choose one of: {', '.join(SHARE_LEVELS)}, none."})
    if (user is None) == (group is None):
        raise ValidationError({"user": "Share with one user or one group."})
    if level != "none" and user is not None and not user.is_active:
        raise ValidationError({"user": "This user is deactivated."})
    target = user if user is not None else group
    with transaction.atomic():
        for action in ("view", "view_sensitive"):
            remove_perm(f"interception.{action}_interception", target, interception)
        for action in SHARE_LEVELS.get(level, []):
            assign_perm(f"interception.{action}_interception", target, interception)
        details = {
            "number": interception.number,
            "user": user.username if user else None,
            "group": group.name if group else None,
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
    if not can_at_station(actor, station, "attachment", Action.DELETE):
        raise PermissionDenied("You cannot delete attachments at this station.")
    with transaction.atomic():
        record_event(
            actor=actor,
            action="attachment.delete",
            obj=attachment,
            station=station,
            details={"interception": attachment.interception.number, "kind": attachment.kind},
        )
        storage, name = attachment.file.storage, attachment.file.name
        attachment.delete()
        transaction.on_commit(lambda: storage.delete(name))
