from django.urls import reverse
from rest_framework import serializers

from core.fields import StrictBooleanField

from .models import ExportFormat, ExportJob, ExportKind, ExportStatus


class ExportRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ExportKind.choices)
    format = serializers.ChoiceField(choices=ExportFormat.choices)
    deidentified = StrictBooleanField(default=False)
    filters = serializers.DictField(child=serializers.CharField(allow_blank=True), default=dict)


class ExportJobSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "kind",
            "format",
            "deidentified",
            "filters",
            "status",
            "progress",
            "row_count",
            "total_rows",
            "created_at",
            "finished_at",
            "download_url",
        ]

    def get_download_url(self, job) -> str | None:
        if job.status != ExportStatus.DONE:
            return None
        url = reverse("api:export-download", args=[job.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url
