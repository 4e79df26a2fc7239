#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Command-line use defaults to development settings, so a checkout's `manage.py makemigrations` works
    # without secrets. The serving processes (config/wsgi.py, config/asgi.py, the Celery app) have no such
    # default: with DEBUG unset they run with production settings and refuse to start without SECRET_KEY.
    # Deployments set DEBUG=0 explicitly (docker-compose.yml), which this does not override.
    os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
