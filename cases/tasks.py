"""Celery tasks of case files: thin, safe to run twice, ids only (docs/cases.md)."""

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=300, soft_time_limit=270)
def remind_follow_ups() -> int:
    """Daily (beat): remind each assigned case manager of their follow-ups due or overdue, once per
    follow-up and day. Returns how many reminders went out."""
    from .services.care import follow_ups_remind

    return follow_ups_remind()
