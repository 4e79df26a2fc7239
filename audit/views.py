from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.access import stations_for
from accounts.roles import Action

from . import selectors
from .forms import EventFilterForm
from .policies import RECORD_TYPE, can_read_log
from .services import record_event

PAGE_SIZE = 50


@login_required
@require_GET
def event_list(request):
    """The access log for auditors, filtered and paginated; reading it is itself logged."""
    if not can_read_log(request.user):
        raise Http404("No such page.")
    stations = stations_for(request.user, RECORD_TYPE, Action.VIEW).order_by("code")
    form = EventFilterForm(request.GET or None, stations=stations)
    filters = form.filters() if form.is_bound and form.is_valid() else selectors.EventFilters()
    qs = selectors.event_list(user=request.user, filters=filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)  # read the rows before this read is itself logged
    record_event(
        actor=request.user,
        action="audit.list",
        details={"filters": filters.as_details(), "count": page.paginator.count, "page": page.number},
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/event_list.html", {"form": form, "page": page, "query": query.urlencode()})
