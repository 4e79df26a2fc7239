from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.access import stations_for
from accounts.roles import Action

from .models import ExportJob, ExportKind

RECORD_TYPE = {ExportKind.INTERCEPTIONS: "interception", ExportKind.PERSONS: "person"}


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


def sensitive_stations(user, codes) -> list[str]:
    """Of the station `codes`, those where `user` may see names and contacts (view_sensitive)."""
    allowed = stations_for(user, "interception", Action.VIEW_SENSITIVE).filter(code__in=list(codes))
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
    return not wanted or wanted <= set(sensitive_stations(user, wanted))
