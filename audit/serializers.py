from rest_framework import serializers

from .models import AccessEvent


class AccessEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_username", read_only=True)
    station = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = AccessEvent
        fields = [
            "id",
            "at",
            "actor",
            "action",
            "object_type",
            "object_id",
            "station",
            "ip",
            "user_agent",
            "details",
            "hash",
        ]
        read_only_fields = fields
