"""The prosecution funnel page and its CSV downloads (prosecution/statistics.py, docs/prosecution.md
"Statistics: the prosecution funnel")."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from prosecution import statistics
from prosecution.forms.statistics import StatisticsFilterForm


def _form(request) -> StatisticsFilterForm:
    if not statistics.may_see_statistics(request.user):
        raise Http404("No statistics for you.")
    return StatisticsFilterForm(request.GET or None, user=request.user)


@login_required
@require_GET
def funnel_page(request):
    form = _form(request)
    result, filters = None, statistics.Filters()
    if form.is_bound and form.is_valid():
        filters = form.filters()
    if not form.is_bound or form.is_valid():
        result = statistics.prosecution_statistics(user=request.user, filters=filters)
    funnel = []
    if result:
        funnel = [
            {"key": key, "label": statistics.FUNNEL_LABELS[key], "shown": result["funnel_display"][key]}
            for key in statistics.FUNNEL_KEYS
        ]
    return render(
        request,
        "prosecution/statistics.html",
        {
            "form": form,
            "result": result,
            "funnel": funnel,
            "filters": filters,
            "query": request.GET.urlencode(),
            "threshold": statistics.THRESHOLD,
        },
        status=200 if not form.is_bound or form.is_valid() else 400,
    )


@login_required
@require_GET
def funnel_csv(request, table: str):
    if table not in statistics.TABLES:
        raise Http404("No such table.")
    form = _form(request)
    if form.is_bound and not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain; charset=utf-8")
    filters = form.filters() if form.is_bound else statistics.Filters()
    result = statistics.prosecution_statistics(user=request.user, filters=filters, table=table)
    response = HttpResponse(statistics.table_csv(result, table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="prosecution-{table}.csv"'
    response["Cache-Control"] = "no-store"
    return response
