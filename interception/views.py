from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import holds_anywhere
from accounts.models import Station
from accounts.roles import Action
from audit.selectors import record_events
from core.errors import IdempotencyConflict, StaleVersionError
from people.phones import display as phone_display
from people.places import label as place_label
from people.policies import may_search

from . import form_flow, policies, presenters, selectors, services
from .forms import (
    AttachmentForm,
    IntercepteeFormSet,
    InterceptionFilterForm,
    InterceptionForm,
    ShareForm,
    formset_people,
    person_whole_record_initial,
    whole_record_initial,
)
from .models import IntercepteeRole, Status
from .related import related_records

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
    # The station picker's choices come from the cache when the page renders, after the list read the
    # user's access profile (docs/interceptions.md, "Station picker").
    form = InterceptionFilterForm(
        request.GET or None,
        stations=lambda: selectors.station_choices(request.user),
        # The person filter, for users who may read names (docs/people.md "Search").
        person_search=True if may_search(request.user) else None,
    )
    filters = form.filters() if form.is_bound and form.is_valid() else selectors.InterceptionFilters()
    # A page number up to the capped count, or past it an "Older records" cursor (`after`).
    page = selectors.interception_page(
        user=request.user,
        filters=filters,
        page_number=request.GET.get("page"),
        per_page=PAGE_SIZE,
        after=request.GET.get("after") or None,
    )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("after", None)
    return render(
        request,
        "interception/list.html",
        {
            "form": form,
            "page": page,
            "rows": presenters.list_rows(page.object_list),
            "query": query.urlencode(),
            "can_add": holds_anywhere(request.user, "interception", Action.ADD),
            # Exports do not take the person filter: the export form is not offered while it is on.
            "can_export": holds_anywhere(request.user, "interception", Action.EXPORT) and not filters.person,
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
            # Records opened from this one that the user may see (case files: interception/related.py).
            "related": related_records(user, interception),
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
    draft = interception is None or interception.status == Status.DRAFT
    return {
        "form": form,
        "formset": formset,
        "i": interception,
        "role_choices": IntercepteeRole.choices,
        "error_summary": form_flow.error_summary(form, formset) if form.is_bound else [],
        "form_action": reverse("interception:edit", args=[interception.pk])
        if interception
        else reverse("interception:create"),
        # The page autosaves drafts only; a submitted record changes when its editor saves.
        "autosave_url": (
            reverse("interception:autosave", args=[interception.pk])
            if interception
            else reverse("interception:autosave-new")
        )
        if draft
        else "",
        "autosave_token": request.POST.get("autosave_token", "") if request.method == "POST" else "",
        "form_messages": _form_messages(),
    }


def _form_messages() -> dict:
    """What static/js/form.js says, translated here (the script holds no user-visible text)."""
    return {
        "saving": _("Saving…"),
        "saved": _("Draft saved at %(time)s."),
        "saved_except": _("Draft saved at %(time)s, except:"),
        "offline": _("Not saved — no connection. Retrying…"),
        "not_saved": _("Not saved:"),
        "conflict": _("This draft was changed elsewhere or can no longer be autosaved. Reload the page."),
        "logged_out": _("You are logged out. Log in again: your draft is kept."),
        "cancel": _("Leave this form? You have changed it."),
        "sending": _("Checking the connection…"),
    }


def _initial_people(interception):
    return [
        {
            "id": r.pk,
            "role": r.role,
            "full_name": r.person.full_name,
            "gender": r.person.gender,
            "age": r.person.age,
            # The phone as the monitor would type it (national format); the service stores E.164 again.
            "phone": phone_display(r.person.phone, region=interception.station.country.code),
            "address": r.person.address,
            "address_place": place_label(r.person.address_place) if r.person.address_place_id else "",
            "nationality": str(r.person.nationality or ""),
            "consent_to_use_information": r.consent_to_use_information,
            "consent_to_use_photo": r.consent_to_use_photo,
            **person_whole_record_initial(r),  # destination, purpose, suspect role
        }
        for r in interception.interceptees.all()
    ]


def _stored_initial(interception) -> dict:
    """The record as the edit form's initial values (also what autosave keeps for a field that did not
    parse)."""
    return {
        "station": interception.station,
        "occurred_at": interception.occurred_local.replace(tzinfo=None),
        "place": interception.place,
        "red_flags": [f.code for f in interception.red_flags.all()],
        "certainty": interception.certainty,
        "reason": interception.reason,
        "outcome": interception.outcome,
        "outcome_notes": interception.outcome_notes,
        "version": interception.version,
        **whole_record_initial(interception),  # journey, monitors, route, companions, documents
    }


@dataclass
class _FormSetup:
    """What builds the form for one record (or a new one): the same for showing, saving and autosaving."""

    stations: object
    flags: object
    initial: dict
    people: list
    interception: object = None

    def build(self, data=None):
        form = InterceptionForm(
            data, stations=self.stations, red_flags=self.flags, initial=dict(self.initial)
        )
        people = self.people
        if data is None and self.interception is None:
            people = [{"role": IntercepteeRole.POTENTIAL_VICTIM}]  # a new form starts with one victim row
        formset = IntercepteeFormSet(data, prefix="people", initial=people)
        return form, formset

    @property
    def station(self):
        return self.interception.station if self.interception else self.initial.get("station")

    def stored_people(self) -> dict:
        return {row["id"]: row for row in self.people if row.get("id")}


def _new_setup(request) -> _FormSetup:
    stations = selectors.stations_for_recording(request.user)
    if not stations.exists():
        raise Http404("You cannot record interceptions at any station.")
    return _FormSetup(
        stations=stations,
        flags=selectors.red_flags_for_user(request.user),
        # The person recording was there: ticked, and untick-able (a record typed up for a colleague).
        initial={"station": stations.first(), "monitors": [request.user.username]},
        people=[],
    )


def _edit_setup(interception) -> _FormSetup:
    return _FormSetup(
        stations=Station.objects.filter(pk=interception.station_id),
        flags=selectors.red_flags_for_station(interception.station),
        initial=_stored_initial(interception),
        people=_initial_people(interception),
        interception=interception,
    )


def _check_everything(setup: _FormSetup, form, formset, *, submit: bool) -> None:
    """The form did not parse: check the rest with the service too, so every error shows in one round
    (a field that did not parse is left empty for this check and keeps its own message)."""
    data = form_flow.patch(form.data, form, formset, station=setup.station)
    checked, checked_set = setup.build(data)
    if not (checked.is_valid() and checked_set.is_valid()):
        return
    try:
        services.interception_check(
            station=checked.cleaned_data["station"],
            data=checked.service_data(formset_people(checked_set)),
            submit=submit,
            interception=setup.interception,
        )
    except ValidationError as exc:
        form_flow.add_service_errors(form, formset, exc, form_flow.person_rows(checked_set), skip_parsed=True)


AUTOSAVES = "interception_autosaves"  # session: {pk: [token, version]} of this session's last autosaves


def _remember_autosave(request, interception, token: str) -> None:
    if not token:
        return
    saves = dict(request.session.get(AUTOSAVES, {}))
    saves.pop(str(interception.pk), None)
    saves[str(interception.pk)] = [token[:64], interception.version]
    request.session[AUTOSAVES] = dict(list(saves.items())[-20:])


def _base_version(request, interception, posted_version, token: str) -> int | None:
    """The version this page's save builds on: the one it posted, or the current one when the only save
    since was this page's own (a retry after a lost answer carries the same autosave token)."""
    if posted_version == interception.version:
        return posted_version
    mine = request.session.get(AUTOSAVES, {}).get(str(interception.pk))
    if token and mine and mine[0] == token[:64] and mine[1] == interception.version:
        return interception.version
    return posted_version


@login_required
@require_http_methods(["GET", "POST"])
def interception_create(request):
    setup = _new_setup(request)
    if request.method != "POST":
        form, formset = setup.build()
        return render(request, "interception/form.html", _form_context(request, form, formset))
    form, formset = setup.build(request.POST)
    submit = "submit" in request.POST
    if not (form.is_valid() and formset.is_valid()):
        _check_everything(setup, form, formset, submit=submit)
        return render(request, "interception/form.html", _form_context(request, form, formset))
    key = form.cleaned_data.get("idempotency_key") or None
    try:
        interception, created = services.interception_create(
            actor=request.user,
            station=form.cleaned_data["station"],
            data=form.service_data(formset_people(formset)),
            submit=submit,
            idempotency_key=key,
        )
    except IdempotencyConflict as exc:
        return _replay(request, key, form, formset, exc, submit=submit)
    except ValidationError as exc:
        form_flow.add_service_errors(form, formset, exc, form_flow.person_rows(formset))
        return render(request, "interception/form.html", _form_context(request, form, formset))
    if created:
        messages.success(request, _("Interception %(number)s saved.") % {"number": interception.number})
    else:
        # A replay answers with a record saved earlier: read it through the access check
        # (rights may have changed since), which logs the read.
        interception = _access(request, interception.pk, purpose="replay")
        messages.info(
            request, _("Interception %(number)s was already saved.") % {"number": interception.number}
        )
    return redirect("interception:detail", pk=interception.pk)


def _replay(request, key, form, formset, conflict, *, submit: bool):
    """The form's key already saved a record, and this post says something else (the page was shown again
    from history, or autosave saved the draft first): never a second record. When the page knows the
    record's current version, the post is a later state of the same form and updates that record; else
    the record's edit form is shown with what was posted, to check and save again."""
    pk = selectors.interception_id_for_key(user=request.user, key=key)
    if pk is None:
        form.add_error(None, conflict.conflict_message)
        return render(request, "interception/form.html", _form_context(request, form, formset))
    interception = _access(request, pk, purpose="replay")
    if not policies.may_change(request.user, interception):
        messages.info(
            request,
            _("This form was already used to save %(number)s; you can no longer change it.")
            % {"number": interception.number},
        )
        return redirect("interception:detail", pk=interception.pk)
    setup = _edit_setup(interception)
    version = _base_version(
        request, interception, form.cleaned_data.get("version"), request.POST.get("autosave_token", "")
    )
    data = request.POST.copy()
    if version == interception.version:
        edit_form, edit_set = setup.build(data)
        if edit_form.is_valid() and edit_set.is_valid():
            return _save_edit(request, setup, edit_form, edit_set, submit=submit, version=version)
    data["version"] = str(interception.version)
    edit_form, edit_set = setup.build(data)
    edit_form.is_valid()
    edit_set.is_valid()
    edit_form.add_error(
        None,
        _(
            "This form was already used to save %(number)s, which has changed since (it is now at version "
            "%(version)s). Nothing was saved now: check the fields below and save again to replace it, or "
            "open the saved record."
        )
        % {"number": interception.number, "version": interception.version},
    )
    return render(
        request, "interception/form.html", _form_context(request, edit_form, edit_set, interception)
    )


def _save_edit(request, setup: _FormSetup, form, formset, *, submit: bool, version: int | None):
    interception = setup.interception
    try:
        interception = services.interception_update(
            actor=request.user,
            interception=interception,
            expected_version=version or 0,
            data=form.service_data(formset_people(formset)),
            submit=submit,
        )
    except StaleVersionError as exc:
        form.add_error(None, str(exc))
    except PermissionDenied:
        raise Http404("No such interception.") from None
    except ValidationError as exc:
        form_flow.add_service_errors(form, formset, exc, form_flow.person_rows(formset))
    else:
        messages.success(
            request,
            _("Interception %(number)s saved (version %(version)s).")
            % {"number": interception.number, "version": interception.version},
        )
        return redirect("interception:detail", pk=interception.pk)
    return render(request, "interception/form.html", _form_context(request, form, formset, interception))


@login_required
@require_http_methods(["GET", "POST"])
def interception_edit(request, pk):
    interception = _access(request, pk, policies.CHANGE, purpose="edit")
    setup = _edit_setup(interception)
    if request.method != "POST":
        form, formset = setup.build()
        return render(request, "interception/form.html", _form_context(request, form, formset, interception))
    form, formset = setup.build(request.POST)
    submit = "submit" in request.POST
    if not (form.is_valid() and formset.is_valid()):
        _check_everything(setup, form, formset, submit=submit)
        return render(request, "interception/form.html", _form_context(request, form, formset, interception))
    version = _base_version(
        request, interception, form.cleaned_data.get("version"), request.POST.get("autosave_token", "")
    )
    return _save_edit(request, setup, form, formset, submit=submit, version=version)


def _autosave_answer(interception, formset, formset_rows: list[int], errors: list[dict]) -> dict:
    """The draft as form.js needs it: ids and version for the hidden fields, the edit URL, and each people
    row's interceptee id (by form row index) so a photo can be attached to that person. A row that was
    sent with an id keeps it; the new rows got the new ids, in the order they were sent."""
    sent = {n: formset.forms[n].cleaned_data.get("id") for n in formset_rows}
    new_ids = iter(
        sorted(set(interception.interceptees.values_list("pk", flat=True)) - {i for i in sent.values() if i})
    )
    people = [{"index": n, "id": sent[n] or next(new_ids, None)} for n in formset_rows]
    return {
        "saved": True,
        "id": interception.pk,
        "number": interception.number,
        "version": interception.version,
        "status": interception.status,
        "edit_url": reverse("interception:edit", args=[interception.pk]),
        "autosave_url": reverse("interception:autosave", args=[interception.pk]),
        "saved_at": timezone.now().astimezone(interception.station.tzinfo).strftime("%H:%M"),
        "people": people,
        "errors": errors,
    }


def _not_saved(errors: list[dict], status: int = 400, **extra) -> JsonResponse:
    return JsonResponse({"saved": False, "errors": errors, **extra}, status=status)


@login_required
@require_POST
def interception_autosave(request, pk=None):
    """Save the form as a draft now (form.js: every ~20 s after a change, and when a field is left). The
    first save creates the draft with the form's idempotency key, later ones update it; autosave never
    submits. A field that does not parse keeps its saved value (or stays empty) and is reported, so the
    rest is saved. Answers JSON."""
    token = request.POST.get("autosave_token", "")
    if pk is None:
        setup = _new_setup(request)
        pk = selectors.interception_id_for_key(user=request.user, key=request.POST.get("idempotency_key"))
    if pk is not None:
        interception = _access(request, pk, policies.CHANGE, purpose="autosave")
        if interception.status != Status.DRAFT:
            return _not_saved(
                [], status=409, reason="submitted", edit_url=reverse("interception:edit", args=[pk])
            )
        setup = _edit_setup(interception)
    form, formset = setup.build(request.POST)
    reported: dict[str, dict] = {}
    for _attempt in range(4):
        if not (form.is_valid() and formset.is_valid()):
            for item in form_flow.error_summary(form, formset):
                reported.setdefault(item["target"] + item["message"], item)
            data = form_flow.patch(
                form.data,
                form,
                formset,
                stored=setup.initial if setup.interception else None,
                stored_people=setup.stored_people(),
                station=setup.station,
            )
            form, formset = setup.build(data)
            if not (form.is_valid() and formset.is_valid()):
                for item in form_flow.error_summary(form, formset):
                    reported.setdefault(item["target"] + item["message"], item)
                return _not_saved(list(reported.values()))
        rows = form_flow.person_rows(formset)
        data = form.service_data(formset_people(formset))
        try:
            if setup.interception is None:
                interception, _created = services.interception_create(
                    actor=request.user,
                    station=form.cleaned_data["station"],
                    data=data,
                    submit=False,
                    idempotency_key=form.cleaned_data.get("idempotency_key") or None,
                )
            else:
                version = _base_version(request, setup.interception, form.cleaned_data.get("version"), token)
                interception = services.interception_update(
                    actor=request.user,
                    interception=setup.interception,
                    expected_version=version or 0,
                    data=data,
                    submit=False,
                )
        except IdempotencyConflict:
            # Created meanwhile with this key (a second tab, or a lost answer): update that draft instead.
            pk = selectors.interception_id_for_key(
                user=request.user, key=form.cleaned_data.get("idempotency_key")
            )
            if pk is None:
                return _not_saved([], status=409, reason="conflict")
            interception = _access(request, pk, policies.CHANGE, purpose="autosave")
            if interception.status != Status.DRAFT:
                return _not_saved([], status=409, reason="submitted")
            setup = _edit_setup(interception)
            form, formset = setup.build(request.POST)
            continue
        except StaleVersionError as exc:
            return _not_saved([], status=409, reason="stale", current_version=exc.current_version)
        except PermissionDenied:
            raise Http404("No such interception.") from None
        except ValidationError as exc:
            form_flow.add_service_errors(form, formset, exc, rows)
            continue
        _remember_autosave(request, interception, token)
        return JsonResponse(_autosave_answer(interception, formset, rows, list(reported.values())))
    return _not_saved(list(reported.values()))


@login_required
@require_GET
def my_drafts(request):
    """The user's unfinished records (drafts they created or are a monitor on), last saved first."""
    return render(request, "interception/drafts.html", {"drafts": selectors.my_drafts(user=request.user)})


@login_required
@require_POST
def attachment_upload(request, pk):
    interception = _access(request, pk, policies.ADD_ATTACHMENT, purpose="upload")
    form = AttachmentForm(request.POST, request.FILES)
    # photos.js uploads with "Accept: application/json" and gets the outcome as JSON, not a redirect
    as_json = request.accepts("application/json") and not request.accepts("text/html")
    if form.is_valid():
        try:
            attachment = services.attachment_add(
                actor=request.user,
                interception=interception,
                uploaded_file=form.cleaned_data["file"],
                interceptee=form.cleaned_data.get("interceptee"),
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            if as_json:
                errors = exc.message_dict if hasattr(exc, "error_dict") else {"file": exc.messages}
                return JsonResponse({"saved": False, "errors": errors}, status=400)
            messages.error(request, " ".join(exc.messages))
        else:
            if as_json:
                return JsonResponse(
                    {"saved": True, "id": attachment.pk, "interceptee": attachment.interceptee_id}, status=201
                )
            messages.success(request, _("Attachment added."))
    else:
        if as_json:
            return JsonResponse(
                {"saved": False, "errors": {k: list(v) for k, v in form.errors.items()}}, status=400
            )
        messages.error(request, _("Choose a file to attach."))
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
            (
                _("%(name)s no longer has access through sharing.")
                if level == "none"
                else _("Shared with %(name)s.")
            )
            % {"name": name},
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
    messages.success(request, _("Attachment deleted."))
    return redirect("interception:detail", pk=pk)
