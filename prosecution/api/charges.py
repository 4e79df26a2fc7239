"""Court cases, charges, verdicts, sentences and appeals of a legal case in the API (docs/api.md
"Prosecution"), and the statute catalogue (`GET /api/v1/charges/?country=NP`: reference data, no personal
data, any signed-in user). Reads go through `selectors.access_legal_case`; writes through
prosecution/services/charges.py, which computes `imprisonment_total_days`."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.fields import StrictCharField, StrictDecimalField
from core.permissions import Authenticated
from people.masking import mask

from .. import policies, selectors
from ..models import AppealOutcome, Verdict
from ..policies import LegalCasePolicy
from ..services import charges as services

MAX_ID = 2**31 - 1  # larger numbers name no row


def _text(max_length, help_text=None):
    return StrictCharField(
        max_length=max_length, required=False, allow_blank=True, default="", help_text=help_text
    )


class SentenceInputSerializer(serializers.Serializer):
    years = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=150
    )
    months = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=11
    )
    days = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0, max_value=30)
    fine_amount = StrictDecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, default=None, min_value=0
    )
    fine_currency = _text(3, "ISO 4217, e.g. NPR")


class CourtCaseInputSerializer(serializers.Serializer):
    court = StrictCharField(max_length=200, help_text="A court of the case's country: its id or exact name.")
    number = StrictCharField(max_length=60)
    filed_on = serializers.DateField(required=False, allow_null=True, default=None)


class ChargeInputSerializer(serializers.Serializer):
    suspect = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    court_case = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    charge = StrictCharField(max_length=40, help_text="A statute code: GET /api/v1/charges/?country=NP.")


class VerdictInputSerializer(serializers.Serializer):
    verdict = StrictCharField(max_length=12, help_text=", ".join(Verdict.values))
    verdict_on = serializers.DateField(required=False, allow_null=True, default=None)
    convicted_under = _text(40, "A statute code; on conviction, defaults to the charge's own.")
    sentence = SentenceInputSerializer(required=False, allow_null=True, default=None)
    compensation_amount = StrictDecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, default=None, min_value=0
    )
    compensation_currency = _text(3)
    version = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=MAX_ID
    )


class AppealInputSerializer(serializers.Serializer):
    filed_on = serializers.DateField()
    court = _text(200, "A court of the case's country: its id or exact name.")
    outcome = _text(20, ", ".join(AppealOutcome.values))
    decided_on = serializers.DateField(required=False, allow_null=True, default=None)
    sentence = SentenceInputSerializer(required=False, allow_null=True, default=None)


def statute_data(statute) -> dict | None:
    if statute is None:
        return None
    return {
        "code": statute.code,
        "title": statute.title,
        "act": statute.act,
        "section": statute.section,
        "is_trafficking": statute.is_trafficking,
    }


def court_case_data(court_case) -> dict:
    return {
        "id": court_case.pk,
        "court": court_case.court_id,
        "court_name": court_case.court.name,
        "number": court_case.number,
        "filed_on": court_case.filed_on.isoformat() if court_case.filed_on else None,
    }


def _sentence(row) -> dict:
    return {
        "years": row.imprisonment_years,
        "months": row.imprisonment_months,
        "days": row.imprisonment_days,
        "fine_amount": None if row.fine_amount is None else str(row.fine_amount),
        "fine_currency": row.fine_currency,
    }


def appeal_data(appeal) -> dict:
    return {
        "id": appeal.pk,
        "filed_on": appeal.filed_on.isoformat(),
        "court": appeal.court_id,
        "outcome": appeal.outcome,
        "decided_on": appeal.decided_on.isoformat() if appeal.decided_on else None,
        "sentence": _sentence(appeal),
        "imprisonment_total_days": appeal.imprisonment_total_days,
    }


def charge_data(charge, sensitive: bool) -> dict:
    return {
        "id": charge.pk,
        "suspect": charge.suspect_id,
        "suspect_name": mask(charge.suspect.person.full_name, sensitive),
        "court_case": charge.court_case_id,
        "charge": statute_data(charge.statute),
        "verdict": charge.verdict,
        "verdict_on": charge.verdict_on.isoformat() if charge.verdict_on else None,
        "convicted_under": statute_data(charge.convicted_under),
        "lesser_conviction": services.is_lesser_conviction(charge),
        "sentence": _sentence(charge),
        "imprisonment_total_days": charge.imprisonment_total_days,
        "compensation_amount": None
        if charge.compensation_amount is None
        else str(charge.compensation_amount),
        "compensation_currency": charge.compensation_currency,
        "appeals": [appeal_data(a) for a in charge.appeals.all()],
        "version": charge.version,
    }


class StatuteListView(APIView):
    """GET ?country=NP: the active statute catalogue of a country (no personal data)."""

    policy = Authenticated
    required_actions = {"GET": "view"}

    @extend_schema(
        operation_id="statutes_list",
        parameters=[OpenApiParameter("country", str, description="ISO 3166-1 alpha-2, e.g. NP")],
        responses={200: dict},
    )
    def get(self, request):
        country = request.query_params.get("country", "")
        return Response({"results": [statute_data(s) for s in selectors.statute_catalogue(country)]})


class CourtCaseListView(APIView):
    """GET: the legal case's court cases. POST `{"court", "number"}`: add one (201 with its `id`)."""

    policy = LegalCasePolicy
    required_actions = {"GET": policies.VIEW, "POST": policies.CHANGE}

    @extend_schema(operation_id="legal_case_court_cases_list", responses={200: dict})
    def get(self, request, pk):
        legal_case = selectors.access_legal_case(request.user, pk, purpose="court-cases")
        return Response({"results": [court_case_data(c) for c in selectors.court_cases_of(legal_case)]})

    @extend_schema(
        operation_id="legal_case_court_cases_create", request=CourtCaseInputSerializer, responses={201: dict}
    )
    def post(self, request, pk):
        legal_case = selectors.access_legal_case(request.user, pk, policies.CHANGE, purpose="court-case-add")
        serializer = CourtCaseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        court_case = services.court_case_add(
            actor=request.user,
            legal_case=legal_case,
            court=v["court"],
            number=v["number"],
            filed_on=v["filed_on"],
        )
        court_case = selectors.court_case_of(legal_case, court_case.pk)
        return Response(court_case_data(court_case), status=status.HTTP_201_CREATED)


class ChargeListView(APIView):
    """GET: the legal case's charges with verdicts, sentences and appeals. POST `{"suspect", "court_case",
    "charge"}`: charge a suspect (201)."""

    policy = LegalCasePolicy
    required_actions = {"GET": policies.VIEW, "POST": policies.CHANGE}

    @extend_schema(operation_id="legal_case_charges_list", responses={200: dict})
    def get(self, request, pk):
        legal_case = selectors.access_legal_case(request.user, pk, purpose="charges")
        sensitive = bool(legal_case.can_see_sensitive)
        return Response({"results": [charge_data(c, sensitive) for c in selectors.charges_of(legal_case)]})

    @extend_schema(
        operation_id="legal_case_charges_create", request=ChargeInputSerializer, responses={201: dict}
    )
    def post(self, request, pk):
        legal_case = selectors.access_legal_case(request.user, pk, policies.CHANGE, purpose="charge-add")
        serializer = ChargeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        charge = services.charge_add(
            actor=request.user,
            legal_case=legal_case,
            suspect=v["suspect"],
            court_case=v["court_case"],
            charge=v["charge"],
        )
        charge = selectors.charge_of(legal_case, charge.pk)
        return Response(
            charge_data(charge, bool(legal_case.can_see_sensitive)), status=status.HTTP_201_CREATED
        )


class ChargeDetailView(APIView):
    """GET: one charge. PATCH: its verdict (`verdict`, `verdict_on`, `convicted_under`, `sentence`,
    `compensation_amount`, `compensation_currency`, `version`); the answer has `imprisonment_total_days`."""

    policy = LegalCasePolicy
    required_actions = {"GET": policies.VIEW, "PATCH": policies.CHANGE}

    @extend_schema(operation_id="legal_case_charge_retrieve", responses={200: dict})
    def get(self, request, pk, charge_pk):
        legal_case = selectors.access_legal_case(request.user, pk, purpose="charge")
        charge = selectors.charge_of(legal_case, charge_pk)
        return Response(charge_data(charge, bool(legal_case.can_see_sensitive)))

    @extend_schema(
        operation_id="legal_case_charge_verdict", request=VerdictInputSerializer, responses={200: dict}
    )
    def patch(self, request, pk, charge_pk):
        legal_case = selectors.access_legal_case(request.user, pk, policies.CHANGE, purpose="verdict")
        charge = selectors.charge_of(legal_case, charge_pk)
        serializer = VerdictInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        if v["version"] is None:
            raise ValidationError(
                {"version": _("Send the version you edited, so a colleague's save is not overwritten.")}
            )
        services.charge_decide(
            actor=request.user,
            charge=charge,
            verdict=v["verdict"],
            verdict_on=v["verdict_on"],
            convicted_under=v["convicted_under"] or None,
            sentence=v["sentence"],
            compensation_amount=v["compensation_amount"],
            compensation_currency=v["compensation_currency"],
            expected_version=v["version"],
        )
        charge = selectors.charge_of(legal_case, charge_pk)
        return Response(charge_data(charge, bool(legal_case.can_see_sensitive)))


class AppealListView(APIView):
    """GET: the charge's appeals. POST: record one (`filed_on`, `court`, `outcome`, `decided_on`, and the
    changed `sentence`)."""

    policy = LegalCasePolicy
    required_actions = {"GET": policies.VIEW, "POST": policies.CHANGE}

    @extend_schema(operation_id="legal_case_appeals_list", responses={200: dict})
    def get(self, request, pk, charge_pk):
        legal_case = selectors.access_legal_case(request.user, pk, purpose="appeals")
        charge = selectors.charge_of(legal_case, charge_pk)
        return Response({"results": [appeal_data(a) for a in charge.appeals.all()]})

    @extend_schema(
        operation_id="legal_case_appeals_create", request=AppealInputSerializer, responses={201: dict}
    )
    def post(self, request, pk, charge_pk):
        legal_case = selectors.access_legal_case(request.user, pk, policies.CHANGE, purpose="appeal-add")
        charge = selectors.charge_of(legal_case, charge_pk)
        serializer = AppealInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        appeal = services.appeal_add(
            actor=request.user,
            charge=charge,
            filed_on=v["filed_on"],
            court=v["court"] or None,
            outcome=v["outcome"] or AppealOutcome.PENDING,
            decided_on=v["decided_on"],
            sentence=v["sentence"],
        )
        return Response(appeal_data(appeal), status=status.HTTP_201_CREATED)
