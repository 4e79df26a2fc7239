"""Where the current request comes from, so services can log it without being handed the request."""

import ipaddress
from contextvars import ContextVar

from django.conf import settings

_request_meta: ContextVar[dict | None] = ContextVar("audit_request_meta", default=None)


def current_request_meta() -> dict:
    return _request_meta.get() or {}


def client_ip(request) -> str | None:
    """The real client address behind `TRUSTED_PROXY_COUNT` trusted reverse proxies.

    Each trusted proxy appends the address it received the request from to X-Forwarded-For, so with N
    proxies the client is the N-th entry from the right; whatever the client itself wrote further left is
    ignored. With no trusted proxy (the default), X-Forwarded-For is ignored and REMOTE_ADDR is the client.
    The same function feeds the access log and the login lockout (AXES_CLIENT_IP_CALLABLE)."""
    remote = (request.META.get("REMOTE_ADDR") or "").strip() or None
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies > 0:
        hops = [h.strip() for h in (request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",") if h.strip()]
        if hops:
            candidate = hops[-proxies] if len(hops) >= proxies else hops[0]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return remote


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_meta.set(
            {
                "ip": client_ip(request),
                "user_agent": (request.META.get("HTTP_USER_AGENT") or "")[:300],
            }
        )
        try:
            return self.get_response(request)
        finally:
            _request_meta.reset(token)
