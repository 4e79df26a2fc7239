"""Records other apps open from an interception (the case files of its potential victims), named on its
page. The apps above fill the registry in their AppConfig.ready(), so interception imports none of them."""

from collections.abc import Callable

# Each: (user, interception) -> [{"label", "number", "url", "status"}] of the records the user may see.
RELATED: list[Callable] = []


def register(fn: Callable) -> None:
    if fn not in RELATED:
        RELATED.append(fn)


def related_records(user, interception) -> list[dict]:
    return [row for fn in RELATED for row in fn(user, interception)]
