"""The prosecution funnel and its tables, over the legal cases a user may see (docs/prosecution.md
"Statistics: the prosecution funnel").

Counted per suspect (a defendant of a legal case), over the legal cases of the reader's scope
(`selectors.legal_case_scope`) narrowed by the filters: the station's country, the station, and a period on
the legal case's date (the complaint date, or the opening date when no complaint was filed).

1. suspects identified;
2. complaint filed: suspects of legal cases with a complaint (a complaint date, or a stage past the
   complaint other than "not filed");
3. arrested: arrest status arrested, on bail or in custody;
4. charged: at least one charge;
5. one of (for the charged suspects, so they add up to "charged"): convicted of trafficking (a charge
   convicted under a trafficking statute: `convicted_under`, else the statute charged); convicted of a
   lesser charge only; acquitted or dismissed (every charge acquitted, dismissed or withdrawn); pending.

Also: the median number of days from the complaint to the legal case's first verdict (a charge convicted,
acquitted or dismissed, with its date); the sentence distribution per convicted charge (imprisonment in
bands; a sentence changed on appeal counts as changed; fines per currency); the recidivism rate (suspects
whose identity was convicted in an earlier legal case the reader may see, before this case's date ÷
suspects); and conviction rates per hierarchy role.

Each answer is a fixed number of set-based statements (CTEs, aggregates with FILTER, ROLLUP), whatever the
number of rows. Small counts identify people: unless the reader holds `view_sensitive` on every legal case
counted, a count below 11 is withheld (`None`, shown "<11") and so is any rate or median computed from one.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.access import holds_anywhere, stations_for
from accounts.roles import Action
from audit.services import record_event

from .models import (
    Appeal,
    ArrestStatus,
    Charge,
    HierarchyRole,
    LegalCase,
    Stage,
    Statute,
    Suspect,
    Verdict,
)
from .selectors import LEGAL_CASE, legal_case_condition, legal_case_scope

THRESHOLD = 11
SUPPRESSED = "<11"
TABLES = ("funnel", "sentences", "roles")
FUNNEL_KEYS = (
    "suspects",
    "complaints",
    "arrested",
    "charged",
    "convicted_trafficking",
    "convicted_lesser_only",
    "acquitted",
    "pending",
)
FUNNEL_LABELS = {
    "suspects": gettext_lazy("Suspects identified"),
    "complaints": gettext_lazy("Complaint filed"),
    "arrested": gettext_lazy("Arrested"),
    "charged": gettext_lazy("Charged"),
    "convicted_trafficking": gettext_lazy("Convicted of trafficking"),
    "convicted_lesser_only": gettext_lazy("Convicted of a lesser charge only"),
    "acquitted": gettext_lazy("Acquitted or dismissed"),
    "pending": gettext_lazy("Pending"),
}
# Imprisonment bands, in total days (years × 365 + months × 30 + days).
BANDS = (
    ("none", gettext_lazy("No imprisonment"), None, 1),
    ("under_1y", gettext_lazy("Under 1 year"), 1, 365),
    ("1_5y", gettext_lazy("1 to 5 years"), 365, 5 * 365),
    ("5_10y", gettext_lazy("5 to 10 years"), 5 * 365, 10 * 365),
    ("10y_plus", gettext_lazy("10 years or more"), 10 * 365, None),
)
UNKNOWN_ROLE = "unknown"
ARRESTED = (ArrestStatus.ARRESTED, ArrestStatus.ON_BAIL, ArrestStatus.IN_CUSTODY)
PAST_COMPLAINT = tuple(s for s in Stage.values if s not in (Stage.OPEN, Stage.NOT_FILED))
VERDICTS = (Verdict.CONVICTED, Verdict.ACQUITTED, Verdict.DISMISSED)
CHANGED_ON_APPEAL = ("sentence_reduced", "sentence_increased")


@dataclass(frozen=True)
class Filters:
    country: str | None = None  # the station's country (ISO code)
    station: str | None = None  # the station's code
    since: date | None = None  # the complaint date, else the opening date
    until: date | None = None

    def as_details(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items() if v}


def may_see_statistics(user) -> bool:
    """Whether `user` holds a role granting `view` on legal cases at some station."""
    return holds_anywhere(user, LEGAL_CASE, Action.VIEW)


def station_choices(user) -> list[tuple[str, str]]:
    rows = stations_for(user, LEGAL_CASE, Action.VIEW).order_by("code").values_list("code", "name")
    return [(code, f"{name} ({code})") for code, name in rows]


def country_choices(user) -> list[tuple[str, str]]:
    rows = (
        stations_for(user, LEGAL_CASE, Action.VIEW)
        .order_by("country__code")
        .values_list("country__code", "country__name")
        .distinct()
    )
    return list(rows)


def cases_counted(user, filters: Filters) -> QuerySet[LegalCase]:
    """The legal cases the statistics count for `user` (unlogged)."""
    qs = legal_case_scope(user)
    if filters.country:
        qs = qs.filter(station__country__code=filters.country.upper())
    if filters.station:
        qs = qs.filter(station__code=filters.station.upper())
    if filters.since or filters.until:
        qs = qs.alias(counted_on=Coalesce("complaint_filed_on", "opened_on"))
        if filters.since:
            qs = qs.filter(counted_on__gte=filters.since)
        if filters.until:
            qs = qs.filter(counted_on__lte=filters.until)
    return qs


def _exact(user, cases: QuerySet[LegalCase]) -> bool:
    """Whether `user` holds `view_sensitive` on every legal case counted (one query)."""
    condition = legal_case_condition(user, Action.VIEW_SENSITIVE)
    if condition is None:
        return False
    return not cases.filter(~condition).exists()


def _tables() -> dict:
    from people.models import Person

    return {
        "case": LegalCase._meta.db_table,
        "suspect": Suspect._meta.db_table,
        "charge": Charge._meta.db_table,
        "statute": Statute._meta.db_table,
        "appeal": Appeal._meta.db_table,
        "person": Person._meta.db_table,
    }


def _fetch(sql: str, params) -> list[tuple]:
    """Run one statistics statement. PostgreSQL's JIT would compile these statements for longer than they
    run (400 ms for the sentences at 100,000 legal cases): it is off for the transaction, which is this
    statement's own (the two statements go in one message, one implicit transaction) unless the request
    already opened one (then it stays off for the rest of that transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off;\n" + sql, params)
        return cursor.fetchall()


# Per suspect of the legal cases counted: its charges (one GROUP BY over the charges), then the counts per
# role with their total (ROLLUP). Each CTE is used once, so PostgreSQL plans it inline (hash joins over the
# scope's rows, no per-row subplan). Placeholders in order: cases, stages past the complaint, arrest
# statuses, case rows.
FUNNEL_SQL = """
WITH charged AS (
    SELECT ch.suspect_id,
           count(*) AS charges,
           count(*) FILTER (WHERE ch.verdict = 'convicted') AS convicted,
           count(*) FILTER (WHERE ch.verdict = 'convicted'
                            AND COALESCE(ch.convicted_under_id, ch.statute_id) IN (
                                SELECT id FROM {statute} WHERE is_trafficking)) AS convicted_trafficking,
           count(*) FILTER (WHERE ch.verdict = 'pending') AS pending
    FROM {charge} ch
    WHERE ch.legal_case_id IN ({cases})
    GROUP BY ch.suspect_id
),
per_suspect AS (
    SELECT s.role,
           (lc.complaint_filed_on IS NOT NULL OR lc.stage = ANY(%s)) AS complaint,
           s.arrest_status = ANY(%s) AS arrested,
           COALESCE(c.charges, 0) AS charges,
           COALESCE(c.convicted, 0) AS convicted,
           COALESCE(c.convicted_trafficking, 0) AS convicted_trafficking,
           COALESCE(c.pending, 0) AS pending
    FROM {suspect} s
    JOIN ({case_rows}) lc ON lc.id = s.legal_case_id
    LEFT JOIN charged c ON c.suspect_id = s.id
)
SELECT GROUPING(role) = 1 AS total,
       role,
       count(*) AS suspects,
       count(*) FILTER (WHERE complaint) AS complaints,
       count(*) FILTER (WHERE arrested) AS arrested,
       count(*) FILTER (WHERE charges > 0) AS charged,
       count(*) FILTER (WHERE convicted_trafficking > 0) AS convicted_trafficking,
       count(*) FILTER (WHERE convicted > 0 AND convicted_trafficking = 0) AS convicted_lesser_only,
       count(*) FILTER (WHERE charges > 0 AND convicted = 0 AND pending = 0) AS acquitted,
       count(*) FILTER (WHERE charges > 0 AND convicted = 0 AND pending > 0) AS pending
FROM per_suspect
GROUP BY ROLLUP (role)
"""

# Suspects of the legal cases counted whose identity was convicted in another legal case in reach, before
# this one's date. Placeholders: case rows, anywhere.
RECIDIVISTS_SQL = """
SELECT count(DISTINCT s.id)
FROM {suspect} s
JOIN ({case_rows}) lc ON lc.id = s.legal_case_id
JOIN {person} p ON p.id = s.person_id
JOIN {person} same ON same.identity_id = p.identity_id AND same.id <> p.id
JOIN {suspect} es ON es.person_id = same.id AND es.legal_case_id <> s.legal_case_id
JOIN {charge} ech ON ech.suspect_id = es.id
WHERE ech.verdict = 'convicted'
  AND ech.verdict_on < COALESCE(lc.complaint_filed_on, lc.opened_on)
  AND es.legal_case_id IN ({anywhere})
"""

MEDIAN_SQL = """
WITH first_verdict AS (
    SELECT ch.legal_case_id, min(ch.verdict_on) AS verdict_on
    FROM {charge} ch
    WHERE ch.legal_case_id IN ({cases})
      AND ch.verdict = ANY(%s) AND ch.verdict_on IS NOT NULL
    GROUP BY ch.legal_case_id
)
SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY v.verdict_on - lc.complaint_filed_on)
FROM first_verdict v
JOIN {case} lc ON lc.id = v.legal_case_id
WHERE lc.complaint_filed_on IS NOT NULL AND v.verdict_on >= lc.complaint_filed_on
"""

SENTENCES_SQL = """
WITH changed AS (
    SELECT DISTINCT ON (a.charge_id) a.charge_id, a.imprisonment_total_days AS days
    FROM {appeal} a
    WHERE a.outcome = ANY(%s) AND a.imprisonment_total_days IS NOT NULL
    ORDER BY a.charge_id, a.decided_on DESC NULLS LAST, a.id DESC
),
convicted AS (
    SELECT ch.fine_amount, ch.fine_currency, COALESCE(changed.days, ch.imprisonment_total_days, 0) AS days
    FROM {charge} ch
    LEFT JOIN changed ON changed.charge_id = ch.id
    WHERE ch.legal_case_id IN ({cases}) AND ch.verdict = 'convicted'
),
banded AS (
    SELECT CASE WHEN days <= 0 THEN 'none'
                WHEN days < 365 THEN 'under_1y'
                WHEN days < 1825 THEN '1_5y'
                WHEN days < 3650 THEN '5_10y'
                ELSE '10y_plus' END AS band,
           CASE WHEN fine_amount > 0 THEN upper(fine_currency) END AS currency,
           fine_amount
    FROM convicted
)
SELECT GROUPING(band) = 0 AS by_band, band, currency,
       count(*) AS convicted,
       count(*) FILTER (WHERE fine_amount > 0) AS fined,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY fine_amount) FILTER (WHERE fine_amount > 0) AS median_fine
FROM banded
GROUP BY GROUPING SETS ((band), (currency))
"""


def _compiled(cases: QuerySet[LegalCase], *fields: str) -> tuple[str, tuple]:
    fields = fields or ("id",)
    try:
        sql, params = cases.order_by().values(*fields).query.sql_with_params()
    except EmptyResultSet:  # no legal case in reach
        nothing = ", ".join(f"NULL AS {f}" for f in fields)
        return f"SELECT {nothing} WHERE false", ()
    return sql, tuple(params)


class _Shown:
    """Counts as the reader may see them: exact, or withheld below the threshold."""

    def __init__(self, exact: bool):
        self.exact = exact

    def count(self, n: int) -> int | None:
        return n if self.exact or n >= THRESHOLD else None

    @staticmethod
    def display(value: int | None) -> str:
        return SUPPRESSED if value is None else str(value)

    def rate(self, numerator: int, denominator: int) -> float | None:
        if not denominator or self.count(numerator) is None or self.count(denominator) is None:
            return None
        return round(numerator / denominator, 3)


def statistics_rows(*, user, filters: Filters) -> dict:
    """The funnel and its tables for `user` (unlogged: `prosecution_statistics` logs the read)."""
    cases = cases_counted(user, filters)
    shown = _Shown(_exact(user, cases))
    tables = _tables()
    cases_sql, cases_params = _compiled(cases)
    # the earlier legal cases of a recidivist: any the reader may see (not only those of the period)
    anywhere_sql, anywhere_params = _compiled(legal_case_scope(user))
    rows_sql, rows_params = _compiled(cases, "id", "stage", "complaint_filed_on", "opened_on")
    funnel_sql = FUNNEL_SQL.format(cases=cases_sql, case_rows=rows_sql, **tables)
    rows = _fetch(funnel_sql, (*cases_params, list(PAST_COMPLAINT), list(ARRESTED), *rows_params))
    total = next((r for r in rows if r[0]), None)
    keys = FUNNEL_KEYS
    raw = dict(zip(keys, total[2:], strict=True)) if total else dict.fromkeys(keys, 0)
    recidivists_sql = RECIDIVISTS_SQL.format(case_rows=rows_sql, anywhere=anywhere_sql, **tables)
    ((raw["recidivists"],),) = _fetch(recidivists_sql, (*rows_params, *anywhere_params))

    funnel = {k: shown.count(raw[k]) for k in FUNNEL_KEYS}
    labels = dict(HierarchyRole.choices)
    by_role = []
    for row in sorted((r for r in rows if not r[0]), key=lambda r: (r[1] == "", r[1])):
        n = dict(zip(keys, row[2:], strict=True))
        convicted = n["convicted_trafficking"] + n["convicted_lesser_only"]
        by_role.append(
            {
                "role": row[1] or UNKNOWN_ROLE,
                "label": str(labels.get(row[1], _("Not recorded"))),
                "suspects": shown.count(n["suspects"]),
                "charged": shown.count(n["charged"]),
                "convicted": shown.count(convicted),
                "convicted_trafficking": shown.count(n["convicted_trafficking"]),
                "conviction_rate": shown.rate(convicted, n["charged"]),
                "trafficking_conviction_rate": shown.rate(n["convicted_trafficking"], n["charged"]),
            }
        )

    ((decided, median),) = _fetch(
        MEDIAN_SQL.format(cases=cases_sql, **tables), (*cases_params, list(VERDICTS))
    )
    median_days = None if median is None or shown.count(decided) is None else round(median, 1)

    sentence_rows = _fetch(
        SENTENCES_SQL.format(cases=cases_sql, **tables), (list(CHANGED_ON_APPEAL), *cases_params)
    )
    bands = {r[1]: r for r in sentence_rows if r[0]}
    sentences = []
    for code, label, low, high in BANDS:
        row = bands.get(code)
        sentences.append(
            {
                "band": code,
                "label": str(label),
                "min_days": low,
                "max_days": None if high is None else high - 1,
                "convicted": shown.count(row[3] if row else 0),
                "fined": shown.count(row[4] if row else 0),
            }
        )
    fines = []
    for row in sorted((r for r in sentence_rows if not r[0] and r[2]), key=lambda r: r[2]):
        fined = shown.count(row[4])
        fines.append(
            {
                "currency": row[2],
                "fined": fined,
                "median_amount": None if fined is None or row[5] is None else f"{row[5]:.2f}",
            }
        )
    return {
        "funnel": funnel,
        "funnel_display": {k: shown.display(v) for k, v in funnel.items()},
        "median_days_complaint_to_verdict": median_days,
        "sentences": sentences,
        "fines": fines,
        "recidivism_rate": shown.rate(raw["recidivists"], raw["suspects"]),
        "by_role": by_role,
        "small_counts_withheld": not shown.exact,
    }


def prosecution_statistics(*, user, filters: Filters, table: str | None = None, api: bool = False) -> dict:
    """The statistics as a response shows them, the read logged once (`legal_case.statistics`: the filters,
    the table for a CSV; numbers only, no names)."""
    result = statistics_rows(user=user, filters=filters)
    details = {"filters": filters.as_details(), "small_counts_withheld": result["small_counts_withheld"]}
    if table:
        details["table"] = table
    if api:
        details["api"] = True
    record_event(actor=user, action="legal_case.statistics", object_type="legalcase", details=details)
    result.update(
        {
            **result["funnel"],
            "country": filters.country or None,
            "station": filters.station or None,
            "since": filters.since.isoformat() if filters.since else None,
            "until": filters.until.isoformat() if filters.until else None,
        }
    )
    return result


def _cell(value) -> str:
    return SUPPRESSED if value is None else str(value)


def _rate(value) -> str:
    return "" if value is None else f"{value:.3f}"


def table_csv(result: dict, table: str) -> str:
    """One table of `result` as CSV text (numbers and labels only)."""
    out = io.StringIO()
    writer = csv.writer(out)
    if table == "funnel":
        writer.writerow(["stage", "label", "suspects"])
        for key in FUNNEL_KEYS:
            writer.writerow([key, str(FUNNEL_LABELS[key]), _cell(result["funnel"][key])])
        writer.writerow(
            [
                "median_days_complaint_to_verdict",
                _("Median days from complaint to verdict"),
                ""
                if result["median_days_complaint_to_verdict"] is None
                else result["median_days_complaint_to_verdict"],
            ]
        )
        writer.writerow(["recidivism_rate", _("Recidivism rate"), _rate(result["recidivism_rate"])])
    elif table == "sentences":
        writer.writerow(["band", "label", "convicted_charges", "with_fine"])
        for row in result["sentences"]:
            writer.writerow([row["band"], row["label"], _cell(row["convicted"]), _cell(row["fined"])])
        for row in result["fines"]:
            writer.writerow(
                [f"fine_{row['currency']}", _("Median fine"), _cell(row["fined"]), row["median_amount"] or ""]
            )
    else:
        writer.writerow(
            ["role", "label", "suspects", "charged", "convicted", "convicted_trafficking", "conviction_rate"]
        )
        for row in result["by_role"]:
            writer.writerow(
                [
                    row["role"],
                    row["label"],
                    _cell(row["suspects"]),
                    _cell(row["charged"]),
                    _cell(row["convicted"]),
                    _cell(row["convicted_trafficking"]),
                    _rate(row["conviction_rate"]),
                ]
            )
    return out.getvalue()
