from celery import shared_task

from . import anchor


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=300, soft_time_limit=240)
def export_anchor() -> str:
    """Export the access log's anchor (daily, from Celery beat). Safe to run twice: it appends a line."""
    return anchor.export_anchor().line()
