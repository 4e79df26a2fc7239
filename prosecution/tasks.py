"""Celery tasks of prosecution: thin, safe to run twice, ids only (docs/prosecution.md)."""

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=300, soft_time_limit=270)
def remind_hearings() -> int:
    """Daily (beat): remind each legal case's legal officers of its hearings 3 days before and on the day,
    once per hearing and day. Returns how many reminders went out."""
    from .services.hearings import hearings_remind

    return hearings_remind()
