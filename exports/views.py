from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from . import selectors, services
from .forms import CaseExportFilterForm, ExportForm, LegalCaseExportFilterForm
from .models import ExportKind, ExportStatus


@login_required
@require_http_methods(["GET", "POST"])
def export_list(request):
    if request.method == "POST":
        form = ExportForm(request.POST)
        if form.is_valid():
            try:
                job = services.export_request(
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    fmt=form.cleaned_data["format"],
                    deidentified=form.cleaned_data["deidentified"],
                    filters=form.filters_from(request.POST),
                )
            except PermissionDenied:
                raise Http404(_("You cannot export these records.")) from None
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Your export is being prepared."))
                return redirect("exports:detail", pk=job.pk)
        else:
            messages.error(request, _("Choose what to export and the format."))
    page = Paginator(selectors.jobs_of(request.user), 25).get_page(request.GET.get("page"))
    context = {"page": page}
    if services.can_export(request.user, ExportKind.CASES):
        # The case-file export: its filters (station, opened since / until, status) are chosen here.
        context["case_form"] = CaseExportFilterForm(
            request.POST
            if request.method == "POST" and request.POST.get("kind") == ExportKind.CASES
            else None,
            stations=selectors.case_export_station_choices(request.user),
        )
    if services.can_export(request.user, ExportKind.LEGAL_CASES):
        # The legal-case export (one row per charge): station, opened since / until, stage.
        context["legal_case_form"] = LegalCaseExportFilterForm(
            request.POST
            if request.method == "POST" and request.POST.get("kind") == ExportKind.LEGAL_CASES
            else None,
            stations=selectors.legal_case_export_station_choices(request.user),
            auto_id="legal_%s",  # the case-file form on the same page uses the default ids
        )
    return render(request, "exports/list.html", context)


@login_required
@require_GET
def export_detail(request, pk):
    job = selectors.job_get(user=request.user, pk=pk)
    return render(request, "exports/detail.html", {"job": job, "done": job.status == ExportStatus.DONE})


def serve_export(request, job):
    try:
        handle = services.export_download(actor=request.user, job=job)
    except (ValidationError, PermissionDenied):  # not ready, or the owner's rights have changed
        raise Http404(_("This export is not available.")) from None
    content_type = (
        "text/csv"
        if job.format == "csv"
        else ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )
    response = FileResponse(handle, as_attachment=True, filename=job.filename, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def export_download(request, pk):
    return serve_export(request, selectors.job_get(user=request.user, pk=pk))
