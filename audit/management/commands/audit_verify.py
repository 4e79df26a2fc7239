"""Walk the access log in id order and check every link of its hash chain, and that it still holds the
anchors exported earlier (audit/anchor.py; docs/audit.md, "Checking against the anchor")."""

from django.core.management.base import BaseCommand, CommandError

from audit.anchor import anchors_in
from audit.chain import CONTENT_FIELDS, GENESIS, event_hash
from audit.models import AccessEvent


class Command(BaseCommand):
    help = (
        "Check the access log's hash chain: each event's hash matches its content, and each event links to "
        "the one before it. Exits non-zero at the first broken link."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="ID:HASH",
            help="An event id and hash exported earlier (repeatable); fails unless that event is still "
            "in the log with that hash, which also catches the newest events being removed.",
        )
        parser.add_argument(
            "--anchor-file",
            action="append",
            default=[],
            metavar="PATH",
            help="A copy of the anchor file (AUDIT_ANCHOR_DIR/audit-anchors.log) or a saved anchor e-mail: "
            "every 'anchor=ID:HASH' in it is checked as with --anchor (repeatable).",
        )

    def handle(self, *args, anchor, anchor_file, **options):
        anchors = self._parse_anchors(anchor + self._read_anchor_files(anchor_file))
        rows = (
            AccessEvent.objects.order_by("id")
            .values_list("id", "prev_hash", "hash", *CONTENT_FIELDS)
            .iterator(chunk_size=2000)
        )
        expected_prev, previous_id, count = GENESIS, None, 0
        for pk, prev_hash, stored_hash, *content in rows:
            if prev_hash != expected_prev:
                where = f"the hash of event {previous_id}" if previous_id else "the start of the chain"
                raise CommandError(
                    f"Access log broken at event {pk}: previous event missing or reordered "
                    f"(its prev_hash does not match {where})."
                )
            if event_hash(prev_hash, **dict(zip(CONTENT_FIELDS, content, strict=True))) != stored_hash:
                raise CommandError(
                    f"Access log broken at event {pk}: altered (its content does not match its hash)."
                )
            if pk in anchors and anchors.pop(pk) != stored_hash:
                raise CommandError(f"Access log broken at event {pk}: its hash differs from the anchor.")
            expected_prev, previous_id, count = stored_hash, pk, count + 1
        if anchors:
            missing = ", ".join(str(pk) for pk in sorted(anchors))
            raise CommandError(f"Access log broken: anchored event(s) {missing} missing.")
        self.stdout.write(self.style.SUCCESS(f"Access log intact: {count} events"))
        if previous_id is not None:
            self.stdout.write(f"Latest event: {previous_id}:{expected_prev}")

    @staticmethod
    def _read_anchor_files(paths: list[str]) -> list[str]:
        found = []
        for path in paths:
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    values = anchors_in(handle.read())
            except OSError as exc:
                raise CommandError(f"Cannot read the anchor file {path}: {exc.strerror}.") from exc
            if not values:
                raise CommandError(f"No 'anchor=ID:HASH' in {path}.")
            found += values
        return found

    @staticmethod
    def _parse_anchors(values: list[str]) -> dict[int, str]:
        anchors = {}
        for value in values:
            pk, sep, digest = value.strip().partition(":")
            digest = digest.lower()
            if (
                not sep
                or not pk.isdigit()
                or len(digest) != 64
                or any(c not in "0123456789abcdef" for c in digest)
            ):
                raise CommandError(f"--anchor takes ID:HASH (a 64-digit sha256), not {value!r}.")
            if anchors.get(int(pk), digest) != digest:
                raise CommandError(f"Two different anchors for event {pk}: the log cannot match both.")
            anchors[int(pk)] = digest
        return anchors
