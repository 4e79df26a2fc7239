"""Responses are not kept by browsers or proxies: station devices are shared between staff.

Every response that passes through Django gets `Cache-Control: no-store` (with `no-cache`,
`must-revalidate`, `private`, `max-age=0` and an `Expires` of now, for older caches): pages and API
responses of signed-in users, the login and two-step pages, attachment and export downloads, and the
redirects and error pages in between. A view's own caching headers are replaced, so a new view cannot
make personal data cacheable by mistake. Static files carry no personal data and may be cached: WhiteNoise
serves them before this middleware runs, and a static path that reaches Django is left alone. `/healthz`
says `no-store` itself (it is a live status).
"""

from django.conf import settings
from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        static_url = settings.STATIC_URL or ""
        if not (static_url.startswith("/") and request.path_info.startswith(static_url)):
            add_never_cache_headers(response)
        return response
