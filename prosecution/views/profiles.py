"""Pages of the trafficker profile (docs/prosecution.md "Trafficker profile and recidivism"): the profile
with its recidivism and prior records, editing it, adding a prior record. Every rule is the service's; a
page only shows the form and its errors. What the reader may not read is masked (`profile_context`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import StaleVersionError
from people import places
from people.masking import mask

from .. import policies, selectors
from ..forms.profiles import PriorRecordForm, ProfileForm, yes_no_initial
from ..models import HierarchyRole, MoneyUse
from ..recidivism import recidivism
from ..services import profiles as profile_services


def access(request, identity_pk, action: str = policies.VIEW, *, purpose: str):
    """`selectors.access_profile` for a page: an action the user may not do answers 404, as a profile out
    of reach does."""
    try:
        return selectors.access_profile(request.user, identity_pk, action, purpose=purpose)
    except PermissionDenied:
        raise Http404("No such profile.") from None


def show_errors(form, exc: ValidationError) -> None:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for field, field_messages in errors.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


def _labels(codes, enum) -> list[str]:
    names = dict(enum.choices)
    return [str(names.get(c, c)) for c in codes or []]


def _yes_no_label(value) -> str:
    return {True: _("Yes"), False: _("No")}.get(value, "")


def profile_context(access) -> dict:
    """What the profile page shows: codes as they are, texts and amounts masked without view_sensitive."""
    p, s = access.profile, access.sensitive
    visible = {c.pk for c in access.legal_cases}
    facts = recidivism(access.identity.pk, visible=visible, profile=p)
    fields = {}
    if p is not None:
        fields = {
            "ethnicity": mask(p.ethnicity, s),
            "education": mask(p.education, s),
            "occupation": mask(p.occupation, s),
            "marital_status": mask(p.marital_status, s),
            "home_district": mask(places.label(p.home_district), s),
            "income_level": mask(p.income_level, s),
            "owns_land_or_house": mask(_yes_no_label(p.owns_land_or_house), s),
            "debts": mask(p.debts, s),
            "pathway": p.get_pathway_display() if p.pathway else "",
            "pathway_narrative": mask(p.pathway_narrative, s),
            "roles": _labels(p.roles, HierarchyRole),
            "organised_network": p.organised_network,
            "amount": mask(f"{p.amount_per_victim} {p.amount_currency}".strip(), s)
            if p.amount_per_victim is not None
            else "",
            "money_uses": _labels(p.money_uses, MoneyUse),
            "relationship": p.get_relationship_to_victims_display() if p.relationship_to_victims else "",
        }
    return {
        "identity": access.identity,
        "profile": p,
        "fields": fields,
        "sensitive": s,
        "legal_cases": access.legal_cases,
        "person": selectors.profile_demographics(access),
        "recidivism": facts,
        "prior_records": [
            {
                "kind": r.get_kind_display(),
                "occurred_on": r.occurred_on,
                "description": mask(r.description, s),
                "sentence": mask(r.sentence, s),
                "source": mask(r.source, s),
            }
            for r in facts.prior_records
        ],
        "can_edit": access.work_case is not None,
    }


@login_required
@require_GET
def profile_detail(request, identity_pk):
    profile = access(request, identity_pk, purpose="profile")
    return render(request, "prosecution/profile.html", profile_context(profile))


def _initial(profile) -> dict:
    if profile is None:
        return {"version": 0, "amount_currency": "NPR"}
    return {
        "version": profile.version,
        "ethnicity": profile.ethnicity,
        "education": profile.education,
        "occupation": profile.occupation,
        "marital_status": profile.marital_status,
        "home_district": places.label(profile.home_district),
        "income_level": profile.income_level,
        "owns_land_or_house": yes_no_initial(profile.owns_land_or_house),
        "debts": profile.debts,
        "pathway": profile.pathway,
        "pathway_narrative": profile.pathway_narrative,
        "roles": profile.roles,
        "organised_network": yes_no_initial(profile.organised_network),
        "amount_per_victim": profile.amount_per_victim,
        "amount_currency": profile.amount_currency,
        "money_uses": profile.money_uses,
        "relationship_to_victims": profile.relationship_to_victims,
    }


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request, identity_pk):
    found = access(request, identity_pk, policies.CHANGE, purpose="profile_edit")
    form = (
        ProfileForm(request.POST)
        if request.method == "POST"
        else ProfileForm(initial=_initial(found.profile))
    )
    if request.method == "POST" and form.is_valid():
        version = form.cleaned_data.get("version")
        try:
            profile_services.profile_update(
                actor=request.user,
                identity=found.identity,
                data=form.data_for_service(),
                expected_version=version,
            )
        except PermissionDenied:
            raise Http404("No such profile.") from None
        except StaleVersionError as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Profile saved."))
            return redirect(reverse("prosecution:profile", kwargs={"identity_pk": found.identity.pk}))
    return render(
        request,
        "prosecution/profile_form.html",
        {"identity": found.identity, "form": form, "person": selectors.profile_demographics(found)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def prior_record_new(request, identity_pk):
    found = access(request, identity_pk, policies.CHANGE, purpose="prior_record")
    form = PriorRecordForm(request.POST) if request.method == "POST" else PriorRecordForm()
    if request.method == "POST" and form.is_valid():
        v = form.cleaned_data
        try:
            profile_services.prior_record_add(
                actor=request.user,
                identity=found.identity,
                kind=v["kind"],
                occurred_on=v["occurred_on"],
                description=v["description"],
                sentence=v["sentence"],
                source=v["source"],
                idempotency_key=v["idempotency_key"] or None,
            )
        except PermissionDenied:
            raise Http404("No such profile.") from None
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Prior record added."))
            return redirect(
                reverse("prosecution:profile", kwargs={"identity_pk": found.identity.pk}) + "#prior-records"
            )
    return render(request, "prosecution/prior_record_form.html", {"identity": found.identity, "form": form})
