"""Pages of suspects and arrests (docs/prosecution.md "Suspects and arrests"): add a suspect, record an
arrest, verify it with evidence (a second user), download the evidence. Every page fetches the legal case
through `selectors.access_legal_case` (out of reach or not allowed: 404); every write goes through
prosecution/services/suspects.py."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import StaleVersionError

from .. import policies, selectors
from ..forms.suspects import ArrestForm, SuspectForm, VerifyArrestForm
from ..services import suspects as services


def access(request, pk, action: str = policies.VIEW, *, purpose: str):
    """`selectors.access_legal_case` for a page: an action the user may not do answers 404, as a legal
    case out of reach does."""
    try:
        return selectors.access_legal_case(request.user, pk, action, purpose=purpose)
    except PermissionDenied:
        raise Http404("No such legal case.") from None


def show_errors(form, exc: ValidationError) -> None:
    """The service's errors on the form's fields (others above the form)."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for field, field_messages in errors.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


def case_page(legal_case, anchor: str) -> str:
    return reverse("prosecution:detail", kwargs={"pk": legal_case.pk}) + f"#{anchor}"


def render_form(request, legal_case, form, *, title: str, submit: str, anchor: str, problem="", **extra):
    return render(
        request,
        "prosecution/sub_form.html",
        {
            "legal_case": legal_case,
            "form": form,
            "title": title,
            "submit": submit,
            "back": case_page(legal_case, anchor),
            "problem": problem,
            **extra,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def suspect_new(request, pk):
    legal_case = access(request, pk, policies.CHANGE, purpose="suspect-add")
    candidates = list(selectors.suspect_candidates(request.user, legal_case))
    form = SuspectForm(request.POST if request.method == "POST" else None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.suspect_add(
                actor=request.user,
                legal_case=legal_case,
                person=data["person"],
                identity=data["identity"] if data["person"] is None else None,
                name=data["name"] if data["person"] is None else "",
                gender=data["gender"],
                age=data["age"],
                phone=data["phone"],
                role=data["role"],
                arrest_status=data["arrest_status"],
            )
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            return redirect(case_page(legal_case, "suspects"))
    return render_form(
        request, legal_case, form, title=_("Add a suspect"), submit=_("Add the suspect"), anchor="suspects"
    )


@login_required
@require_http_methods(["GET", "POST"])
def suspect_arrest(request, pk, suspect_pk):
    legal_case = access(request, pk, policies.CHANGE, purpose="arrest")
    suspect = selectors.suspect_of(legal_case, suspect_pk)
    initial = {
        "arrest_status": suspect.arrest_status,
        "arrested_on": suspect.arrested_on,
        "arrest_source": suspect.arrest_source,
        "version": suspect.version,
    }
    form = ArrestForm(request.POST if request.method == "POST" else None, initial=initial)
    problem = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.arrest_record(
                actor=request.user,
                suspect=suspect,
                arrest_status=data["arrest_status"],
                arrested_on=data["arrested_on"],
                arrest_source=data["arrest_source"],
                expected_version=data["version"],
            )
        except ValidationError as exc:
            show_errors(form, exc)
        except StaleVersionError as exc:
            problem = str(exc)
        else:
            return redirect(case_page(legal_case, f"suspect-{suspect.pk}"))
    return render_form(
        request,
        legal_case,
        form,
        title=_("Arrest of %(name)s") % {"name": suspect.person.full_name},
        submit=_("Save the arrest"),
        anchor=f"suspect-{suspect.pk}",
        problem=problem,
    )


@login_required
@require_http_methods(["GET", "POST"])
def verify_arrest(request, pk, suspect_pk):
    legal_case = access(request, pk, policies.VERIFY, purpose="arrest-verify")
    suspect = selectors.suspect_of(legal_case, suspect_pk)
    form = VerifyArrestForm(request.POST, request.FILES) if request.method == "POST" else VerifyArrestForm()
    problem = ""
    if request.method == "POST":
        try:
            services.arrest_verify(
                actor=request.user, suspect=suspect, evidence=request.FILES.get("evidence")
            )
        except ValidationError as exc:
            show_errors(form, exc)
        except PermissionDenied as exc:
            problem = str(exc)
        else:
            return redirect(case_page(legal_case, f"suspect-{suspect.pk}"))
    return render_form(
        request,
        legal_case,
        form,
        title=_("Verify the arrest of %(name)s") % {"name": suspect.person.full_name},
        submit=_("Verify the arrest"),
        anchor=f"suspect-{suspect.pk}",
        problem=problem,
        multipart=True,
        suspect=suspect,
    )


@login_required
@require_GET
def arrest_evidence(request, pk, suspect_pk):
    """The evidence of a suspect's arrest: only for those who may see the case's names (else 404), streamed
    from private storage as an attachment. `access_legal_case` logs the read (purpose "arrest_evidence")."""
    legal_case = access(request, pk, purpose="arrest_evidence")
    suspect = selectors.suspect_of(legal_case, suspect_pk) if legal_case.can_see_sensitive else None
    if suspect is None or not suspect.arrest_evidence:
        selectors.denied(request.user, pk, "arrest_evidence", station=legal_case.station)
        raise Http404("No such evidence.")
    response = FileResponse(
        suspect.arrest_evidence.open("rb"),
        content_type=suspect.arrest_evidence_type or "application/octet-stream",
        as_attachment=True,
        filename=suspect.arrest_evidence_name or "evidence",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
