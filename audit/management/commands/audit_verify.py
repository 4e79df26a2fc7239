"""Walk the access log in id order and check every link of its hash chain."""

from django.core.management.base import BaseCommand, CommandError

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

    def handle(self, *args, anchor, **options):
        anchors = self._parse_anchors(anchor)
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
    def _parse_anchors(values: list[str]) -> dict[int, str]:
        anchors = {}
        for value in values:
            pk, sep, digest = value.partition(":")
            if not sep or not pk.isdigit() or len(digest) != 64:
                raise CommandError(f"--anchor takes ID:HASH (a 64-digit sha256), not {value!r}.")
            anchors[int(pk)] = digest.lower()
        return anchors
