"""What apps above case files tell about a case, shown on its page and in its API answer (docs/cases.md).

Case files must not import the apps above them (prosecution), so those apps register a function here:
`register(fn)` with `fn(user, case) -> list[dict]`. The case page and API call `legal_summaries(user,
case)` only after `access_case` has checked that `user` may see the case; each function returns plain
values (numbers, codes, labels, counts, dates): no names, no narratives.
"""

from collections.abc import Callable

LEGAL_SUMMARIES: list[Callable] = []


def register(fn: Callable) -> None:
    """Add a legal-summary function (once, however often an app's ready() runs)."""
    if fn not in LEGAL_SUMMARIES:
        LEGAL_SUMMARIES.append(fn)


def legal_summaries(user, case) -> list[dict]:
    """The legal status of the legal cases the case file's victim is in, from every registered app."""
    rows: list[dict] = []
    for fn in LEGAL_SUMMARIES:
        rows.extend(fn(user, case))
    return rows
