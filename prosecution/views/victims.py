"""Pages of the victims of a legal case (docs/prosecution.md "Victims in the legal case"): link a case file,
keep her contact status, willingness to testify and protection measures. Each page fetches the legal case
through `selectors.access_legal_case` with the `change` action (a viewer who may not work on it gets 404,
as for a legal case out of reach); every write goes through prosecution.services.victims."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import StaleVersionError, TransitionError
from people.masking import mask

from .. import policies, selectors
from ..forms.victims import VictimAddForm, VictimForm
from ..services import victims as services


def access_for_change(request, pk, *, purpose: str):
    try:
        return selectors.access_legal_case(request.user, pk, policies.CHANGE, purpose=purpose)
    except PermissionDenied:
        raise Http404("No such legal case.") from None


def back(legal_case, anchor: str):
    return redirect(reverse("prosecution:detail", args=[legal_case.pk]) + f"#{anchor}")


def show_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _case_label(case, sensitive: bool) -> str:
    return f"{case.number} – {mask(case.person.full_name, sensitive)}"


@login_required
@require_http_methods(["GET", "POST"])
def victim_new(request, pk):
    legal_case = access_for_change(request, pk, purpose="victim_add")
    sensitive = bool(legal_case.can_see_sensitive)
    choices = [
        (str(c.pk), _case_label(c, sensitive))
        for c in selectors.victim_case_choices(request.user, legal_case)
    ]
    form = VictimAddForm(request.POST or None, choices=choices)
    if request.method == "POST" and form.is_valid():
        case_id = form.cleaned_data.get("victim_case")
        number = (form.cleaned_data.get("case_number") or "").strip().upper()
        if not case_id and number:
            case_id = selectors.case_files_by_number(request.user, [number]).get(number)
        try:
            if not case_id:
                raise ValidationError(
                    {"case_number": _("There is no such case file, or you may not see it.")}
                )
            _victim, created = services.victim_add(
                actor=request.user, legal_case=legal_case, victim_case=int(case_id)
            )
        except ValidationError as exc:
            if "victim_case" in exc.message_dict and "victim_case" not in form.fields:
                exc = ValidationError({"case_number": exc.message_dict["victim_case"]})
            show_errors(form, exc)
        except TransitionError as exc:
            form.add_error(None, str(exc))
        else:
            if created:
                messages.success(request, _("Victim added to the legal case."))
            else:
                messages.info(request, _("This case file was in the legal case already."))
            return back(legal_case, "victims")
    return render(request, "prosecution/victim_add.html", {"legal_case": legal_case, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def victim_edit(request, pk, victim_pk):
    legal_case = access_for_change(request, pk, purpose="victim_change")
    victim = selectors.victim_of(legal_case, victim_pk)
    initial = {
        "contact_status": victim.contact_status,
        "last_contacted_on": victim.last_contacted_on,
        "last_attempted_on": victim.last_attempted_on,
        "willing_to_testify": victim.willing_to_testify,
        "protection_measures": victim.protection_measures,
        "version": victim.version,
    }
    form = VictimForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.victim_update(
                actor=request.user,
                victim=victim,
                expected_version=form.cleaned_data["version"],
                **form.values(),
            )
        except ValidationError as exc:
            show_errors(form, exc)
        except (StaleVersionError, TransitionError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved."))
            return back(legal_case, "victims")
    context = {
        "legal_case": legal_case,
        "form": form,
        "victim": victim,
        "victim_label": _case_label(victim.victim_case, bool(legal_case.can_see_sensitive)),
    }
    return render(request, "prosecution/victim_form.html", context)
