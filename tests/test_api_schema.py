"""The OpenAPI schema matches what the API accepts: schemathesis, run against a live server over every
operation, with the not-a-server-error, negative-data-rejection and ignored-auth checks, finds nothing.

The schema is the one the server publishes at /api/schema/ (written to a file with `manage.py
spectacular`, since the endpoint itself needs a login). Requests carry a station manager's API token, the
role that reaches most operations; the data below gives every path parameter a real record to hit.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from accounts.services import token_issue
from interception import services

from .factories import make_interception, person

pytestmark = [pytest.mark.schema, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
CHECKS = "not_a_server_error,negative_data_rejection,ignored_auth"


def test_the_api_answers_as_its_schema_says(live_server, tmp_path, manager, monitor, bhw, catalogue):
    interception = make_interception(
        manager, bhw, people=[person("Sita Tamang", phone="+9779800000001"), person("Ram", role="suspect")]
    )
    services.attachment_add(
        actor=manager, interception=interception, uploaded_file=SimpleUploadedFile("p.png", PNG)
    )
    make_interception(monitor, bhw, submit=False)
    key = token_issue(actor=None, user=manager)
    schema = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(schema), "--validate", "--fail-on-warn")
    binary = Path(sys.executable).with_name("schemathesis")
    command = [
        str(binary),
        "run",
        str(schema),
        "--url",
        live_server.url,
        "--checks",
        CHECKS,
        "--header",
        f"Authorization: Token {key}",
        "--max-examples",
        "15",
        "--seed",
        "20261130",
        "--phases",
        "examples,coverage,fuzzing",
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--no-color",
        "--report-dir",
        str(tmp_path / "report"),
    ]
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=900,
            cwd=tmp_path,
            env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
            check=False,
        )
    finally:
        # Exports asked for by the run were queued on the test's broker database; drop them.
        redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
