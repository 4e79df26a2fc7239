"""The domain-event hub: apps lower in the flow publish, apps above them subscribe (docs/operations.md
"Outbox", /work/shared/DESIGN.md).

    publish("interception.submitted", id=interception.pk)

    # in the subscribing app's AppConfig.ready():
    subscribe("interception.submitted", handler)                      # runs now, in the same transaction
    subscribe("interception.submitted", some_task, after_commit=True)  # a Celery task, through the outbox

An event carries ids only (integers, or short strings such as a keyed hash), never personal data: they are
written to the outbox table and travel through the broker. A handler in the same transaction is called with
the ids as keyword arguments (`handler(id=...)`); an exception in it rolls the publisher's work back too. An
after-commit subscriber is a Celery task: the outbox records `task(**ids)` in the publisher's transaction and
sends it after the commit (or the relay does, once the broker is back). A rolled-back transaction publishes
nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from . import outbox

MAX_ID_LENGTH = outbox.MAX_STRING_ARG


@dataclass(frozen=True)
class Subscription:
    handler: Callable
    after_commit: bool

    @property
    def label(self) -> str:
        return getattr(self.handler, "name", None) or (
            f"{getattr(self.handler, '__module__', '?')}.{getattr(self.handler, '__qualname__', '?')}"
        )

    @property
    def identity(self):
        """Two subscriptions are the same when they name the same function or task (a module imported
        twice gives new objects with the same name); lambdas and local functions only when identical."""
        return (self.handler if "<" in self.label else self.label, self.after_commit)


_subscribers: dict[str, list[Subscription]] = {}


def subscribe(name: str, handler: Callable, *, after_commit: bool = False) -> None:
    """Call `handler(**ids)` whenever `name` is published. With `after_commit=True` the handler must be a
    Celery task (it is queued through the outbox). Subscribing the same handler twice has no effect (an
    app's ready() may run more than once in tests)."""
    if after_commit and not (hasattr(handler, "apply_async") and getattr(handler, "name", None)):
        raise TypeError(f"An after-commit subscriber of {name!r} must be a Celery task, not {handler!r}.")
    subscription = Subscription(handler=handler, after_commit=after_commit)
    handlers = _subscribers.setdefault(name, [])
    if not any(s.identity == subscription.identity for s in handlers):
        handlers.append(subscription)


def unsubscribe(name: str, handler: Callable) -> None:
    """Remove a subscription (tests)."""
    _subscribers[name] = [s for s in _subscribers.get(name, []) if s.handler is not handler]


def subscribers(name: str) -> list[Subscription]:
    return list(_subscribers.get(name, []))


def _check_ids(name: str, ids: dict) -> None:
    for key, value in ids.items():
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise TypeError(
                f"Event {name!r}: {key} must be an id (int or short str), not {type(value).__name__}"
            )
        if isinstance(value, str) and len(value) > MAX_ID_LENGTH:
            raise ValueError(f"Event {name!r}: {key} is longer than {MAX_ID_LENGTH} characters.")


def publish(name: str, **ids) -> None:
    """Tell the subscribers of `name` that it happened, in the current transaction (or in one of its own
    when there is none). Same-transaction handlers run now, in subscription order; after-commit ones are
    written to the outbox."""
    _check_ids(name, ids)
    with transaction.atomic():
        for subscription in subscribers(name):
            if subscription.after_commit:
                outbox.enqueue(subscription.handler, **ids)
            else:
                subscription.handler(**ids)
