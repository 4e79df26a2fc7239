"""The output shape of a case, shared by the list, the detail and every action's answer (docs/api.md
"Case files"). Input serializers live with their API views."""

from rest_framework import serializers

from core.fields import StrictCharField
from people.masking import mask


class CaseSerializer(serializers.Serializer):
    """One case as any reader may see it. `person` is the identity the case follows (docs/people.md), not
    sensitive (an opaque number); `name` is masked without `view_sensitive`. Dates are ISO."""

    id = serializers.IntegerField(read_only=True)
    number = StrictCharField(read_only=True)
    station = StrictCharField(source="station.code", read_only=True)
    interception = serializers.IntegerField(source="interception_id", read_only=True, allow_null=True)
    interception_number = serializers.SerializerMethodField()
    person = serializers.IntegerField(source="person.identity_id", read_only=True)
    name = serializers.SerializerMethodField(help_text="Sensitive: masked without view_sensitive.")
    source = StrictCharField(read_only=True)
    status = StrictCharField(read_only=True)
    assigned_to = serializers.SerializerMethodField(help_text="The case manager's username, or null.")
    risk = StrictCharField(read_only=True)
    next_follow_up_on = serializers.DateField(read_only=True, allow_null=True)
    interception_outcome = StrictCharField(read_only=True)
    opened_on = serializers.DateField(read_only=True)
    version = serializers.IntegerField(read_only=True)

    def get_interception_number(self, case) -> str | None:
        return case.interception.number if case.interception_id else None

    def get_name(self, case) -> str:
        return mask(case.person.full_name, bool(getattr(case, "can_see_sensitive", False)))

    def get_assigned_to(self, case) -> str | None:
        return case.assigned_to.username if case.assigned_to_id else None
