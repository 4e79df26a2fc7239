from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.access import stations_for
from accounts.roles import Action

from . import selectors
from .forms import EventFilterForm
from .policies import RECORD_TYPE, can_read_log


@login_required
@require_GET
def event_list(request):
    """The access log for auditors, filtered and paginated; reading it is itself logged (by the selector)."""
    if not can_read_log(request.user):
        raise Http404(_("No such page."))
    stations = stations_for(request.user, RECORD_TYPE, Action.VIEW).order_by("code")
    form = EventFilterForm(request.GET or None, stations=stations)
    filters = form.filters() if form.is_bound and form.is_valid() else selectors.EventFilters()
    page = selectors.event_page(user=request.user, filters=filters, page=request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/event_list.html", {"form": form, "page": page, "query": query.urlencode()})
