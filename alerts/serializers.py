from rest_framework import serializers

from .models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    unread = serializers.BooleanField(read_only=True)
    rule_label = serializers.CharField(source="get_rule_display", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "rule", "rule_label", "title", "body", "url", "created_at", "read_at", "unread"]
        read_only_fields = fields
