from celery import shared_task

from . import services


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=3300, soft_time_limit=3000)
def run_export(job_id: int) -> None:
    """Write one export file. Takes the job id only; safe to run twice (a redelivered job restarts)."""
    services.export_run(job_id=job_id)


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def purge_expired_exports() -> int:
    return services.exports_purge()
