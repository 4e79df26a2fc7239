"""Outbox upkeep in Celery beat. The relay proper is `manage.py outbox_relay` (it must run while the broker
is down, which a beat task cannot); this beat task
is a fallback that also relays when that process is missing."""

from celery import shared_task

from . import outbox


@shared_task(time_limit=120, soft_time_limit=100, ignore_result=True)
def relay_outbox() -> int:
    return outbox.relay()


@shared_task(time_limit=600, soft_time_limit=540, ignore_result=True)
def purge_outbox() -> int:
    return outbox.purge_sent()
