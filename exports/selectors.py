from django.db.models import QuerySet
from django.http import Http404

from .models import ExportJob


def jobs_of(user) -> QuerySet[ExportJob]:
    """A user's own exports: nobody else's export is ever visible, whatever their role."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ExportJob.objects.none()
    return ExportJob.objects.filter(user_id=user.pk)


def job_get(*, user, pk) -> ExportJob:
    try:
        return jobs_of(user).get(pk=int(pk))
    except (ExportJob.DoesNotExist, ValueError, TypeError):
        raise Http404("No such export.") from None
