"""Every write for alerts: the rules that create notifications, e-mail delivery, reading and preferences.

The rules (docs/alerts.md):
1. high risk: a submitted interception with a red-flag total at or above its station's threshold, or
   certainty 4–5 → the station's managers and legal officers;
2. suspect seen again: a suspect of a newly submitted interception is the same person as a suspect on an
   earlier submitted interception (the same identity, or a probable match above the alert threshold) →
   the legal officers who may see both, with the earlier one's people;
3. export finished → the user who asked for it;
4. security: repeated failed logins for one account, or repeated denied accesses by one user → admins.

Each rule fires once per subject and recipient (`Notification`'s unique constraint); only a newly created
notification queues an e-mail. Titles and bodies carry the kind of alert, record numbers and a link,
never names, phones, places or narratives.
"""

import logging
from collections.abc import Iterable
from datetime import UTC, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.lockout import key_user_id
from audit.models import AccessEvent
from audit.services import record_event
from core import outbox
from interception.models import Interceptee, IntercepteeRole, Interception, Status
from interception.selectors import interception_scope, with_access_flags
from people import matching
from people.models import MatchStatus, MatchSuggestion, Person

from . import selectors
from .models import EMAIL_BY_DEFAULT, Notification, NotificationPreference, Rule

logger = logging.getLogger(__name__)
User = get_user_model()

HIGH_CERTAINTY = (4, 5)
MAX_NUMBERS_IN_BODY = 5
SECURITY_WINDOW = timedelta(minutes=15)
LOGIN_FAILURES = 5  # failed logins for one account name within the window
DENIED_ACCESSES = 10  # denied accesses by one user within the window
SUBJECT_PREFIX = "[Interception CMS]"


# --- queueing -----------------------------------------------------------------------------------------


def _queue(task, *args) -> None:
    """Queue `task` (ids and short strings only) through the outbox (core.outbox): written in the current
    transaction, sent once it commits, or by the relay when the broker was down then. A rolled-back
    transaction queues nothing; a broker outage neither fails the request nor loses the task."""
    outbox.enqueue(task, *args)


def on_interception_submitted(*, id: int, by: int | None = None) -> None:  # noqa: A002 (the event's field)
    """Subscriber of interception's "interception.submitted" event (alerts/apps.py), in its transaction:
    queue rules 1 and 2 for the interception, unless nobody at its station would be told."""
    from .tasks import evaluate_interception

    interception = Interception.objects.select_related("station").filter(pk=id).first()
    if interception is not None and selectors.station_has_alert_recipients(interception.station):
        _queue(evaluate_interception, interception.pk)


def queue_security_check(kind: str, key: str) -> None:
    """Called on a failed login (kind "login", key = the login key of accounts.lockout: "user:<id>" or a
    keyed hash of a name that matches no account, never the name typed) and on a denied access (kind
    "denied", key = the user's id)."""
    from .tasks import security_check

    if key:
        _queue(security_check, kind, str(key)[:150])


# --- creating notifications ---------------------------------------------------------------------------


def recipient_language(user) -> str:
    """The language a notification or e-mail is written in for `user`: their setting, else the site's."""
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def _notify(*, user, rule: str, subject_key: str, title, body, url: str) -> Notification | None:
    """Create the notification unless this rule already fired for this subject and user. Returns it when
    new (and queues its e-mail when the user wants one), None when it existed already.

    `title` and `body` are texts or functions returning one; they are stored in the recipient's language
    (docs/i18n.md), so a function is called with that language active."""
    from .tasks import send_notification_email

    with translation.override(recipient_language(user)):
        title = str(title() if callable(title) else title)
        body = str(body() if callable(body) else body)
    with transaction.atomic():
        notification, created = Notification.objects.get_or_create(
            rule=rule,
            subject_key=subject_key[:255],
            recipient=user,
            defaults={"title": title[:200], "body": body[:500], "url": url[:300]},
        )
        if not created:
            return None
        if user.email and selectors.wants_email(user, rule):
            _queue(send_notification_email, notification.pk)
    return notification


def _notify_all(*, users: Iterable, **kwargs) -> list[Notification]:
    created = [_notify(user=user, **kwargs) for user in users]
    return [n for n in created if n is not None]


def _numbers(numbers: list[str]) -> str:
    shown = ", ".join(numbers[:MAX_NUMBERS_IN_BODY])
    more = len(numbers) - MAX_NUMBERS_IN_BODY
    return _("%(shown)s and %(more)s more") % {"shown": shown, "more": more} if more > 0 else shown


def high_risk_reasons(interception: Interception) -> list[str]:
    """Why rule 1 applies to this interception (empty when it does not)."""
    reasons = []
    if interception.red_flag_score >= interception.station.alert_score_threshold:
        reasons.append(gettext_lazy("red-flag total at or above the station's alert threshold"))
    if interception.certainty in HIGH_CERTAINTY:
        reasons.append(gettext_lazy("certainty 4 or 5"))
    return reasons


def _high_risk(interception: Interception) -> list[Notification]:
    reasons = high_risk_reasons(interception)
    if not reasons:
        return []
    number = interception.number
    return _notify_all(
        users=selectors.high_risk_recipients(interception.station),
        rule=Rule.HIGH_RISK,
        subject_key=f"interception:{interception.pk}",
        title=lambda: _("High-risk interception %(number)s") % {"number": number},
        body=lambda: (
            _("High-risk interception %(number)s was submitted (%(reasons)s).")
            % {"number": number, "reasons": "; ".join(str(r) for r in reasons)}
        ),
        url=reverse("interception:detail", args=[interception.pk]),
    )


def _percent(score: float) -> int:
    """A matching score (0 to 1) as a whole percentage, never rounded up to a certain 100."""
    return min(int(round(score * 100)), 99)


def seen_again(interception: Interception) -> dict[int, float | None]:
    """Rule 2's matches: the earlier submitted interceptions on which a suspect of `interception` appears as
    a suspect too, each with how sure that is: None for the same identity (a reviewer merged them, or the
    appearance was linked to it), else the best matching score at or above the alert threshold.

    Probable matches come from people.matching (names in any script and spelling, phones in any format,
    age and gender) over the earlier suspects' appearances only; a pair a reviewer rejected is not a
    match. Nobody's visibility is applied here: the caller filters per recipient."""
    earlier = Interceptee.objects.filter(
        role=IntercepteeRole.SUSPECT,
        interception__status=Status.SUBMITTED,
        interception__submitted_at__lt=interception.submitted_at,
    ).exclude(interception=interception)
    suspects = list(
        Person.objects.filter(
            pk__in=interception.interceptees.filter(role=IntercepteeRole.SUSPECT).values("person_id")
        ).order_by("pk")
    )
    if not suspects:
        return {}
    condition = Q(pk__in=earlier.values("person_id"))
    threshold = matching.config()["alert_threshold"]  # settings.PEOPLE_MATCHING
    found: dict[int, float | None] = {}

    def add(identity_scores: dict[int, float | None]) -> None:
        rows = earlier.filter(person__identity_id__in=list(identity_scores)).values_list(
            "interception_id", "person__identity_id"
        )
        for interception_id, identity_id in rows:
            score = identity_scores[identity_id]
            known = found.get(interception_id, 0.0)
            if interception_id not in found or (known is not None and (score is None or score > known)):
                found[interception_id] = score

    for suspect in suspects:
        add({suspect.identity_id: None})  # confirmed: the same identity
        rejected = {
            a if b == suspect.identity_id else b
            for a, b in MatchSuggestion.objects.filter(
                Q(identity_id=suspect.identity_id) | Q(candidate_id=suspect.identity_id),
                status=MatchStatus.REJECTED,
            ).values_list("identity_id", "candidate_id")
        }
        probable = {
            s.identity_id: float(s.score)
            for s in matching.suggest(
                matching.profile_of_appearance(suspect),
                condition=condition,
                exclude=(suspect.identity_id, *rejected),
                min_score=threshold,
            )
        }
        if probable:
            add(probable)
    return found


def _suspect_seen_again(interception: Interception) -> list[Notification]:
    matches = seen_again(interception)
    if not matches:
        return []
    number = interception.number
    created = []
    for officer in selectors.legal_officers_covering(interception.station):
        # Only earlier records whose people the officer may see (view_sensitive, by role or share): a masked
        # share must not confirm that a guessed name or number was on another record.
        seen = list(
            with_access_flags(interception_scope(officer), officer)
            .filter(pk__in=list(matches), can_see_sensitive=True)
            .order_by("submitted_at", "pk")
            .values_list("pk", "number")
        )
        if not seen:
            continue  # the officer cannot see the people of any of the earlier interceptions
        confirmed = [n for pk, n in seen if matches[pk] is None]
        probable = sorted(
            ((n, matches[pk]) for pk, n in seen if matches[pk] is not None), key=lambda item: -item[1]
        )

        def body(confirmed=confirmed, probable=probable):
            parts = [
                _("A suspect on interception %(number)s was a suspect on an earlier interception too.")
                % {"number": number}
            ]
            if confirmed:
                parts.append(
                    _("Same person, confirmed by a reviewer: %(earlier)s.") % {"earlier": _numbers(confirmed)}
                )
            if probable:
                labelled = [
                    _("%(number)s (%(percent)s%% match)") % {"number": n, "percent": _percent(score)}
                    for n, score in probable
                ]
                parts.append(
                    _("Probably the same person (not yet confirmed): %(earlier)s.")
                    % {"earlier": _numbers(labelled)}
                )
            return " ".join(str(p) for p in parts)

        notification = _notify(
            user=officer,
            rule=Rule.SUSPECT_SEEN_AGAIN,
            subject_key=f"interception:{interception.pk}",
            title=lambda: _("Suspect seen again: %(number)s") % {"number": number},
            body=body,
            url=reverse("interception:detail", args=[interception.pk]),
        )
        if notification is not None:
            created.append(notification)
    return created


def interception_evaluate(*, interception_id: int) -> list[Notification]:
    """Rules 1 and 2 for one submitted interception, read afresh. Safe to run twice."""
    interception = (
        Interception.objects.select_related("station")
        .filter(pk=interception_id, status=Status.SUBMITTED)
        .first()
    )
    if interception is None:
        return []
    with transaction.atomic():
        return _high_risk(interception) + _suspect_seen_again(interception)


def notify_export_finished(
    *, job_id: int, user, ok: bool, number: str | None = None, url: str
) -> Notification | None:
    """Rule 3, called by the export task when a job is done or has failed: tells the user who asked.
    `url` is a path in this site (the job's page or its download); `number` the job's reference, if any.
    Returns the new notification, or None when it was sent already (or the user is deactivated)."""
    if not url.startswith("/") or url.startswith("//"):
        raise ValueError("url must be a path in this site, e.g. /exports/42/")
    if user is None or not user.is_active:
        return None
    label = (number or f"#{int(job_id)}")[:64]
    return _notify(
        user=user,
        rule=Rule.EXPORT_FINISHED,
        subject_key=f"export:{int(job_id)}",  # one notification per job, whichever way it ended
        title=lambda: (
            (_("Export %(label)s ready") if ok else _("Export %(label)s failed")) % {"label": label}
        ),
        body=lambda: (
            (
                _("Your export %(label)s is ready to download.")
                if ok
                else _(
                    "Your export %(label)s failed. Start it again, or ask an administrator if it fails again."
                )
            )
            % {"label": label}
        ),
        url=url,
    )


def _admin_url(name: str, *args) -> str:
    try:
        return reverse(f"admin:{name}", args=args)
    except NoReverseMatch:
        return reverse("admin:index")


def security_check(*, kind: str, key: str) -> list[Notification]:
    """Rule 4: count the recent failed logins for one login key (kind "login", key = "user:<id>" for an
    account, or "name:<keyed hash>" for a name that matches none: the access log never holds the name
    typed) or denied accesses by one user (kind "denied", key = the user's id) in the access log, and
    alert the admins once per subject and hour. Safe to run twice."""
    now = timezone.now()
    since = now - SECURITY_WINDOW
    hour = now.astimezone(UTC).strftime("%Y%m%d%H")  # once per subject per hour (UTC)
    if kind == "login":
        login_key = str(key)[:150]
        failures = AccessEvent.objects.filter(action="login.failed", details__key=login_key, at__gte=since)
        count = failures.count()
        if count < LOGIN_FAILURES:
            return []
        account_id = key_user_id(login_key)
        account = User.objects.filter(pk=account_id).only("pk").first() if account_id is not None else None
        if account is not None:
            what = lambda pk=account.pk: _("account #%(id)s") % {"id": pk}  # noqa: E731
            url = _admin_url("accounts_user_change", account.pk)
        else:
            what = lambda: _("an account name that does not exist")  # noqa: E731
            url = _admin_url("axes_accessattempt_changelist")
        return _notify_all(
            users=selectors.admin_recipients(),
            rule=Rule.SECURITY,
            subject_key=f"login:{login_key}:{hour}",
            title=lambda: _("Repeated failed logins"),
            body=lambda: (
                _("%(count)s failed logins for %(what)s within %(minutes)s minutes.")
                % {"count": count, "what": what(), "minutes": SECURITY_WINDOW.seconds // 60}
            ),
            url=url,
        )
    if kind == "denied":
        try:
            user_id = int(key)
        except (TypeError, ValueError):
            return []
        count = AccessEvent.objects.filter(action="access.denied", actor_id=user_id, at__gte=since).count()
        if count < DENIED_ACCESSES:
            return []
        return _notify_all(
            users=selectors.admin_recipients(),
            rule=Rule.SECURITY,
            subject_key=f"denied:{user_id}:{hour}",
            title=lambda: _("Repeated denied accesses"),
            body=lambda: (
                _("%(count)s denied accesses by account #%(id)s within %(minutes)s minutes.")
                % {"count": count, "id": user_id, "minutes": SECURITY_WINDOW.seconds // 60}
            ),
            url=_admin_url("accounts_user_change", user_id),
        )
    raise ValueError(f"Unknown security check {kind!r}.")


def on_login_failed(*, key: str) -> None:
    """Subscriber of accounts' "login.failed" event (alerts/apps.py): rule 4's check for that login key."""
    queue_security_check("login", key)


ACCOUNT_SECURITY_CHANGES = {
    "mfa.enrol": gettext_lazy("Two-step login was set up for your account"),
    "mfa.replace": gettext_lazy("The authenticator of your account was replaced"),
    "mfa.recovery_codes": gettext_lazy("New recovery codes were issued for your account"),
}


def notify_account_security(*, user_id: int, event_id: int) -> Notification | None:
    """Subscriber of accounts' "mfa.device_enrolled", "mfa.device_replaced" and "mfa.recovery_codes_issued":
    tell the user (in-app, and by e-mail as rule 4 "security" is set) that their second factor changed, so
    a change they did not make is noticed. One notification per access-log event; no personal data."""
    event = AccessEvent.objects.filter(pk=int(event_id), actor_id=int(user_id)).only("action", "at").first()
    user = User.objects.filter(pk=int(user_id), is_active=True).first()
    if event is None or user is None or event.action not in ACCOUNT_SECURITY_CHANGES:
        return None
    title = ACCOUNT_SECURITY_CHANGES[event.action]
    return _notify(
        user=user,
        rule=Rule.SECURITY,
        subject_key=f"account:{event.pk}",
        title=title,
        body=lambda: (
            _("%(what)s at %(at)s UTC. If this was not you, tell your administrator at once.")
            % {"what": title, "at": f"{event.at.astimezone(UTC):%Y-%m-%d %H:%M}"}
        ),
        url=reverse("mfa-manage"),
    )


# --- e-mail -------------------------------------------------------------------------------------------


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def email_content(notification: Notification) -> tuple[str, str]:
    """Subject and plain-text body: the kind of alert, record numbers and a link; nothing personal."""
    subject = f"{SUBJECT_PREFIX} {notification.title}"
    open_label = _("Open:")
    why = _("You receive this e-mail because of your notification settings:")
    body = (
        f"{notification.title}\n\n"
        f"{notification.body}\n\n"
        f"{open_label} {absolute_url(notification.url)}\n\n"
        "--\n"
        f"{why}\n"
        f"{absolute_url(reverse('alerts:preferences'))}\n"
    )
    return subject, body


def notification_send_email(*, notification_id: int) -> bool:
    """E-mail one notification, at most once: the row is locked, a sent one (`emailed_at`) is skipped, so a
    redelivered task sends nothing twice. An SMTP error propagates (the task retries) and leaves
    `emailed_at` empty. Returns whether an e-mail was sent."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.emailed_at is not None:
            return False
        user = notification.recipient
        if not (user.is_active and user.email and selectors.wants_email(user, notification.rule)):
            return False
        with translation.override(recipient_language(user)):
            subject, body = email_content(notification)
        send_mail(subject, body, None, [user.email], fail_silently=False)
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True


# --- reading and preferences --------------------------------------------------------------------------


def notification_mark_read(*, actor, notification_id) -> Notification:
    """Mark one of the actor's own notifications read (someone else's: 404). Reading is not audited."""
    notification = selectors.notification_get(user=actor, pk=notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notification_mark_all_read(*, actor) -> int:
    return selectors.notification_list(user=actor, unread=True).update(read_at=timezone.now())


def preferences_set(*, actor, email: dict[str, bool]) -> dict[str, bool]:
    """Save the actor's choice per rule (True: in-app and e-mail; False: in-app only), audited."""
    unknown = sorted(set(email) - set(EMAIL_BY_DEFAULT))
    if unknown:
        raise ValidationError({"email": _("Unknown rule(s): %(rules)s.") % {"rules": ", ".join(unknown)}})
    with transaction.atomic():
        before = selectors.email_preferences(actor)
        for rule, wanted in email.items():
            NotificationPreference.objects.update_or_create(
                user=actor, rule=rule, defaults={"email": bool(wanted)}
            )
        after = selectors.email_preferences(actor)
        record_event(
            actor=actor,
            action="alerts.preferences",
            details={"email": after, "changed": sorted(r for r in after if after[r] != before[r])},
        )
    return after
