"""Alert tasks: thin, safe to run twice. They take ids and short strings (never personal data), re-read the
rows and call alerts.services."""

from smtplib import SMTPException

from celery import shared_task

from . import services

SAFE = {"acks_late": True, "reject_on_worker_lost": True, "time_limit": 60, "soft_time_limit": 45}


@shared_task(**SAFE)
def evaluate_interception(interception_id: int) -> int:
    """Rules 1 and 2 for one submitted interception. Returns how many notifications were created."""
    return len(services.interception_evaluate(interception_id=int(interception_id)))


@shared_task(**SAFE)
def security_check(kind: str, key: str) -> int:
    """Rule 4: kind "login" (key = the account name tried) or "denied" (key = the user's id)."""
    return len(services.security_check(kind=kind, key=key))


@shared_task(**SAFE)
def check_denied_accesses(user_id: int) -> int:
    """Rule 4 for one user after an "access.denied" event (alerts/apps.py subscribes it via the outbox)."""
    return len(services.security_check(kind="denied", key=str(int(user_id))))


# Retries back off exponentially (1, 2, 4 … s, with jitter) up to 10 minutes, far below the broker's
# one-hour visibility timeout; after 5 retries the e-mail is given up (the in-app notification stays).
@shared_task(
    **SAFE,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def send_notification_email(notification_id: int) -> bool:
    """E-mail one notification at most once (the row is locked and `emailed_at` checked)."""
    return services.notification_send_email(notification_id=int(notification_id))
