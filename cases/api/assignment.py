"""`POST /api/v1/cases/{id}/assign/` with `{"assigned_to": username}` (docs/api.md "Case files")."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.fields import StrictCharField

from .. import policies, selectors
from ..policies import CasePolicy
from ..services.assignment import assignee_by_username, case_assign
from .serializers import CaseSerializer


class AssignSerializer(serializers.Serializer):
    assigned_to = StrictCharField(max_length=150, help_text="The username of a case manager of the station")
    version = serializers.IntegerField(required=False, help_text="The case's version you saw (optional)")


class CaseAssignView(APIView):
    """Give the case to a case manager of its station (station managers). 400: not an active case manager
    there; 403: may see the case but not assign it; 404: out of reach; 409: closed, or a stale version."""

    policy = CasePolicy
    required_actions = {"POST": policies.ASSIGN}

    @extend_schema(request=AssignSerializer, responses=CaseSerializer)
    def post(self, request, pk):
        case = selectors.access_case(request.user, pk, policies.ASSIGN, purpose="assign")
        serializer = AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        assignee = assignee_by_username(case=case, username=v["assigned_to"])
        case_assign(actor=request.user, case=case, assigned_to=assignee, expected_version=v.get("version"))
        return Response(CaseSerializer(selectors.reload(case)).data)
