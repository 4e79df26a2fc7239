"""The output shape of a legal case, shared by the list, the detail and every action's answer (docs/api.md
"Prosecution"). Input serializers live with their API views."""

from rest_framework import serializers

from core.fields import StrictCharField
from people.masking import mask


class CompletenessSerializer(serializers.Serializer):
    filled = serializers.IntegerField()
    total = serializers.IntegerField()
    missing = serializers.ListField(child=StrictCharField(), help_text="Labels of what is missing.")
    missing_codes = serializers.ListField(child=StrictCharField(), help_text="Codes of what is missing.")


class LegalCaseSerializer(serializers.Serializer):
    """One legal case as any reader may see it. `status` is the stage (the issue's name for it). The summary
    and the notes on why it was not filed are masked without `view_sensitive`. `interceptions` and
    `victim_cases` (ids) are given when the view prefetched them (`interception_ids`, `victim_case_ids`);
    `completeness` on the detail only."""

    id = serializers.IntegerField(read_only=True)
    number = StrictCharField(read_only=True)
    station = StrictCharField(source="station.code", read_only=True)
    stage = StrictCharField(read_only=True)
    status = StrictCharField(source="stage", read_only=True)
    not_filed_reason = StrictCharField(read_only=True)
    complaint_number = StrictCharField(read_only=True)
    complaint_filed_on = serializers.DateField(read_only=True, allow_null=True)
    police_station = StrictCharField(read_only=True)
    district = serializers.SerializerMethodField(help_text="A Place code, or the district as typed.")
    opened_on = serializers.DateField(read_only=True)
    closed_on = serializers.DateField(read_only=True, allow_null=True)
    version = serializers.IntegerField(read_only=True)

    def get_district(self, legal_case) -> str:
        return legal_case.district.code if legal_case.district_id else legal_case.district_text


class LegalCaseDetailSerializer(LegalCaseSerializer):
    summary = serializers.SerializerMethodField(help_text="Sensitive: masked without view_sensitive.")
    not_filed_notes = serializers.SerializerMethodField(help_text="Sensitive: masked without view_sensitive.")
    interceptions = serializers.ListField(source="interception_ids", child=serializers.IntegerField())
    victim_cases = serializers.ListField(source="victim_case_ids", child=serializers.IntegerField())
    next_stages = serializers.ListField(child=StrictCharField(), help_text="Where the stage may move now.")
    completeness = CompletenessSerializer()

    def _sensitive(self, legal_case) -> bool:
        return bool(getattr(legal_case, "can_see_sensitive", False))

    def get_summary(self, legal_case) -> str:
        return mask(legal_case.summary, self._sensitive(legal_case))

    def get_not_filed_notes(self, legal_case) -> str:
        return mask(legal_case.not_filed_notes, self._sensitive(legal_case))
