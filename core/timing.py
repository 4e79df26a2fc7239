"""Server-Timing: how long this process spent on a request, for the HTTP benchmark (benchmarks/http.py).

Enabled by `SERVER_TIMING=1` in the environment (settings.SERVER_TIMING, default off). When on, every response
carries

    Server-Timing: app;dur=12.34, db;dur=4.56;desc="7 queries"

`app` is the time from this middleware (the first in MIDDLEWARE) to the response: every other middleware,
the view and the template rendering, not the WSGI server nor the network. `db` is the part of it spent in
`cursor.execute` on the default connection (PostgreSQL planning and execution, and transfer). A streamed
body is not included (its rows are produced after the response leaves here). Off, the middleware adds
nothing but one settings lookup.
"""

import time

from django.conf import settings
from django.db import connection


class ServerTimingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not getattr(settings, "SERVER_TIMING", False):
            return self.get_response(request)
        db = [0.0, 0]

        def timed(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                db[0] += time.perf_counter() - started
                db[1] += 1

        started = time.perf_counter()
        with connection.execute_wrapper(timed):
            response = self.get_response(request)
        app = (time.perf_counter() - started) * 1000
        response["Server-Timing"] = f'app;dur={app:.2f}, db;dur={db[0] * 1000:.2f};desc="{db[1]} queries"'
        return response
