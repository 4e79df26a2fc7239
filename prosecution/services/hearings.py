"""Hearings, their reminders and the comments of the timeline (docs/prosecution.md "Hearings, reminders and
the timeline").

- `hearing_add`, `hearing_update`: a hearing has a date, a court (or a court case of the legal case, whose
  court it is), a purpose, an outcome and the next date. A next date plans the next hearing: a hearing on
  that date (same court case, court and purpose) is created unless the legal case has one on that date
  already, so the reminders and the upcoming-hearings page know of it at once.
- `hearings_remind`: the daily task's work: one reminder per hearing and day, 3 days before and on the day
  (the station's date), to the legal officers covering the station (alerts/legal_alerts.py), ids only.
- `comment_add`, `comment_delete`: comments of the timeline; deleted softly (kept, hidden, audited; the log
  never holds the text).

`Hearing` carries no version column: its version is the number of its history rows (`hearing_version`).
A legal case closed or not filed takes no hearings (reopen it first); comments are taken at every stage.
"""

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import DateField, DateTimeField, F, Func, Value
from django.db.models.functions import Cast, Now
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record_event
from core import events, idempotency
from core.errors import StaleVersionError, TransitionError

from .. import policies
from ..models import Comment, Court, CourtCase, Hearing, HearingReminder, LegalCase, Stage

HEARING_FIELDS = ("held_on", "purpose", "court_case", "court", "outcome", "next_on")
PURPOSE_MAX = Hearing._meta.get_field("purpose").max_length
COMMENT_MAX = 4000
ENDED = (Stage.CLOSED, Stage.NOT_FILED)
# Reminders go out this many days before the hearing, and on the day.
REMIND_DAYS_BEFORE = 3
REMIND_BATCH = 500


def _locked(legal_case: LegalCase) -> LegalCase:
    fresh = LegalCase.objects.select_for_update(of=("self",)).select_related("station").get(pk=legal_case.pk)
    if hasattr(legal_case, "can_see_sensitive"):
        fresh.can_see_sensitive = legal_case.can_see_sensitive
    return fresh


def _check(actor, legal_case: LegalCase) -> None:
    if not policies.may_change(actor, legal_case):
        raise PermissionDenied(policies.message(policies.CHANGE))


def _open(legal_case: LegalCase) -> None:
    if legal_case.stage in ENDED:
        raise TransitionError(
            _("This legal case is %(stage)s: reopen it before adding or changing its hearings.")
            % {"stage": legal_case.get_stage_display().lower()},
            status=legal_case.stage,
        )


def hearing_version(hearing: Hearing) -> int:
    """The version of a hearing: how many times it was saved (its history rows)."""
    return hearing.history.count()


# --- hearings ---------------------------------------------------------------------------------------------


def _court_case_of(legal_case: LegalCase, value) -> CourtCase | None:
    if value in (None, ""):
        return None
    pk = value.pk if isinstance(value, CourtCase) else value
    found = CourtCase.objects.filter(legal_case=legal_case, pk=pk).select_related("court").first()
    if found is None:
        raise ValidationError({"court_case": _("Choose a court case of this legal case.")})
    return found


def _court_of(legal_case: LegalCase, value) -> Court | None:
    if value in (None, ""):
        return None
    pk = value.pk if isinstance(value, Court) else value
    found = Court.objects.filter(pk=pk, country_id=legal_case.station.country_id).first()
    if found is None:
        raise ValidationError({"court": _("Choose a court of this country.")})
    return found


def _clean(legal_case: LegalCase, values: dict) -> dict:
    """Checked and normalised hearing values (ValidationError naming each bad field)."""
    out = dict(values)
    out["purpose"] = (values.get("purpose") or "").strip()
    out["outcome"] = (values.get("outcome") or "").strip()
    errors: dict = {}
    try:
        out["court_case"] = _court_case_of(legal_case, values.get("court_case"))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        out["court"] = _court_of(legal_case, values.get("court"))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not errors and out["court_case"] is not None:
        if out["court"] is None:
            out["court"] = out["court_case"].court
        elif out["court"].pk != out["court_case"].court_id:
            errors["court"] = _("The court case %(number)s is at %(court)s.") % {
                "number": out["court_case"].number,
                "court": out["court_case"].court,
            }
    held_on, next_on = out.get("held_on"), out.get("next_on")
    if not isinstance(held_on, date):
        errors["held_on"] = _("Give the date of the hearing.")
    if not out["purpose"]:
        errors["purpose"] = _("Say what the hearing is for (bail, evidence, witness statement...).")
    elif len(out["purpose"]) > PURPOSE_MAX:
        errors["purpose"] = _("At most %(max)s characters.") % {"max": PURPOSE_MAX}
    if next_on is not None and (
        not isinstance(next_on, date) or (isinstance(held_on, date) and next_on <= held_on)
    ):
        errors["next_on"] = _("The next date must be after the hearing's date.")
    if errors:
        raise ValidationError(errors)
    return out


def _plan_next(actor, hearing: Hearing) -> Hearing | None:
    """The hearing on `hearing.next_on`, created unless the legal case has one on that date (for the same
    court case) already."""
    if hearing.next_on is None:
        return None
    same_day = Hearing.objects.filter(legal_case_id=hearing.legal_case_id, held_on=hearing.next_on)
    if hearing.court_case_id:
        same_day = same_day.filter(court_case_id=hearing.court_case_id)
    if same_day.exists():
        return None
    following = Hearing(
        legal_case_id=hearing.legal_case_id,
        court_case_id=hearing.court_case_id,
        court_id=hearing.court_id,
        held_on=hearing.next_on,
        purpose=hearing.purpose,
        created_by=actor,
    )
    following._history_user = actor
    following.save()
    return following


def _content(legal_case: LegalCase, values: dict) -> dict:
    def plain(value):
        if isinstance(value, date):
            return value.isoformat()
        return getattr(value, "pk", value)

    return {"legal_case": legal_case.pk, **{k: plain(values[k]) for k in HEARING_FIELDS}}


def hearing_add(
    *,
    actor,
    legal_case: LegalCase,
    held_on: date,
    purpose: str,
    court_case: CourtCase | int | None = None,
    court: Court | int | None = None,
    outcome: str = "",
    next_on: date | None = None,
    idempotency_key: str | None = None,
) -> tuple[Hearing, bool]:
    """Add a hearing. Returns (hearing, created); a repeated idempotency key with the same content returns
    the first hearing. With a next date, the next hearing is planned too."""
    key = idempotency.clean_key(idempotency_key)
    with transaction.atomic():
        legal_case = _locked(legal_case)
        _check(actor, legal_case)
        values = _clean(
            legal_case,
            {
                "held_on": held_on,
                "purpose": purpose,
                "court_case": court_case,
                "court": court,
                "outcome": outcome,
                "next_on": next_on,
            },
        )
        content = _content(legal_case, values)
        if key:
            first = idempotency.previous(user=actor, key=key, object_type="legal_hearing", content=content)
            if first is not None:
                return Hearing.objects.get(pk=first), False
        _open(legal_case)
        hearing = Hearing(legal_case=legal_case, created_by=actor, **values)
        hearing._history_user = actor
        hearing.save()
        following = _plan_next(actor, hearing)
        if key:
            idempotency.remember(
                user=actor, key=key, object_type="legal_hearing", object_id=hearing.pk, content=content
            )
        record_event(
            actor=actor,
            action="legal_case.hearing_add",
            obj=legal_case,
            station=legal_case.station,
            details={
                "hearing": hearing.pk,
                "held_on": hearing.held_on.isoformat(),
                "next_hearing": following.pk if following else None,
            },
        )
    return hearing, True


def hearing_update(
    *, actor, hearing: Hearing, expected_version: int | None = None, **fields
) -> tuple[Hearing, Hearing | None]:
    """Change a hearing (any of HEARING_FIELDS): record its outcome and the next date. Returns (hearing, the
    next hearing planned now or None). A stale `expected_version` is refused (StaleVersionError)."""
    unknown = set(fields) - set(HEARING_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in sorted(unknown)})
    with transaction.atomic():
        legal_case = _locked(hearing.legal_case)
        current = Hearing.objects.select_for_update(of=("self",)).get(pk=hearing.pk, legal_case=legal_case)
        _check(actor, legal_case)
        _open(legal_case)
        version = hearing_version(current)
        if expected_version is not None and expected_version != version:
            raise StaleVersionError(version)
        before = {
            "held_on": current.held_on,
            "purpose": current.purpose,
            "court_case": current.court_case_id,
            "court": current.court_id,
            "outcome": current.outcome,
            "next_on": current.next_on,
        }
        values = _clean(legal_case, {**before, **fields})
        after = {k: getattr(v, "pk", v) for k, v in values.items()}
        changed = [f for f in HEARING_FIELDS if after[f] != before[f]]
        current.version = version
        if not changed:
            return current, None
        for name in changed:
            setattr(current, name, values[name])
        current._history_user = actor
        current.save(update_fields=[f"{n}_id" if n in ("court_case", "court") else n for n in changed])
        current.version = version + 1
        following = _plan_next(actor, current) if "next_on" in changed else None
        record_event(
            actor=actor,
            action="legal_case.hearing_change",
            obj=legal_case,
            station=legal_case.station,
            details={
                "hearing": current.pk,
                "held_on": current.held_on.isoformat(),
                "fields": sorted(changed),
                "next_hearing": following.pk if following else None,
            },
        )
    return current, following


# --- the daily reminder -----------------------------------------------------------------------------------


def due_hearings(*, today: date | None = None):
    """Hearings in REMIND_DAYS_BEFORE days or today at their legal case's station (its local date, per time
    zone, computed by the database), of legal cases neither closed nor not filed: one query. Each row has
    `day` (the station's date the reminder is for)."""
    if today is None:
        local_now = Func(
            F("legal_case__station__timezone"), Now(), function="timezone", output_field=DateTimeField()
        )
        day = Cast(local_now, output_field=DateField())
    else:
        day = Value(today, output_field=DateField())
    return (
        Hearing.objects.exclude(legal_case__stage__in=ENDED)
        .annotate(day=day)
        .filter(held_on__gte=F("day"), held_on__lte=F("day") + timedelta(days=REMIND_DAYS_BEFORE))
        .annotate(ahead=F("held_on") - F("day"))
        .filter(ahead__in=[timedelta(0), timedelta(days=REMIND_DAYS_BEFORE)])
        .order_by("held_on", "id")
    )


_INSERT_REMINDERS = (
    "INSERT INTO {table} (hearing_id, day, sent_at) "
    "SELECT h, d, now() FROM unnest(%s::bigint[], %s::date[]) AS t(h, d) "
    "ON CONFLICT (hearing_id, day) DO NOTHING RETURNING hearing_id, day"
)


def hearings_remind(*, today: date | None = None) -> int:
    """Remind the legal officers of hearings in 3 days and today: one `HearingReminder` per hearing and day
    (the database's unique constraint decides, so running twice, or twice at once, sends each once), and for
    each new one the "legal_case.hearing_due" event (ids and the day only), whose subscriber creates the
    notifications (alerts/legal_alerts.py). Returns how many reminders were created."""
    rows = list(due_hearings(today=today).values_list("pk", "day"))
    sql = _INSERT_REMINDERS.format(table=connection.ops.quote_name(HearingReminder._meta.db_table))
    sent = 0
    for start in range(0, len(rows), REMIND_BATCH):
        batch = rows[start : start + REMIND_BATCH]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [[pk for pk, _day in batch], [day for _pk, day in batch]])
            created = cursor.fetchall()
            for pk, day in sorted(created):
                events.publish("legal_case.hearing_due", id=pk, day=day.isoformat())
            sent += len(created)
    return sent


# --- comments ---------------------------------------------------------------------------------------------


def comment_add(
    *, actor, legal_case: LegalCase, text: str, idempotency_key: str | None = None
) -> tuple[Comment, bool]:
    """Add a comment to the timeline. Returns (comment, created); a repeated idempotency key with the same
    text returns the first comment."""
    key = idempotency.clean_key(idempotency_key)
    text = (text or "").strip() if isinstance(text, str) else ""
    if not text:
        raise ValidationError({"text": _("Write the comment.")})
    if len(text) > COMMENT_MAX:
        raise ValidationError({"text": _("At most %(max)s characters.") % {"max": COMMENT_MAX}})
    content = {"legal_case": legal_case.pk, "text": text}
    with transaction.atomic():
        legal_case = _locked(legal_case)
        _check(actor, legal_case)
        if key:
            first = idempotency.previous(user=actor, key=key, object_type="legal_comment", content=content)
            if first is not None:
                return Comment.objects.get(pk=first), False
        comment = Comment(legal_case=legal_case, text=text, author=actor)
        comment._history_user = actor
        comment.save()
        if key:
            idempotency.remember(
                user=actor, key=key, object_type="legal_comment", object_id=comment.pk, content=content
            )
        record_event(
            actor=actor,
            action="legal_case.comment",
            obj=legal_case,
            station=legal_case.station,
            details={"comment": comment.pk},
        )
    return comment, True


def may_delete_comment(user, comment: Comment, *, rights=None) -> bool:
    """Its author, while they may work on the legal case; or whoever may delete at its station."""
    legal_case = comment.legal_case
    own = comment.author_id == user.pk and policies.may_change(user, legal_case, rights=rights)
    return own or policies.may_delete(user, legal_case, rights=rights)


def comment_delete(*, actor, comment: Comment) -> Comment:
    """Delete a comment softly: kept with who deleted it and when, its text hidden everywhere. Deleting it
    again is refused (TransitionError)."""
    with transaction.atomic():
        legal_case = _locked(comment.legal_case)
        current = Comment.objects.select_for_update(of=("self",)).get(pk=comment.pk, legal_case=legal_case)
        current.legal_case = legal_case
        if not may_delete_comment(actor, current):
            raise PermissionDenied(_("Only its author or whoever may delete at this station can delete it."))
        if current.deleted_at is not None:
            raise TransitionError(_("This comment was deleted already."), status="deleted")
        current.deleted_at = timezone.now()
        current.deleted_by = actor
        current._history_user = actor
        current.save(update_fields=["deleted_at", "deleted_by"])
        record_event(
            actor=actor,
            action="legal_case.comment_delete",
            obj=legal_case,
            station=legal_case.station,
            details={"comment": current.pk, "own": current.author_id == actor.pk},
        )
    return current
