from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import stations_for
from accounts.models import Station
from accounts.roles import Action
from audit.selectors import record_events
from core.errors import StaleVersionError

from . import policies, presenters, selectors, services
from .forms import (
    AttachmentForm,
    IntercepteeFormSet,
    InterceptionFilterForm,
    InterceptionForm,
    ShareForm,
    formset_people,
)
from .models import IntercepteeRole

PAGE_SIZE = 25


def _access(request, pk, action: str = policies.VIEW, *, purpose: str = "view"):
    """`selectors.access_interception` for a page: an action the user may not do answers 404, as a
    record out of reach does."""
    try:
        return selectors.access_interception(request.user, pk, action, purpose=purpose)
    except PermissionDenied:
        raise Http404("No such interception.") from None


def _access_attachment(request, pk, attachment_pk, action: str = policies.VIEW):
    try:
        return selectors.access_attachment(request.user, pk, attachment_pk, action)
    except PermissionDenied:
        raise Http404("No such attachment.") from None


@login_required
@require_GET
def interception_list(request):
    stations = stations_for(request.user, "interception", Action.VIEW).order_by("code")
    form = InterceptionFilterForm(request.GET or None, stations=stations)
    filters = form.filters() if form.is_bound and form.is_valid() else selectors.InterceptionFilters()
    page = selectors.interception_page(
        user=request.user, filters=filters, page_number=request.GET.get("page"), per_page=PAGE_SIZE
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "interception/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_add": stations_for(request.user, "interception", Action.ADD).exists(),
            "can_export": stations_for(request.user, "interception", Action.EXPORT).exists(),
            "export_filters": filters.as_details(),
        },
    )


@login_required
@require_GET
def interception_detail(request, pk):
    user = request.user
    interception = _access(request, pk)
    sensitive = interception.can_see_sensitive
    rights = policies.rights_at(user, interception.station)
    can_share = policies.may_share(user, interception, rights=rights)
    victims, suspects = presenters.split_by_role(presenters.interceptee_rows(interception))
    return render(
        request,
        "interception/detail.html",
        {
            "i": interception,
            "sensitive": sensitive,
            "narrative": presenters.narrative(interception),
            "victims": victims,
            "suspects": suspects,
            "can_change": policies.may_change(user, interception, rights=rights),
            "can_attach": policies.may_add_attachment(user, interception, rights=rights),
            "can_delete_attachments": policies.may_delete_attachment(user, interception, rights=rights),
            "attachment_form": AttachmentForm(),
            "history": selectors.history_of(interception),
            "can_share": can_share,
            "shares": selectors.shares_of(interception) if can_share else [],
            "share_form": ShareForm() if can_share else None,
            # The panel's own read is logged by record_events (the access log's selector).
            "access_events": record_events(user=user, obj=interception) if can_share else None,
        },
    )


def _form_context(request, form, formset, interception=None):
    return {
        "form": form,
        "formset": formset,
        "i": interception,
        "role_choices": IntercepteeRole.choices,
    }


def _initial_people(interception):
    return [
        {
            "id": r.pk,
            "role": r.role,
            "full_name": r.person.full_name,
            "gender": r.person.gender,
            "age": r.person.age,
            "phone": r.person.phone,
            "address": r.person.address,
            "nationality": r.person.nationality,
            "consent_to_use_information": r.consent_to_use_information,
            "consent_to_use_photo": r.consent_to_use_photo,
        }
        for r in interception.interceptees.all()
    ]


@login_required
@require_http_methods(["GET", "POST"])
def interception_create(request):
    stations = selectors.stations_for_recording(request.user)
    if not stations.exists():
        raise Http404("You cannot record interceptions at any station.")
    flags = selectors.red_flags_for_user(request.user)
    if request.method == "POST":
        form = InterceptionForm(request.POST, stations=stations, red_flags=flags)
        formset = IntercepteeFormSet(request.POST, prefix="people")
        if form.is_valid() and formset.is_valid():
            try:
                interception, created = services.interception_create(
                    actor=request.user,
                    station=form.cleaned_data["station"],
                    data=form.service_data(formset_people(formset)),
                    submit="submit" in request.POST,
                    idempotency_key=form.cleaned_data.get("idempotency_key") or None,
                )
            except ValidationError as exc:
                _add_errors(form, exc, formset)
            else:
                if created:
                    messages.success(request, f"Interception {interception.number} saved.")
                else:
                    # A replay answers with a record saved earlier: read it through the access check
                    # (rights may have changed since), which logs the read.
                    interception = _access(request, interception.pk, purpose="replay")
                    messages.info(request, f"Interception {interception.number} was already saved.")
                return redirect("interception:detail", pk=interception.pk)
    else:
        form = InterceptionForm(stations=stations, red_flags=flags, initial={"station": stations.first()})
        formset = IntercepteeFormSet(
            prefix="people",
            initial=[{"role": IntercepteeRole.POTENTIAL_VICTIM}],
        )
    return render(request, "interception/form.html", _form_context(request, form, formset))


@login_required
@require_http_methods(["GET", "POST"])
def interception_edit(request, pk):
    interception = _access(request, pk, policies.CHANGE, purpose="edit")
    stations = Station.objects.filter(pk=interception.station_id)
    flags = selectors.red_flags_for_station(interception.station)
    if request.method == "POST":
        form = InterceptionForm(
            request.POST, stations=stations, red_flags=flags, initial={"station": interception.station}
        )
        formset = IntercepteeFormSet(request.POST, prefix="people", initial=_initial_people(interception))
        if form.is_valid() and formset.is_valid():
            try:
                interception = services.interception_update(
                    actor=request.user,
                    interception=interception,
                    expected_version=form.cleaned_data.get("version") or 0,
                    data=form.service_data(formset_people(formset)),
                    submit="submit" in request.POST,
                )
            except StaleVersionError as exc:
                form.add_error(None, str(exc))
            except PermissionDenied:
                raise Http404("No such interception.") from None
            except ValidationError as exc:
                _add_errors(form, exc, formset)
            else:
                messages.success(
                    request, f"Interception {interception.number} saved (version {interception.version})."
                )
                return redirect("interception:detail", pk=interception.pk)
    else:
        form = InterceptionForm(
            stations=stations,
            red_flags=flags,
            initial={
                "station": interception.station,
                "occurred_at": interception.occurred_local.replace(tzinfo=None),
                "place": interception.place,
                "red_flags": [f.code for f in interception.red_flags.all()],
                "certainty": interception.certainty,
                "reason": interception.reason,
                "outcome": interception.outcome,
                "outcome_notes": interception.outcome_notes,
                "version": interception.version,
            },
        )
        formset = IntercepteeFormSet(prefix="people", initial=_initial_people(interception))
    return render(request, "interception/form.html", _form_context(request, form, formset, interception))


def _add_errors(form, exc: ValidationError, formset=None) -> None:
    """The service's validation errors on the fields they name; the people's errors above the people."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            if field == "interceptees" and formset is not None:
                formset.non_form_errors().extend(errors)
            else:
                form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
@require_POST
def attachment_upload(request, pk):
    interception = _access(request, pk, policies.ADD_ATTACHMENT, purpose="upload")
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attachment_add(
                actor=request.user, interception=interception, uploaded_file=form.cleaned_data["file"]
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Attachment added.")
    else:
        messages.error(request, "Choose a file to attach.")
    return redirect("interception:detail", pk=interception.pk)


def serve_attachment(request, attachment):
    """Stream a private attachment fetched by `selectors.access_attachment` (which logged the download)."""
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=attachment.content_type == "application/pdf",
        filename=attachment.original_name,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def attachment_download(request, pk, attachment_pk):
    return serve_attachment(request, _access_attachment(request, pk, attachment_pk))


@login_required
@require_POST
def interception_share(request, pk):
    interception = _access(request, pk, policies.SHARE, purpose="share")
    form = ShareForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for errs in form.errors.values() for m in errs))
        return redirect("interception:detail", pk=interception.pk)
    try:
        level = form.cleaned_data["level"]
        services.interception_share(
            actor=request.user, interception=interception, level=level, user=form.cleaned_data["user"]
        )
        name = form.cleaned_data["name"]
        messages.success(
            request,
            f"{name} no longer has access through sharing." if level == "none" else f"Shared with {name}.",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("interception:detail", pk=interception.pk)


@login_required
@require_POST
def attachment_delete(request, pk, attachment_pk):
    attachment = _access_attachment(request, pk, attachment_pk, policies.DELETE_ATTACHMENT)
    try:
        services.attachment_delete(actor=request.user, attachment=attachment)
    except PermissionDenied:
        raise Http404("No such attachment.") from None
    messages.success(request, "Attachment deleted.")
    return redirect("interception:detail", pk=pk)
