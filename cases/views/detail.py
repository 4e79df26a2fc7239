"""The case page and its change history (docs/cases.md "The case page and its timeline")."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from people.masking import mask
from people.phones import display as phone_display

from .. import policies, related, selectors, timeline
from ..forms.workflow import ClosureDecisionForm, ClosureRequestForm, ReopenForm, RiskForm
from ..models import CaseStatus, ConsentScope
from .assignment import assign_context


def access(request, pk, action: str = policies.VIEW, *, purpose: str = "view"):
    """`selectors.access_case` for a page: an action the user may not do answers 404, as a case out of
    reach does."""
    try:
        return selectors.access_case(request.user, pk, action, purpose=purpose)
    except PermissionDenied:
        raise Http404("No such case.") from None


def rights_of(user, case, held=None) -> dict[str, bool]:
    """What `user` may do on `case`, from the station's rights (`held`) read once."""
    held = policies.rights_at(user, case.station) if held is None else held
    return {
        "change": policies.may_change(user, case, rights=held),
        "assign": policies.may_assign(user, case, rights=held),
        "approve": policies.may_approve(user, case, rights=held),
        "refer": policies.may_refer(user, case, rights=held),
        "override": policies.may_override(user, case, rights=held),
        # a station manager who asked for the closure: `approve` at the station, but not on this request
        "approver": (policies.CASE, policies.APPROVE) in held,
    }


def _workflow_forms(case, rights, forms: dict) -> dict:
    """The workflow panel's forms (a posted one, with its errors, replaces the empty one) and which of
    them the user may use now."""
    status = case.status
    open_ = status in (CaseStatus.NEW, CaseStatus.ACTIVE)
    initial = {"version": case.version}
    context = {
        "can_set_risk": rights["change"],
        "can_request_closure": rights["change"] and open_,
        "can_decide_closure": rights["approve"] and status == CaseStatus.CLOSURE_REQUESTED,
        "own_closure_request": rights["approver"]
        and not rights["approve"]
        and status == CaseStatus.CLOSURE_REQUESTED,
        "can_reopen": rights["change"] and status == CaseStatus.CLOSED,
        "risk_form": RiskForm(initial={**initial, "risk": case.risk, "risk_reasons": case.risk_reasons}),
        "closure_form": ClosureRequestForm(initial=initial),
        "decision_form": ClosureDecisionForm(initial=initial),
        "reopen_form": ReopenForm(initial=initial),
    }
    context.update(forms)
    return context


def page_context(request, case, **forms) -> dict:
    """Everything the case page and its partials need (the contract is written at the top of
    templates/cases/detail.html). One query per list, whatever the number of sub-records."""
    user = request.user
    sensitive = bool(case.can_see_sensitive)
    held = policies.rights_at(user, case.station)
    rights = rights_of(user, case, held)
    consents = list(selectors.consents_of(case))
    interviews = list(selectors.interviews_of(case))
    services = list(selectors.services_of(case))
    follow_ups = list(selectors.follow_ups_of(case))
    referrals = list(selectors.referrals_of(case))
    summary = selectors.case_summary(case, consents=consents, interviews=interviews, follow_ups=follow_ups)
    scopes = dict(ConsentScope.choices)
    person = case.person
    context = {
        "case": case,
        "sensitive": sensitive,
        "rights": rights,
        "consents": consents,
        "interviews": interviews,
        "services": services,
        "follow_ups": follow_ups,
        "referrals": referrals,
        "today": case.station.local_today(),
        "summary": summary,
        "consent_summary": [
            {"scope": code, "label": label, "decision": summary["consents"].get(code, "")}
            for code, label in scopes.items()
        ],
        "person": {
            "name": mask(person.full_name, sensitive),
            "age": person.age,
            "gender": person.get_gender_display() if person.gender else "",
            "phone": mask(phone_display(person.phone, region=case.station.country.code), sensitive),
            "identity": person.identity_id,
        },
        "risk_reasons": mask(case.risk_reasons, sensitive),
        "closure_notes": mask(case.closure_notes, sensitive),
        "reopen_reason": mask(case.reopen_reason, sensitive),
        "timeline": timeline.timeline(case),
        "legal_summaries": related.legal_summaries(user, case),
        **_workflow_forms(case, rights, forms),
    }
    context.update(assign_context(request, case, rights=held))
    return context


@login_required
@require_GET
def case_detail(request, pk):
    case = access(request, pk)
    return render(request, "cases/detail.html", page_context(request, case))


@login_required
@require_GET
def case_history(request, pk):
    case = access(request, pk, purpose="history")
    return render(
        request,
        "cases/history.html",
        {"case": case, "sensitive": bool(case.can_see_sensitive), "history": timeline.history_of(case)},
    )
