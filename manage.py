#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # DEBUG comes from the configuration: the environment, else `.env`; a `.env` with DEBUG=0 is obeyed, so a
    # server's `manage.py` runs with production settings. Only when neither says anything (a development
    # checkout) does the command line default to DEBUG=1, as the Makefile and scripts/run.sh do. The serving
    # processes (config/wsgi.py, asgi.py, the Celery app) have no such default.
    from pathlib import Path

    import environ

    environ.Env.read_env(Path(__file__).resolve().with_name(".env"), overwrite=False)
    os.environ.setdefault("DEBUG", "1")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        if "SECRET_KEY" not in str(exc):
            raise
        sys.stderr.write(
            f"{exc}\nFor development, run with DEBUG=1 (e.g. `DEBUG=1 python manage.py ...`, or DEBUG=1 in "
            ".env; see .env.example).\n"
        )
        sys.exit(1)
