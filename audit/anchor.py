"""The access log's anchor: the newest event's id and hash, and how many events the log then held.

The hash chain proves that the events up to a hash you trust are unchanged; it cannot show that the newest
events were removed, or that the whole table was emptied, unless that hash is kept somewhere the
application and the database's administrators cannot rewrite. `export_anchor` (run daily by Celery beat,
`audit.tasks.export_anchor`) takes the anchor and

- appends one line to `AUDIT_ANCHOR_DIR/audit-anchors.log` (a directory on its own volume, shipped off the
  host or made append-only: the file is only ever opened with O_APPEND, so `chattr +a` works), and
- e-mails it to `AUDIT_ANCHOR_EMAILS` (the auditors' mailbox, outside this system).

`manage.py audit_verify --anchor ID:HASH` (or `--anchor-file` with a copy of the file) then proves that the
log still holds every anchored event unchanged. See docs/audit.md, "Checking against the anchor".
"""

import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from .models import AccessEvent

logger = logging.getLogger(__name__)

ANCHOR_FILE_NAME = "audit-anchors.log"
# "anchor=ID:HASH" in a line of the anchor file or e-mail; what audit_verify --anchor-file reads.
ANCHOR_PATTERN = re.compile(r"\banchor=(\d+:[0-9a-f]{64})\b")


@dataclass(frozen=True)
class Anchor:
    event_id: int | None  # None: the log is empty
    hash: str
    count: int
    taken_at: datetime

    @property
    def token(self) -> str:
        """`ID:HASH`, as `audit_verify --anchor` takes it."""
        return f"{self.event_id}:{self.hash}" if self.event_id is not None else "none"

    def line(self) -> str:
        when = self.taken_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{when} events={self.count} anchor={self.token}"


def current_anchor() -> Anchor:
    """The newest event (the chain's head) and the number of events up to it.

    Appends are serialised by record_event's lock until commit, so ids are committed in order and the
    newest committed event is the head of the chain.
    """
    now = timezone.now()
    head = AccessEvent.objects.order_by("-id").values_list("id", "hash").first()
    if head is None:
        return Anchor(event_id=None, hash="", count=0, taken_at=now)
    count = AccessEvent.objects.filter(id__lte=head[0]).count()
    return Anchor(event_id=head[0], hash=head[1], count=count, taken_at=now)


def anchors_in(text: str) -> list[str]:
    """Every `ID:HASH` written as `anchor=ID:HASH` in an anchor file or e-mail."""
    return ANCHOR_PATTERN.findall(text)


def _append(directory: str, line: str) -> Path:
    path = Path(directory) / ANCHOR_FILE_NAME
    # O_APPEND only (never truncate or rewrite), so the file can be append-only (chattr +a) on its volume.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    with os.fdopen(fd, "a", encoding="ascii") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return path


def _email(recipients: list[str], anchor: Anchor) -> None:
    send_mail(
        subject=f"Access log anchor {anchor.taken_at.astimezone(UTC):%Y-%m-%d}: {anchor.count} events",
        message=(
            f"{anchor.line()}\n\n"
            "Keep this message. To prove that the access log still holds this event unchanged, run:\n\n"
            f"    python manage.py audit_verify --anchor {anchor.token}\n\n"
            "An empty log, a missing event or a different hash fails the check.\n"
        ),
        from_email=None,
        recipient_list=recipients,
        fail_silently=False,
    )


def export_anchor() -> Anchor:
    """Take the anchor and write it to AUDIT_ANCHOR_DIR and AUDIT_ANCHOR_EMAILS (whichever are set)."""
    anchor = current_anchor()
    directory = getattr(settings, "AUDIT_ANCHOR_DIR", "")
    recipients = list(getattr(settings, "AUDIT_ANCHOR_EMAILS", []))
    if directory:
        path = _append(str(directory), anchor.line())
        logger.info("Access log anchor appended to %s: %s", path, anchor.line())
    if recipients:
        _email(recipients, anchor)
        logger.info("Access log anchor e-mailed to %d recipient(s): %s", len(recipients), anchor.line())
    if not directory and not recipients:
        logger.warning(
            "Access log anchor not exported (set AUDIT_ANCHOR_DIR and/or AUDIT_ANCHOR_EMAILS): %s",
            anchor.line(),
        )
    return anchor
