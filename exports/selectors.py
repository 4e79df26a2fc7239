from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.access import stations_for
from accounts.models import Station
from accounts.roles import Action

from .models import ExportJob, ExportKind

RECORD_TYPE = {
    ExportKind.INTERCEPTIONS: "interception",
    ExportKind.PERSONS: "person",
    ExportKind.CASES: "case",
    ExportKind.LEGAL_CASES: "legal_case",
}
# The record type whose `view_sensitive` shows the names and contacts of a kind's rows: the interception's
# for the people on it (as on the interception page), the case file's for cases.
SENSITIVE_RECORD_TYPE = {
    ExportKind.INTERCEPTIONS: "interception",
    ExportKind.PERSONS: "interception",
    ExportKind.CASES: "case",
    ExportKind.LEGAL_CASES: "legal_case",
}


@dataclass
class CaseExportFilters:
    """The filters of a `cases` export (exports.forms.CaseExportFilterForm): the station, the opening date
    range (the case's `opened_on`, the station's local date) and the status."""

    station: str | None = None  # station code
    date_from: date | None = None  # opened on or after
    date_to: date | None = None  # opened on or before
    status: str | None = None

    def as_details(self) -> dict:
        """The filters for the access log and the export job."""
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items() if v}

    def apply(self, qs: QuerySet, prefix: str = "") -> QuerySet:
        p = prefix
        if self.station:
            # a scalar subquery, not a join: an index condition on the case's own column
            station_id = Station.objects.filter(code=self.station.upper()).values("pk")[:1]
            qs = qs.filter(**{f"{p}station_id": Subquery(station_id)})
        if self.date_from:
            qs = qs.filter(**{f"{p}opened_on__gte": self.date_from})
        if self.date_to:
            qs = qs.filter(**{f"{p}opened_on__lte": self.date_to})
        if self.status:
            qs = qs.filter(**{f"{p}status": self.status})
        return qs


@dataclass
class LegalCaseExportFilters:
    """The filters of a `legal_cases` export (exports.forms.LegalCaseExportFilterForm): the station, the
    opening date range of the legal case (`opened_on`) and its stage. Rows are charges: the filters apply
    to their legal case."""

    station: str | None = None  # station code
    date_from: date | None = None  # legal case opened on or after
    date_to: date | None = None  # legal case opened on or before
    stage: str | None = None

    def as_details(self) -> dict:
        """The filters for the access log and the export job."""
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items() if v}

    def apply(self, qs: QuerySet, prefix: str = "") -> QuerySet:
        p = prefix
        if self.station:
            station_id = Station.objects.filter(code=self.station.upper()).values("pk")[:1]
            qs = qs.filter(**{f"{p}station_id": Subquery(station_id)})
        if self.date_from:
            qs = qs.filter(**{f"{p}opened_on__gte": self.date_from})
        if self.date_to:
            qs = qs.filter(**{f"{p}opened_on__lte": self.date_to})
        if self.stage:
            qs = qs.filter(**{f"{p}stage": self.stage})
        return qs


def jobs_of(user) -> QuerySet[ExportJob]:
    """A user's own exports: nobody else's export is ever visible, whatever their role."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ExportJob.objects.none()
    return ExportJob.objects.filter(user_id=user.pk)


def job_get(*, user, pk) -> ExportJob:
    try:
        return jobs_of(user).get(pk=int(pk))
    except (ExportJob.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such export.")) from None


def export_stations(user, kind: str, station_filter: str | None = None) -> list[str]:
    """Codes of the stations an export of `kind` by `user` covers now: where they hold `export`, narrowed
    by the station filter."""
    stations = stations_for(user, RECORD_TYPE[kind], Action.EXPORT)
    if station_filter:
        stations = stations.filter(code=str(station_filter).upper())
    return sorted(stations.values_list("code", flat=True))


def case_export_station_choices(user) -> list[tuple[str, str]]:
    """(code, name) of the stations where `user` may export case files: the case export form's picker."""
    stations = stations_for(user, RECORD_TYPE[ExportKind.CASES], Action.EXPORT)
    return list(stations.order_by("code").values_list("code", "name"))


def legal_case_export_station_choices(user) -> list[tuple[str, str]]:
    """(code, name) of the stations where `user` may export legal cases: the legal-case export's picker."""
    stations = stations_for(user, RECORD_TYPE[ExportKind.LEGAL_CASES], Action.EXPORT)
    return list(stations.order_by("code").values_list("code", "name"))


def sensitive_stations(user, codes, kind: str = ExportKind.INTERCEPTIONS) -> list[str]:
    """Of the station `codes`, those where `user` may see names and contacts (view_sensitive) of the rows
    of an export of `kind`."""
    record_type = SENSITIVE_RECORD_TYPE[kind]
    allowed = stations_for(user, record_type, Action.VIEW_SENSITIVE).filter(code__in=list(codes))
    return sorted(allowed.values_list("code", flat=True))


def rights_hold(job: ExportJob) -> bool:
    """Whether the owner still holds the rights the file was written with: `export` at every station it
    covers and `view_sensitive` wherever it shows names. A revoked role, a lost station or a deactivated
    account closes the file (the page and the API answer 404)."""
    user = job.user
    if not getattr(user, "is_active", False):
        return False
    if not set(job.stations) <= set(export_stations(user, job.kind, (job.filters or {}).get("station"))):
        return False
    if not job.stations and not export_stations(user, job.kind):  # an empty file, or one from before
        return False
    wanted = set(job.sensitive_stations)
    return not wanted or wanted <= set(sensitive_stations(user, wanted, job.kind))
