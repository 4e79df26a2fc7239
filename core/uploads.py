"""Checking an uploaded file before it is stored: its size, and its type read from its first bytes (never
from the name or the browser's word). Interception attachments and a consent's signed form use it."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def sniff(upload, *, field: str, signatures: dict, message: str):
    """The value `signatures` gives for the file's leading bytes (e.g. its content type). A file over
    ATTACHMENT_MAX_BYTES, or of no known type (`message`), is a ValidationError on `field`."""
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            {
                field: _("The file is larger than %(mb)d MB.")
                % {"mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)}
            }
        )
    head = upload.read(16)
    upload.seek(0)
    match = next((value for signature, value in signatures.items() if head.startswith(signature)), None)
    if match is None:
        raise ValidationError({field: message})
    return match
