"""Pages of court cases, charges, verdicts and appeals (docs/prosecution.md "Court cases, charges,
verdicts, sentences, appeals"). Every page fetches the legal case through `selectors.access_legal_case`;
every write goes through prosecution/services/charges.py."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import StaleVersionError

from .. import policies, selectors
from ..forms.charges import AppealForm, ChargeForm, CourtCaseForm, VerdictForm
from ..services import charges as services
from .suspects import access, case_page, render_form, show_errors


@login_required
@require_http_methods(["GET", "POST"])
def court_case_new(request, pk):
    legal_case = access(request, pk, policies.CHANGE, purpose="court-case-add")
    form = CourtCaseForm(
        request.POST if request.method == "POST" else None, courts=selectors.courts_of(legal_case)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.court_case_add(
                actor=request.user,
                legal_case=legal_case,
                court=data["court"],
                number=data["number"],
                filed_on=data["filed_on"],
            )
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            return redirect(case_page(legal_case, "court-cases"))
    return render_form(
        request,
        legal_case,
        form,
        title=_("Add a court case"),
        submit=_("Add the court case"),
        anchor="court-cases",
    )


def _statutes(legal_case):
    return selectors.statute_catalogue(legal_case.station.country.code)


@login_required
@require_http_methods(["GET", "POST"])
def charge_new(request, pk):
    legal_case = access(request, pk, policies.CHANGE, purpose="charge-add")
    suspects = [(s.pk, s.person.full_name) for s in selectors.suspects_of(legal_case)]
    form = ChargeForm(
        request.POST if request.method == "POST" else None,
        suspects=suspects,
        court_cases=selectors.court_cases_of(legal_case),
        statutes=_statutes(legal_case),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.charge_add(
                actor=request.user,
                legal_case=legal_case,
                suspect=data["suspect"],
                court_case=data["court_case"],
                charge=data["charge"],
            )
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            return redirect(case_page(legal_case, "charges"))
    return render_form(
        request, legal_case, form, title=_("Add a charge"), submit=_("Add the charge"), anchor="charges"
    )


@login_required
@require_http_methods(["GET", "POST"])
def charge_verdict(request, pk, charge_pk):
    legal_case = access(request, pk, policies.CHANGE, purpose="verdict")
    charge = selectors.charge_of(legal_case, charge_pk)
    initial = {
        "verdict": charge.verdict,
        "verdict_on": charge.verdict_on,
        "convicted_under": charge.convicted_under.code if charge.convicted_under_id else "",
        "years": charge.imprisonment_years,
        "months": charge.imprisonment_months,
        "days": charge.imprisonment_days,
        "fine_amount": charge.fine_amount,
        "fine_currency": charge.fine_currency or "NPR",
        "compensation_amount": charge.compensation_amount,
        "compensation_currency": charge.compensation_currency or "NPR",
        "version": charge.version,
    }
    form = VerdictForm(
        request.POST if request.method == "POST" else None, initial=initial, statutes=_statutes(legal_case)
    )
    problem = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        convicted = data["verdict"] == "convicted"
        compensation = data["compensation_amount"]
        try:
            services.charge_decide(
                actor=request.user,
                charge=charge,
                verdict=data["verdict"],
                verdict_on=data["verdict_on"],
                convicted_under=data["convicted_under"] or None,
                sentence=form.sentence() if convicted else None,
                compensation_amount=compensation if convicted else None,
                compensation_currency=(data["compensation_currency"] or "").upper()
                if convicted and compensation is not None
                else "",
                expected_version=data["version"],
            )
        except ValidationError as exc:
            show_errors(form, exc)
        except StaleVersionError as exc:
            problem = str(exc)
        else:
            return redirect(case_page(legal_case, f"charge-{charge.pk}"))
    return render_form(
        request,
        legal_case,
        form,
        title=_("Verdict on the charge %(code)s") % {"code": charge.statute.code},
        submit=_("Save the verdict"),
        anchor=f"charge-{charge.pk}",
        problem=problem,
        note=_("Total imprisonment in days = years × 365 + months × 30 + days."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def appeal_new(request, pk, charge_pk):
    legal_case = access(request, pk, policies.CHANGE, purpose="appeal-add")
    charge = selectors.charge_of(legal_case, charge_pk)
    form = AppealForm(
        request.POST if request.method == "POST" else None, courts=selectors.courts_of(legal_case)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.appeal_add(
                actor=request.user,
                charge=charge,
                filed_on=data["filed_on"],
                court=data["court"],
                outcome=data["outcome"],
                decided_on=data["decided_on"],
                sentence=form.sentence(),
            )
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            return redirect(case_page(legal_case, f"charge-{charge.pk}"))
    return render_form(
        request,
        legal_case,
        form,
        title=_("Appeal against the verdict on %(code)s") % {"code": charge.statute.code},
        submit=_("Record the appeal"),
        anchor=f"charge-{charge.pk}",
    )
