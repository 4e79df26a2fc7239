"""One JSON shape for every API error:

{"error": {"status": 400, "code": "invalid", "message": "...", "fields": {"place": ["..."]}}}
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import IdempotencyConflict, StaleVersionError, TransitionError


def _fields(detail) -> dict:
    if isinstance(detail, dict):
        return {k: [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in detail.items()}
    if isinstance(detail, list):
        return {"non_field_errors": [str(m) for m in detail]}
    return {"non_field_errors": [str(detail)]}


def error_response(status_code: int, code: str, message: str, fields: dict | None = None, **extra):
    body = {"status": status_code, "code": code, "message": message, **extra}
    if fields:
        body["fields"] = fields
    return Response({"error": body}, status=status_code)


def exception_handler(exc, context):
    if isinstance(exc, StaleVersionError):
        return error_response(
            status.HTTP_409_CONFLICT, "stale_version", str(exc), current_version=exc.current_version
        )
    if isinstance(exc, TransitionError):
        return error_response(
            status.HTTP_409_CONFLICT, "illegal_transition", str(exc), current_status=exc.status
        )
    if isinstance(exc, IdempotencyConflict):  # a ValidationError too, but the request was not the problem
        return error_response(
            status.HTTP_409_CONFLICT,
            "idempotency_conflict",
            exc.conflict_message,
            {"idempotency_key": [exc.conflict_message]},
        )
    if isinstance(exc, DjangoValidationError):
        fields = _fields(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
        return error_response(400, "invalid", _("The input is not valid; nothing was saved."), fields)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = error_response(
            response.status_code,
            "invalid",
            _("The input is not valid; nothing was saved."),
            _fields(exc.detail),
        )
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        body = error_response(response.status_code, code if isinstance(code, str) else "error", str(detail))
    response.data = body.data
    return response
