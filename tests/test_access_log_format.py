"""Names typed in a person search, in the form's suggestions or in the list's person filter travel in query
strings; the web server's access log must never write them (gunicorn.conf.py, docs/operations.md)."""

from pathlib import Path

from gunicorn.config import Config
from gunicorn.glogging import Logger

ROOT = Path(__file__).resolve().parent.parent


class Request:
    method = "GET"
    path = "/people/"
    query = "q=Sita+Tamang"
    uri = "/people/?q=Sita+Tamang"
    version = (1, 1)
    headers = [("REFERER", "https://cms.example.org/people/?q=Sita+Tamang"), ("USER-AGENT", "test")]


class Response:
    status = "200 OK"
    sent = 512
    headers = []


def test_the_access_log_line_has_the_path_and_not_the_query_or_the_referer():
    settings: dict = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), settings)  # noqa: S102 - our own settings file
    config = Config()
    config.set("access_log_format", settings["access_log_format"])
    environ = {
        "REMOTE_ADDR": "10.0.0.1",
        "REQUEST_METHOD": "GET",
        "RAW_URI": Request.uri,
        "PATH_INFO": Request.path,
        "QUERY_STRING": Request.query,
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    from datetime import timedelta

    atoms = Logger(config).atoms(Response(), Request(), environ, timedelta(milliseconds=12))
    line = config.access_log_format % atoms
    assert "/people/" in line and "200" in line
    assert "Sita" not in line and "q=" not in line
    # the default format would have written it: the check is not vacuous
    assert "Sita" in Config().access_log_format % atoms
