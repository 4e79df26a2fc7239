"""Where the current request comes from, so services can log it without being handed the request."""

from contextvars import ContextVar

_request_meta: ContextVar[dict | None] = ContextVar("audit_request_meta", default=None)


def current_request_meta() -> dict:
    return _request_meta.get() or {}


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_meta.set(
            {
                "ip": request.META.get("REMOTE_ADDR") or None,
                "user_agent": (request.META.get("HTTP_USER_AGENT") or "")[:300],
            }
        )
        try:
            return self.get_response(request)
        finally:
            _request_meta.reset(token)
