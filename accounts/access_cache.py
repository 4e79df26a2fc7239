"""The per-request memo of users' access profiles (accounts.access.AccessProfile).

A request reads a user's profile (their memberships expanded to stations, the grant codenames they hold) at
most once: `AccessProfileMiddleware` opens an empty memo for the request and drops it afterwards. Outside a
request (tests, Celery tasks, management commands) there is no memo and every `scope()` reads the profile
again, unless the code opens one with `with access_memo():` for the length of a task.

Any write of a membership, an object grant or a user's groups empties the memo (signals), so a share made
inside a request is seen by the next `scope()` of that request; inside a transaction, nothing is memoised
again until it commits (a rolled-back share must not stay in the memo).
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

_memo: ContextVar[dict | None] = ContextVar("access_profiles", default=None)


_PAUSED = "paused"  # a key of the memo (user ids are ints): remember nothing until the transaction commits


def memoized(user_id: int):
    """The profile of `user_id` already read in this request (or `access_memo()` block), or None."""
    memo = _memo.get()
    return None if memo is None else memo.get(user_id)


def remember(user_id: int, profile) -> None:
    memo = _memo.get()
    if memo is not None and _PAUSED not in memo:
        memo[user_id] = profile


def forget(*args, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """Drop every profile read so far (a signal receiver: a membership, grant or group changed). Inside a
    transaction, also keep nothing until it commits: a profile read now would include the write, which a
    rollback may undo."""
    memo = _memo.get()
    if memo is None:
        return
    memo.clear()
    if transaction.get_connection(using).in_atomic_block:
        memo[_PAUSED] = True
        transaction.on_commit(lambda: memo.pop(_PAUSED, None), using=using)


@contextmanager
def access_memo():
    """Read each user's profile once inside the block (a request, a Celery task, a command)."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def watch(*models) -> None:
    """Empty the memo whenever a row of one of `models` is saved or deleted."""
    for model in models:
        uid = f"access_cache.{model._meta.label}"
        post_save.connect(forget, sender=model, dispatch_uid=f"{uid}.save", weak=False)
        post_delete.connect(forget, sender=model, dispatch_uid=f"{uid}.delete", weak=False)


def watch_groups(user_model) -> None:
    """Empty the memo whenever someone joins or leaves a group (group grants follow the membership)."""
    through = user_model._meta.get_field("groups").remote_field.through
    m2m_changed.connect(forget, sender=through, dispatch_uid="access_cache.groups", weak=False)


class AccessProfileMiddleware:
    """One memo of access profiles per request (see the module's doc)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with access_memo():
            return self.get_response(request)
