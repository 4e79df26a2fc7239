from datetime import date

from celery import shared_task

from . import services


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=60, soft_time_limit=45)
def recompute_daily_tally(station_id: int, day: str) -> None:
    """Recount one station's day. Takes ids only; safe to run twice."""
    services.daily_tally_recompute(station_id=station_id, day=date.fromisoformat(day))
