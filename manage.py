#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # DEBUG comes only from the configuration: the environment, else `.env` (config/settings.py reads it
    # without overriding the environment), else off. manage.py sets no default of its own, so a `.env` with
    # DEBUG=0 is obeyed and a server's `manage.py` runs with production settings. Development commands pass
    # DEBUG=1 (the Makefile's targets and scripts/run.sh do, unless the environment or `.env` sets DEBUG).
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
