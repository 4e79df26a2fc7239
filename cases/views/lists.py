"""The case list ("My cases", the station's cases) and opening a case by hand (docs/cases.md)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import holds_anywhere
from accounts.roles import Action
from core.errors import IdempotencyConflict
from core.templatetags.nepali_tags import bs_date
from people.masking import mask

from .. import policies, selectors
from ..forms.lists import ALL, MINE, CaseFilterForm, CaseOpenForm
from ..models import CaseStatus
from ..services.opening import case_open

PAGE_SIZE = 50


def default_tab(user) -> str:
    """A case manager starts on "My cases"; a station manager, legal officer or director on the cases of
    their stations (all they may see)."""
    if holds_anywhere(user, "case", Action.ASSIGN):
        return ALL
    return MINE if holds_anywhere(user, "case", Action.CHANGE) else ALL


def list_rows(cases) -> list[dict]:
    """What each row shows; the name masked without `view_sensitive`; a follow-up due before today (at the
    station) marked overdue."""
    now = timezone.now()
    rows = []
    for case in cases:
        today = now.astimezone(case.station.tzinfo).date()
        due = case.next_follow_up_on
        rows.append(
            {
                "pk": case.pk,
                "number": case.number,
                "name": mask(case.person.full_name, bool(case.can_see_sensitive)) or "–",
                "station": case.station.code,
                "status": case.status,
                "status_label": case.get_status_display(),
                "risk": case.risk,
                "risk_label": case.get_risk_display() if case.risk else "",
                "assigned_to": case.assigned_to.username if case.assigned_to_id else "",
                "due": due,
                "due_bs": bs_date(due) if due else "",
                "overdue": bool(due and due < today and case.status != CaseStatus.CLOSED),
                "opened_on": case.opened_on,
                "opened_bs": bs_date(case.opened_on),
            }
        )
    return rows


@login_required
@require_GET
def case_list(request):
    user = request.user
    tab = request.GET.get("tab")
    tab = tab if tab in (MINE, ALL) else default_tab(user)
    form = CaseFilterForm(request.GET or None)
    valid = form.is_bound and form.is_valid()
    filters = form.filters(mine=tab == MINE) if valid else selectors.CaseFilters(mine=tab == MINE)
    page = selectors.case_page(
        user=user,
        filters=filters,
        page_number=request.GET.get("page"),
        per_page=PAGE_SIZE,
        after=request.GET.get("after") or None,
    )
    form.set_stations(selectors.station_choices(user))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("after", None)
    query["tab"] = tab
    active = {k: v for k, v in filters.as_details().items() if k != "mine"}
    return render(
        request,
        "cases/list.html",
        {
            "form": form,
            "page": page,
            "rows": list_rows(page.object_list),
            "tab": tab,
            "query": query.urlencode(),
            "active_filters": active,
            "can_open": policies.may_open_anywhere(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_new(request):
    user = request.user
    if not policies.may_open_anywhere(user):
        raise Http404("No such page.")
    stations = list(selectors.stations_to_open_at(user))
    choices = [(s.code, f"{s.code} · {s.name}") for s in stations]
    initial = {}
    identity = request.GET.get("person")
    if identity and identity.isdigit():
        initial["identity"] = int(identity)
    form = CaseOpenForm(request.POST or None, stations=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        station = next(s for s in stations if s.code == d["station"])
        try:
            case, created = case_open(
                actor=user,
                station=station,
                source=d["source"],
                source_notes=d.get("source_notes") or "",
                person=form.person(),
                idempotency_key=d.get("idempotency_key"),
            )
        except IdempotencyConflict as e:
            form.add_error(None, e.conflict_message)
        except ValidationError as e:
            for field, errors in e.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except PermissionDenied as e:
            form.add_error("station", str(e))
        else:
            if created:
                messages.success(request, _("Case %(number)s opened.") % {"number": case.number})
            return redirect("cases:detail", pk=case.pk)
    return render(
        request,
        "cases/new.html",
        {
            "form": form,
            "known_person": form["identity"].value() if not form.is_bound else form.data.get("identity"),
        },
        status=200,
    )
