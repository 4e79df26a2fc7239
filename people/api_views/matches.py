"""Match suggestions, merge, unmerge and reject over the API (docs/people.md "Match review", docs/api.md).

Who: suggestions for one identity (`GET people/{id}/matches/`) for any user who may search people
(`may_search`: they see names somewhere); the queue, merge, unmerge and reject for reviewers
(`may_review`, else 403). An identity or suggestion the caller does not see (with names, for the review
endpoints) answers 404, as a missing one does; bad input 400 in the API's error shape.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import Check
from people import review, services
from people.policies import may_review, may_search

SEARCHERS = Check(may_search, _("You may not search people."))
REVIEWERS = Check(may_review, _("You may not review matches of people."))


class MatchSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The candidate identity")
    names = serializers.ListField(child=serializers.CharField(), help_text="As the caller may see them")
    score = serializers.FloatField()
    reasons = serializers.DictField()


class PersonMatchesView(APIView):
    """Identities that are probably the same human as this one, best first, computed now from what the
    caller may see with names; pairs already decided (rejected or merged) are left out."""

    policy = SEARCHERS
    required_actions = {"GET": "view"}

    @extend_schema(responses=MatchSerializer(many=True))
    def get(self, request, pk):
        return Response(review.identity_matches(request.user, pk))


class MergeInput(serializers.Serializer):
    other = serializers.IntegerField(min_value=1)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


class MergeOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="The surviving identity")
    merged = serializers.ListField(child=serializers.IntegerField())


class PersonMergeView(APIView):
    """Merge identity `other` into this one (every appearance of `other` moves here)."""

    policy = REVIEWERS
    required_actions = {"POST": "match"}

    @extend_schema(request=MergeInput, responses=MergeOutput)
    def post(self, request, pk):
        identity = review.identity_for_review(request.user, pk)
        data = MergeInput(data=request.data)
        data.is_valid(raise_exception=True)
        other = review.identity_for_review(request.user, data.validated_data["other"])
        services.identity_merge(
            actor=request.user, identity=identity, other=other, reason=data.validated_data["reason"]
        )
        return Response({"id": identity.pk, "merged": [other.pk]})


class UnmergeInput(serializers.Serializer):
    appearance = serializers.IntegerField(min_value=1)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


class UnmergeOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="The identity unmerged from")
    appearance = serializers.IntegerField()
    identity = serializers.IntegerField(help_text="The identity the appearance now belongs to")


class PersonUnmergeView(APIView):
    """Undo the merge that brought this appearance here (or split it off into a new identity)."""

    policy = REVIEWERS
    required_actions = {"POST": "match"}

    @extend_schema(request=UnmergeInput, responses=UnmergeOutput)
    def post(self, request, pk):
        identity = review.identity_for_review(request.user, pk)
        data = UnmergeInput(data=request.data)
        data.is_valid(raise_exception=True)
        appearance = review.appearance_for_unmerge(request.user, identity, data.validated_data["appearance"])
        if appearance is None:
            raise serializers.ValidationError(
                {"appearance": [_("This appearance is not one of this person’s.")]}
            )
        record = services.identity_unmerge(
            actor=request.user, identity=identity, appearance=appearance, reason=data.validated_data["reason"]
        )
        return Response({"id": identity.pk, "appearance": appearance.pk, "identity": record.other_id})


class SideSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="identity_id")
    names = serializers.ListField(child=serializers.CharField())


class QueueRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="suggestion.pk")
    score = serializers.FloatField(source="suggestion.score")
    reasons = serializers.DictField()
    identity = SideSerializer(source="left")
    candidate = SideSerializer(source="right")


class MatchQueueView(APIView):
    """The review queue: pending suggestions the caller may review, best first (at most 100)."""

    policy = REVIEWERS
    required_actions = {"GET": "match"}

    @extend_schema(responses=QueueRowSerializer(many=True))
    def get(self, request):
        pairs = review.review_queue(request.user)
        return Response({"results": QueueRowSerializer(pairs, many=True).data, "count": len(pairs)})


class MatchRejectInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


class MatchRejectView(APIView):
    """Reject a suggested pair: it is never suggested again. A pair decided already: 400."""

    policy = REVIEWERS
    required_actions = {"POST": "match"}

    @extend_schema(request=MatchRejectInput, responses={200: dict})
    def post(self, request, pk):
        suggestion = review.suggestion_for_decision(request.user, pk)
        data = MatchRejectInput(data=request.data)
        data.is_valid(raise_exception=True)
        suggestion = services.match_reject(
            actor=request.user, suggestion=suggestion, reason=data.validated_data["reason"]
        )
        return Response({"id": suggestion.pk, "status": suggestion.status})
