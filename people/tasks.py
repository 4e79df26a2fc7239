"""Celery tasks of the people registry: thin, safe to run twice, ids only (DESIGN.md rule 7)."""

from celery import shared_task


@shared_task(
    name="people.suggest_matches",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=60,
    time_limit=90,
)
def suggest_matches(person_id: int) -> int:
    """Suggest identities that are probably the same human as this appearance's (people/matching.py);
    returns how many suggestions were stored."""
    from people import matching

    return matching.store_suggestions(person_id)
