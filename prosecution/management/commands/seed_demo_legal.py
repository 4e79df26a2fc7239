"""Demo legal cases for the demo interceptions (run by `seed_demo` through `seed_demo_cases`;
docs/prosecution.md "Demo data"). Everything goes through the services, as the demo legal officer and the
station manager would do it: a legal case opened from an interception with its suspect, the complaint,
arrests (verified by the manager with an evidence file), court cases and charges, stages, hearings (some
today and in three days, for the reminders), and verdicts (some convictions under a lesser statute).
Idempotent: the legal cases it opened are counted, and a second run opens none."""

import argparse
import random
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Station
from interception.models import Interceptee, IntercepteeRole, Interception, Status
from prosecution.models import Court, LegalCase, Statute

User = get_user_model()

# A 1×1 PNG: the demo "evidence" of an arrest (the services check the file's signature).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
ROLES = ["recruiter", "transporter", "harbourer", "recruiter", "organiser", "exploiter"]
PURPOSES = ["First hearing", "Bail hearing", "Statement of the victim", "Evidence hearing", "Final hearing"]
SOURCES = ["Police custody record", "Call from the district police office", "Court order seen by our lawyer"]
KEY_PREFIX = "demo-legal-"


class Command(BaseCommand):
    help = "Open and work demo legal cases at station BHW through the services (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=12, help="How many legal cases to open (12).")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (2026).")
        parser.add_argument("--i-know-this-is-not-production", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["i_know_this_is_not_production"]:
            raise CommandError("seed_demo_legal writes demo data; it runs only with DEBUG on.")
        legal = User.objects.filter(username="legal").first()
        manager = User.objects.filter(username="manager").first()
        if legal is None or manager is None:
            raise CommandError("Run seed_demo first: the demo legal officer and manager are missing.")
        station = Station.objects.filter(code="BHW").select_related("country").first()
        if station is None:
            raise CommandError("Run seed_demo first: station BHW is missing.")
        try:
            from prosecution.services import cases as case_services
        except ImportError:  # pragma: no cover - the prosecution services are not installed
            self.stdout.write("  legal cases:           skipped (no prosecution services)")
            return
        if (
            not Statute.objects.filter(country=station.country).exists()
            or not Court.objects.filter(country=station.country).exists()
        ):
            self.stdout.write("  legal cases:           skipped (no statutes or courts for Nepal)")
            return
        existing = LegalCase.objects.filter(station=station, created_by=legal).count()
        wanted = max(0, options["cases"] - existing)
        opened = 0
        for interception in self._interceptions(station, wanted):
            rng = random.Random(f"{options['seed']}-{interception.number}")
            try:
                legal_case, created = case_services.legal_case_open(
                    actor=legal,
                    station=station,
                    interceptions=[interception.pk],
                    **self._complaint(rng, existing + opened, interception),
                    idempotency_key=f"{KEY_PREFIX}{interception.pk}",
                )
            except (ValidationError, PermissionDenied) as exc:
                self.stderr.write(f"  legal case for {interception.number} skipped: {exc}")
                continue
            if not created:
                continue
            opened += 1
            self._work(rng, existing + opened - 1, legal_case, interception, legal, manager)
        self.stdout.write(f"  legal cases opened:    {opened} ({existing} already)")

    def _interceptions(self, station, wanted: int) -> list[Interception]:
        """The newest submitted interceptions of the station with a suspect and no legal case yet."""
        if wanted <= 0:
            return []
        taken = LegalCase.interceptions.through.objects.values("interception_id")
        with_suspect = Interceptee.objects.filter(role=IntercepteeRole.SUSPECT).values("interception_id")
        return list(
            Interception.objects.filter(station=station, pk__in=with_suspect)
            .exclude(status=Status.DRAFT)
            .exclude(pk__in=taken)
            .order_by("-occurred_at", "-id")[:wanted]
        )

    def _complaint(self, rng, i: int, interception) -> dict:
        """Most cases have their complaint filed a few days after the interception; every sixth has none
        yet (it stays at "preparing the complaint")."""
        if i % 6 == 5:
            return {"police_station": "District Police Office, Rupandehi"}
        filed = min(interception.occurred_on + timedelta(days=rng.randint(1, 5)), self._today(interception))
        return {
            "complaint_number": f"FIR {100 + i}/2083",
            "complaint_filed_on": filed,
            "police_station": "District Police Office, Rupandehi",
        }

    @staticmethod
    def _today(interception):
        from prosecution.services.numbering import station_today

        return station_today(interception.station)

    def _step(self, name: str, fn, **kwargs):
        """Run one service call; a refused step (bad input, not allowed, a missing service) is reported and
        skipped, so the rest of the demo data is still written."""
        try:
            return fn(**kwargs)
        except (ValidationError, PermissionDenied) as exc:
            self.stderr.write(f"    {name} skipped: {exc}")
            return None

    def _work(self, rng, i, legal_case, interception, legal, manager):
        from prosecution.services import cases as case_services
        from prosecution.services import charges as charge_services
        from prosecution.services import hearings as hearing_services
        from prosecution.services import suspects as suspect_services

        today = self._today(interception)
        picked = interception.interceptees.filter(role=IntercepteeRole.SUSPECT).order_by("id").first()
        suspect = self._step(
            "suspect",
            suspect_services.suspect_add,
            actor=legal,
            legal_case=legal_case,
            person=picked.person_id,
            role=rng.choice(ROLES),
        )
        if suspect is None or i % 6 == 5:  # no complaint yet: nothing more to record
            return
        if i % 6 != 4:  # most suspects are arrested; every sixth absconded
            suspect = self._step(
                "arrest",
                suspect_services.arrest_record,
                actor=legal,
                suspect=suspect,
                arrest_status=rng.choice(["arrested", "in_custody", "on_bail"]),
                arrested_on=legal_case.complaint_filed_on,
                arrest_source=rng.choice(SOURCES),
            )
            if suspect is not None and i % 4 != 3:
                suspect = self._step(
                    "arrest verification",
                    suspect_services.arrest_verify,
                    actor=manager,
                    suspect=suspect,
                    evidence=SimpleUploadedFile("custody-record.png", PNG, content_type="image/png"),
                )
        else:
            self._step(
                "arrest",
                suspect_services.arrest_record,
                actor=legal,
                suspect=suspect,
                arrest_status="absconded",
                arrest_source=rng.choice(SOURCES),
            )
        if suspect is None:
            return
        # How far the case has gone: investigation for a few, trial for most, a verdict for some.
        target = ["trial", "verdict", "investigation", "verdict", "charge_sheet_filed", "open"][i % 6]
        order = ["investigation", "charge_sheet_filed", "trial", "verdict"]
        for stage in order[: order.index(target) + 1]:
            legal_case.refresh_from_db()
            if (
                self._step(
                    "stage", case_services.legal_case_stage, actor=legal, legal_case=legal_case, stage=stage
                )
                is None
            ):
                return
        legal_case.refresh_from_db()
        if target == "investigation":
            return
        court_case = self._step(
            "court case",
            charge_services.court_case_add,
            actor=legal,
            legal_case=legal_case,
            court="Rupandehi District Court",
            number=f"083-CR-{legal_case.pk:04d}",
            filed_on=today,
        )
        if court_case is None:
            return
        legal_case.refresh_from_db()
        charge = self._step(
            "charge",
            charge_services.charge_add,
            actor=legal,
            legal_case=legal_case,
            suspect=suspect,
            court_case=court_case,
            charge=rng.choice(["HTTCA-15-1-A", "HTTCA-15-1-F", "HTTCA-16"]),
        )
        legal_case.refresh_from_db()
        if i % 3 == 0:  # a lesser charge alongside
            self._step(
                "lesser charge",
                charge_services.charge_add,
                actor=legal,
                legal_case=legal_case,
                suspect=suspect,
                court_case=court_case,
                charge=rng.choice(["FEA-43", "MCC-249"]),
            )
            legal_case.refresh_from_db()
        # Hearings: one today, one in three days (the reminders), the others later.
        held_on = today if i % 4 == 0 else today + timedelta(days=3 if i % 4 == 1 else rng.randint(7, 40))
        self._step(
            "hearing",
            hearing_services.hearing_add,
            actor=legal,
            legal_case=legal_case,
            held_on=held_on,
            purpose=rng.choice(PURPOSES),
            court_case=court_case,
            idempotency_key=f"{KEY_PREFIX}hearing-{legal_case.pk}",
        )
        if target != "verdict" or charge is None:
            return
        charge.refresh_from_db()
        lesser = rng.random() < 0.5  # convicted under a lesser statute: how it usually ends
        verdict = "convicted" if i % 5 != 4 else "acquitted"
        decision = {"verdict": verdict, "verdict_on": today}
        if verdict == "convicted":
            decision |= {
                "convicted_under": "FEA-43" if lesser else charge.statute.code,
                "sentence": {
                    "years": rng.randint(1, 3) if lesser else rng.randint(10, 20),
                    "months": rng.randint(0, 11),
                    "days": 0,
                    "fine_amount": Decimal(50000 if lesser else 200000),
                    "fine_currency": "NPR",
                },
                "compensation_amount": Decimal(100000),
                "compensation_currency": "NPR",
            }
        self._step(
            "verdict",
            charge_services.charge_decide,
            actor=legal,
            charge=charge,
            expected_version=charge.version,
            **decision,
        )
