"""Hearings and comments of a legal case in the API, and the upcoming hearings (docs/api.md
"Prosecution"): the same rules as the pages. Every request on a legal case fetches it through
`selectors.access_legal_case` (out of reach: 404; visible but not to be worked on: 403; the read logged);
every write goes through prosecution.services.hearings."""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from core.fields import StrictCharField
from core.permissions import Authenticated
from people.masking import mask

from .. import policies, selectors
from ..policies import LegalCasePolicy
from ..services import hearings as services

# --- output -----------------------------------------------------------------------------------------------


class HearingSerializer(serializers.Serializer):
    """One hearing. `outcome` is sensitive: "[restricted]" without view_sensitive on the legal case."""

    id = serializers.IntegerField(read_only=True)
    legal_case = serializers.IntegerField(source="legal_case_id", read_only=True)
    held_on = serializers.DateField(read_only=True)
    court = serializers.IntegerField(source="court_id", read_only=True, allow_null=True)
    court_name = serializers.SerializerMethodField()
    court_case = serializers.IntegerField(source="court_case_id", read_only=True, allow_null=True)
    court_case_number = serializers.SerializerMethodField()
    purpose = StrictCharField(read_only=True)
    outcome = serializers.SerializerMethodField(help_text="Sensitive: masked without view_sensitive.")
    next_on = serializers.DateField(read_only=True, allow_null=True)
    version = serializers.IntegerField(read_only=True)

    def get_court_name(self, hearing) -> str:
        return hearing.court.name if hearing.court_id else ""

    def get_court_case_number(self, hearing) -> str:
        return hearing.court_case.number if hearing.court_case_id else ""

    def get_outcome(self, hearing) -> str:
        return mask(hearing.outcome, bool(self.context.get("sensitive")))


class UpcomingHearingSerializer(serializers.Serializer):
    """One hearing of the upcoming list: no outcome, no names."""

    id = serializers.IntegerField(read_only=True)
    legal_case = serializers.IntegerField(source="legal_case_id", read_only=True)
    legal_case_number = serializers.CharField(source="legal_case.number", read_only=True)
    station = serializers.CharField(source="legal_case.station.code", read_only=True)
    held_on = serializers.DateField(read_only=True)
    court = serializers.IntegerField(source="court_id", read_only=True, allow_null=True)
    court_name = serializers.SerializerMethodField()
    court_case_number = serializers.SerializerMethodField()
    purpose = StrictCharField(read_only=True)

    def get_court_name(self, hearing) -> str:
        return hearing.court.name if hearing.court_id else ""

    def get_court_case_number(self, hearing) -> str:
        return hearing.court_case.number if hearing.court_case_id else ""


class CommentSerializer(serializers.Serializer):
    """One comment. `text` is sensitive ("[restricted]" without view_sensitive); a deleted comment has no
    text (""), only who deleted it and when."""

    id = serializers.IntegerField(read_only=True)
    legal_case = serializers.IntegerField(source="legal_case_id", read_only=True)
    author = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    text = serializers.SerializerMethodField(help_text="Sensitive; empty once deleted.")
    deleted = serializers.SerializerMethodField()
    deleted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    deleted_by = serializers.SerializerMethodField()

    def get_author(self, comment) -> str:
        return comment.author.username

    def get_text(self, comment) -> str:
        if comment.deleted_at is not None:
            return ""
        return mask(comment.text, bool(self.context.get("sensitive")))

    def get_deleted(self, comment) -> bool:
        return comment.deleted_at is not None

    def get_deleted_by(self, comment) -> str | None:
        return comment.deleted_by.username if comment.deleted_by_id else None


# --- input ------------------------------------------------------------------------------------------------


class HearingInputSerializer(serializers.Serializer):
    held_on = serializers.DateField()
    purpose = StrictCharField(max_length=200)
    court_case = serializers.IntegerField(required=False, allow_null=True, default=None)
    court = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Default: the court case's court."
    )
    outcome = StrictCharField(required=False, allow_blank=True, default="", max_length=4000)
    next_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Plans the next hearing on that date."
    )


class HearingPatchSerializer(serializers.Serializer):
    held_on = serializers.DateField(required=False)
    purpose = StrictCharField(max_length=200, required=False)
    court_case = serializers.IntegerField(required=False, allow_null=True)
    court = serializers.IntegerField(required=False, allow_null=True)
    outcome = StrictCharField(required=False, allow_blank=True, max_length=4000)
    next_on = serializers.DateField(
        required=False, allow_null=True, help_text="Plans the next hearing on that date."
    )
    version = serializers.IntegerField(help_text="The version you edited (a stale one: 409 stale_version).")


class CommentInputSerializer(serializers.Serializer):
    text = StrictCharField(max_length=4000)


def _context(legal_case) -> dict:
    return {"sensitive": bool(legal_case.can_see_sensitive)}


def _key(request):
    return request.headers.get("Idempotency-Key")


# --- views ------------------------------------------------------------------------------------------------


class HearingListView(APIView):
    """The hearings of one legal case by date (GET) and adding one (POST, optional Idempotency-Key)."""

    policy = LegalCasePolicy
    required_actions = {"GET": policies.VIEW, "POST": policies.CHANGE}

    @extend_schema(responses=HearingSerializer(many=True))
    def get(self, request, pk):
        legal_case = selectors.access_legal_case(request.user, pk, purpose="hearings")
        rows = selectors.hearings_of(legal_case)
        return Response({"results": HearingSerializer(rows, many=True, context=_context(legal_case)).data})

    @extend_schema(request=HearingInputSerializer, responses={201: HearingSerializer})
    def post(self, request, pk):
        legal_case = selectors.access_legal_case(request.user, pk, policies.CHANGE, purpose="hearing_add")
        serializer = HearingInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        hearing, created = services.hearing_add(
            actor=request.user,
            legal_case=legal_case,
            idempotency_key=_key(request),
            **serializer.validated_data,
        )
        hearing = selectors.hearing_of(legal_case, hearing.pk)
        return Response(
            HearingSerializer(hearing, context=_context(legal_case)).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers={} if created else {"Idempotent-Replayed": "true"},
        )


class HearingDetailView(APIView):
    """One hearing (GET) and recording its outcome and next date (PATCH, with the `version` edited)."""

    policy = LegalCasePolicy
    required_actions = {"GET": policies.VIEW, "PATCH": policies.CHANGE}

    @extend_schema(responses=HearingSerializer)
    def get(self, request, pk, hearing_pk):
        legal_case = selectors.access_legal_case(request.user, pk, purpose="hearing")
        hearing = selectors.hearing_of(legal_case, hearing_pk)
        return Response(HearingSerializer(hearing, context=_context(legal_case)).data)

    @extend_schema(request=HearingPatchSerializer, responses=HearingSerializer)
    def patch(self, request, pk, hearing_pk):
        legal_case = selectors.access_legal_case(request.user, pk, policies.CHANGE, purpose="hearing_change")
        hearing = selectors.hearing_of(legal_case, hearing_pk)
        serializer = HearingPatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        version = fields.pop("version")
        services.hearing_update(actor=request.user, hearing=hearing, expected_version=version, **fields)
        hearing = selectors.hearing_of(legal_case, hearing_pk)
        return Response(HearingSerializer(hearing, context=_context(legal_case)).data)


class CommentListView(APIView):
    """The comments of one legal case, oldest first, deleted ones without their text (GET), and adding one
    (POST `{"text"}`, optional Idempotency-Key)."""

    policy = LegalCasePolicy
    required_actions = {"GET": policies.VIEW, "POST": policies.CHANGE}

    @extend_schema(responses=CommentSerializer(many=True))
    def get(self, request, pk):
        legal_case = selectors.access_legal_case(request.user, pk, purpose="comments")
        rows = selectors.comments_of(legal_case)
        return Response({"results": CommentSerializer(rows, many=True, context=_context(legal_case)).data})

    @extend_schema(request=CommentInputSerializer, responses={201: CommentSerializer})
    def post(self, request, pk):
        legal_case = selectors.access_legal_case(request.user, pk, policies.CHANGE, purpose="comment_add")
        serializer = CommentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment, created = services.comment_add(
            actor=request.user,
            legal_case=legal_case,
            text=serializer.validated_data["text"],
            idempotency_key=_key(request),
        )
        comment = selectors.comment_of(legal_case, comment.pk)
        return Response(
            CommentSerializer(comment, context=_context(legal_case)).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers={} if created else {"Idempotent-Replayed": "true"},
        )


class CommentDetailView(APIView):
    """One comment (GET) and deleting it softly (DELETE → 204; its author, or whoever may delete at the
    station; deleting it again: 409 illegal_transition)."""

    policy = LegalCasePolicy
    required_actions = {"GET": policies.VIEW, "DELETE": policies.VIEW}

    @extend_schema(responses=CommentSerializer)
    def get(self, request, pk, comment_pk):
        legal_case = selectors.access_legal_case(request.user, pk, purpose="comment")
        comment = selectors.comment_of(legal_case, comment_pk)
        return Response(CommentSerializer(comment, context=_context(legal_case)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk, comment_pk):
        legal_case = selectors.access_legal_case(request.user, pk, purpose="comment_delete")
        comment = selectors.comment_of(legal_case, comment_pk)
        if not services.may_delete_comment(request.user, comment):
            selectors.denied(request.user, pk, policies.DELETE, station=legal_case.station)
            raise PermissionDenied(_("Only its author or whoever may delete at this station can delete it."))
        services.comment_delete(actor=request.user, comment=comment)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _day(value, name: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError({name: _("Give a date as YYYY-MM-DD.")}) from None


class UpcomingHearingsView(APIView):
    """The hearings of every legal case the caller sees, from `since` (default today) to `until`, by date.
    The response is logged naming the legal cases shown."""

    policy = Authenticated
    required_actions = {"GET": "view"}

    @extend_schema(
        parameters=[
            OpenApiParameter("since", str, description="YYYY-MM-DD; default today"),
            OpenApiParameter("until", str, description="YYYY-MM-DD"),
        ],
        responses=UpcomingHearingSerializer(many=True),
    )
    def get(self, request):
        since = _day(request.query_params.get("since"), "since") or timezone.localdate()
        until = _day(request.query_params.get("until"), "until")
        rows = selectors.log_hearing_list(
            request.user,
            selectors.upcoming_hearings(request.user, since=since, until=until),
            since=since,
            api=True,
        )
        return Response({"results": UpcomingHearingSerializer(rows, many=True).data})
