from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import selectors, services
from .forms import PreferencesForm

PAGE_SIZE = 25


def _back_to_list(request):
    page = request.POST.get("page", "")
    url = reverse("alerts:list")
    return redirect(f"{url}?page={int(page)}" if page.isdigit() else url)


@login_required
@require_GET
def notification_list(request):
    """The user's own notifications, newest first, unread ones marked (a fixed number of queries)."""
    page = Paginator(selectors.notification_list(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "alerts/list.html", {"page": page})


@login_required
@require_POST
def notification_read(request, pk):
    services.notification_mark_read(actor=request.user, notification_id=pk)
    return _back_to_list(request)


@login_required
@require_POST
def notification_read_all(request):
    count = services.notification_mark_all_read(actor=request.user)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
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
        messages.success(request, "Your notification settings were saved.")
        return redirect("alerts:preferences")
    return render(request, "alerts/preferences.html", {"form": form})
