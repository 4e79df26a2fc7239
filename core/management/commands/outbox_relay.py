"""Send what the outbox holds to the broker, now and every few seconds (docs/operations.md "Outbox")."""

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

from core import outbox

logger = logging.getLogger("core.outbox")


class Command(BaseCommand):
    help = (
        "Relay pending outbox messages to the Celery broker: every --interval seconds until stopped, or "
        "once with --once. Safe to run beside another relay."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Relay what is pending, then exit.")
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="Seconds between rounds (default: OUTBOX_RELAY_INTERVAL).",
        )
        parser.add_argument("--status", action="store_true", help="Print how many messages wait, then exit.")
        parser.add_argument("--purge", action="store_true", help="Delete old sent messages, then exit.")

    def handle(self, *args, once=False, interval=None, status=False, purge=False, **options):
        if status:
            summary = outbox.pending_summary()
            oldest = summary["oldest"].isoformat() if summary["oldest"] else "-"
            self.stdout.write(f"pending: {summary['pending']}  oldest: {oldest}")
            return
        if purge:
            self.stdout.write(f"purged: {outbox.purge_sent()}")
            return
        if once:
            self.stdout.write(f"sent: {outbox.relay()}")
            return
        interval = settings.OUTBOX_RELAY_INTERVAL if interval is None else interval
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        logger.info("Outbox relay started (every %ss).", interval)
        while not stop.is_set():
            try:
                close_old_connections()
                outbox.relay()
            except Exception:  # the database may be down too: log, reconnect next round
                logger.exception("Outbox relay: round failed; retrying.")
                connection.close()
            stop.wait(interval)
        logger.info("Outbox relay stopped.")
