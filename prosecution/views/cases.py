"""The legal case pages: the list, opening one, its page (with the other parts' partials), its complaint,
its stage and its change history (docs/prosecution.md "The legal case, its complaint and its stages")."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import IdempotencyConflict, StaleVersionError, TransitionError
from people.masking import mask

from .. import policies, selectors, timeline
from ..forms.cases import (
    LegalCaseEditForm,
    LegalCaseFilterForm,
    LegalCaseOpenForm,
    StageForm,
    numbers,
    stage_choices,
)
from ..services import cases as services
from ..services.numbering import station_today

PAGE_SIZE = 50


def access(request, pk, action: str = policies.VIEW, *, purpose: str = "view"):
    """`selectors.access_legal_case` for a page: an action the user may not do answers 404, as a legal
    case out of reach does."""
    try:
        return selectors.access_legal_case(request.user, pk, action, purpose=purpose)
    except PermissionDenied:
        raise Http404("No such legal case.") from None


def rights_of(user, legal_case) -> dict[str, bool]:
    held = policies.rights_at(user, legal_case.station)
    return {
        "change": policies.may_change(user, legal_case, rights=held),
        "verify": policies.may_verify(user, legal_case, rights=held),
        "delete": policies.may_delete(user, legal_case, rights=held),
    }


def _errors_to_form(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def page_context(request, legal_case, *, stage_form=None) -> dict:
    """Everything the legal case page and its parts' partials need (the contract is written at the top of
    templates/prosecution/detail.html). One query per list."""
    sensitive = bool(legal_case.can_see_sensitive)
    rights = rights_of(request.user, legal_case)
    parts = selectors.legal_case_parts(legal_case)
    next_stages = services.next_stages(legal_case)
    back = services.stage_before(legal_case) if legal_case.stage in services.ENDED else ""
    return {
        "legal_case": legal_case,
        "sensitive": sensitive,
        "rights": rights,
        **parts,
        "today": station_today(legal_case.station),
        "interceptions": selectors.interceptions_of(legal_case),
        "summary": mask(legal_case.summary, sensitive),
        "not_filed_notes": mask(legal_case.not_filed_notes, sensitive),
        "completeness": selectors.completeness(legal_case, parts=parts),
        "stage_options": stage_choices(next_stages, services.stage_label(back) if back else ""),
        "stage_form": stage_form or StageForm(initial={"version": legal_case.version}),
        "ended": legal_case.stage in services.ENDED,
        "timeline": timeline.timeline(legal_case),
    }


@login_required
@require_GET
def legal_case_list(request):
    user = request.user
    form = LegalCaseFilterForm(request.GET or None)
    valid = form.is_bound and form.is_valid()
    filters = form.filters() if valid else selectors.LegalCaseFilters()
    page = selectors.legal_case_page(
        user=user,
        filters=filters,
        page_number=request.GET.get("page"),
        per_page=PAGE_SIZE,
        after=request.GET.get("after") or None,
    )
    form.set_stations(selectors.legal_station_choices(user))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("after", None)
    return render(
        request,
        "prosecution/list.html",
        {
            "form": form,
            "page": page,
            "rows": page.object_list,
            "query": query.urlencode(),
            "active_filters": filters.as_details(),
            "can_open": policies.may_open_anywhere(user),
        },
    )


def _ids(value) -> list[int]:
    return [int(v) for v in (value or "").split(",") if v.strip().isdigit()]


@login_required
@require_http_methods(["GET", "POST"])
def legal_case_new(request):
    user = request.user
    if not policies.may_open_anywhere(user):
        raise Http404("No such page.")
    stations = list(selectors.stations_to_open_legal_cases_at(user))
    choices = [(s.code, f"{s.code} · {s.name}") for s in stations]
    initial = {}
    if request.method == "GET":
        found = selectors.interception_numbers(user, _ids(request.GET.get("interception")))
        if found:
            initial["interceptions"] = ", ".join(found)
        found = selectors.case_file_numbers(user, _ids(request.GET.get("case")))
        if found:
            initial["victim_cases"] = ", ".join(found)
    form = LegalCaseOpenForm(request.POST or None, stations=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        station = next(s for s in stations if s.code == d["station"])
        wanted_i, wanted_c = numbers(d["interceptions"]), numbers(d["victim_cases"])
        known_i = selectors.interceptions_by_number(user, wanted_i)
        known_c = selectors.case_files_by_number(user, wanted_c)
        unknown_i = [n for n in wanted_i if n not in known_i]
        unknown_c = [n for n in wanted_c if n not in known_c]
        if unknown_i:
            form.add_error("interceptions", _("No such interception: %(n)s") % {"n": ", ".join(unknown_i)})
        if unknown_c:
            form.add_error("victim_cases", _("No such case file: %(n)s") % {"n": ", ".join(unknown_c)})
        if not form.errors:
            try:
                legal_case, created = services.legal_case_open(
                    actor=user,
                    station=station,
                    interceptions=list(known_i.values()),
                    victim_cases=list(known_c.values()),
                    complaint_number=d["complaint_number"],
                    complaint_filed_on=d["complaint_filed_on"],
                    police_station=d["police_station"],
                    district=d["district"],
                    summary=d["summary"],
                    idempotency_key=d.get("idempotency_key"),
                )
            except IdempotencyConflict as e:
                form.add_error(None, e.conflict_message)
            except ValidationError as e:
                _errors_to_form(form, e)
            except PermissionDenied as e:
                form.add_error("station", str(e))
            else:
                if created:
                    messages.success(
                        request, _("Legal case %(number)s opened.") % {"number": legal_case.number}
                    )
                return redirect("prosecution:detail", pk=legal_case.pk)
    return render(request, "prosecution/new.html", {"form": form})


@login_required
@require_GET
def legal_case_detail(request, pk):
    legal_case = access(request, pk)
    return render(request, "prosecution/detail.html", page_context(request, legal_case))


@login_required
@require_http_methods(["GET", "POST"])
def legal_case_edit(request, pk):
    legal_case = access(request, pk, policies.CHANGE, purpose="edit")
    initial = {
        "complaint_number": legal_case.complaint_number,
        "complaint_filed_on": legal_case.complaint_filed_on,
        "police_station": legal_case.police_station,
        "district": legal_case.district.name if legal_case.district_id else legal_case.district_text,
        "summary": legal_case.summary,
        "version": legal_case.version,
    }
    form = LegalCaseEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        version = d.pop("version")
        if d["district"] == initial["district"]:
            d.pop("district")  # unchanged: keep the Place it points at
        try:
            services.legal_case_update(
                actor=request.user, legal_case=legal_case, expected_version=version, **d
            )
        except ValidationError as e:
            _errors_to_form(form, e)
        except StaleVersionError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, _("Legal case saved."))
            return redirect("prosecution:detail", pk=legal_case.pk)
    return render(request, "prosecution/edit.html", {"legal_case": legal_case, "form": form})


@login_required
@require_POST
def legal_case_stage(request, pk):
    legal_case = access(request, pk, policies.CHANGE, purpose="stage")
    form = StageForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.legal_case_stage(
                actor=request.user,
                legal_case=legal_case,
                stage=d["stage"],
                reason=form.reason_for_service(),
                notes=d.get("notes") or "",
                expected_version=d.get("version"),
            )
        except ValidationError as e:
            _errors_to_form(form, e)
        except (TransitionError, StaleVersionError) as e:
            messages.error(request, str(e))
            return redirect("prosecution:detail", pk=legal_case.pk)
        else:
            fresh = selectors.reload(legal_case)
            label = services.stage_label(fresh.stage)
            messages.success(request, _("The legal case is now at: %(stage)s.") % {"stage": label})
            return redirect("prosecution:detail", pk=legal_case.pk)
    return render(request, "prosecution/detail.html", page_context(request, legal_case, stage_form=form))


@login_required
@require_GET
def legal_case_history(request, pk):
    legal_case = access(request, pk, purpose="history")
    return render(
        request,
        "prosecution/history.html",
        {
            "legal_case": legal_case,
            "sensitive": bool(legal_case.can_see_sensitive),
            "history": timeline.history_of(legal_case),
        },
    )
