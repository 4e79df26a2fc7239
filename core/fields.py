"""Serializer fields that accept exactly what the OpenAPI schema declares."""

from rest_framework import serializers


class StrictBooleanField(serializers.BooleanField):
    """A JSON boolean, and nothing else: DRF's BooleanField also takes 0, 1, "yes", "on"…, which the
    schema (type: boolean) does not allow, so a client could rely on input the contract rejects."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


class StrictCharField(serializers.CharField):
    """A JSON string, and nothing else: DRF's CharField also takes numbers (0 becomes "0"), which the schema
    (type: string) does not allow."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictDecimalField(serializers.DecimalField):
    """A decimal written as a JSON string ("1500.00"), as the schema says (type: string, format: decimal):
    DRF's DecimalField also takes JSON numbers, which carry binary rounding and which the schema refuses."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictFileField(serializers.FileField):
    """An uploaded file, or nothing: an empty or text part where a file belongs is refused, not taken as
    "no file"."""

    def get_value(self, dictionary):
        if dictionary.get(self.field_name) == "":  # an empty part: DRF would read it as null
            return ""
        return super().get_value(dictionary)

    def validate_empty_values(self, data):
        if data == "":
            self.fail("invalid")
        return super().validate_empty_values(data)
