from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import selectors, services
from .forms import NotificationFilterForm, PreferencesForm

PAGE_SIZE = 25


def _back_to_list(request):
    """Back to the page (and the rule filter) the button was on."""
    query = QueryDict(mutable=True)
    rule = NotificationFilterForm({"rule": request.POST.get("rule", "")}).chosen_rule()
    if rule:
        query["rule"] = rule
    page = request.POST.get("page", "")
    if page.isdigit():
        query["page"] = str(int(page))
    url = reverse("alerts:list")
    return redirect(f"{url}?{query.urlencode()}" if query else url)


@login_required
@require_GET
def notification_list(request):
    """The user's own notifications, newest first, unread ones marked, of one rule when `?rule=` is given
    (a fixed number of queries)."""
    form = NotificationFilterForm(request.GET or None)
    rule = form.chosen_rule() if form.is_bound else None
    page = Paginator(selectors.notification_list(user=request.user, rule=rule), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = QueryDict(mutable=True)
    if rule:
        query["rule"] = rule
    return render(request, "alerts/list.html", {"page": page, "form": form, "query": query.urlencode()})


@login_required
@require_GET
def notification_open(request, pk):
    """Open a notification: mark it read (the recipient's own only; anyone else's is a 404) and go to what
    it is about. Reading is not audited (the record it links to audits its own read)."""
    notification = services.notification_mark_read(actor=request.user, notification_id=pk)
    url = notification.url
    if not url_has_allowed_host_and_scheme(url, allowed_hosts=None) or not url.startswith("/"):
        url = reverse("alerts:list")
    return redirect(url)


@login_required
@require_POST
def notification_read(request, pk):
    services.notification_mark_read(actor=request.user, notification_id=pk)
    return _back_to_list(request)


@login_required
@require_POST
def notification_read_all(request):
    count = services.notification_mark_all_read(actor=request.user)
    messages.success(
        request,
        ngettext("%(count)s notification marked read.", "%(count)s notifications marked read.", count)
        % {"count": count},
    )
    return _back_to_list(request)


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    form = PreferencesForm(
        request.POST if request.method == "POST" else None,
        initial_email=selectors.email_preferences(request.user),
    )
    if form.is_bound and form.is_valid():
        services.preferences_set(actor=request.user, email=form.email_choices())
        messages.success(request, _("Your notification settings were saved."))
        return redirect("alerts:preferences")
    return render(request, "alerts/preferences.html", {"form": form})
