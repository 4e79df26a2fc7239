"""Demo case files for the demo interceptions (run by `seed_demo`; docs/cases.md). Everything goes through the
services, as a case manager and a station manager would do it: assignment, consent, interviews, services,
follow-ups (some due today), closure requests and closures. Idempotent: a case that has been worked on is
left alone."""

import argparse
import random
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from cases.models import CaseStatus, VictimCase
from cases.services.assignment import case_assign
from cases.services.care import follow_up_add, follow_up_record, local_today, service_add
from cases.services.consent import consent_record
from cases.services.interviews import InterviewData, interview_create
from cases.services.workflow import case_risk_set, closure_approve, closure_request

User = get_user_model()

RECRUITERS = ["Ram Bahadur Thapa", "Hari Prasad Yadav", "Krishna Lama", "Suresh Chaudhary", "Bimala Sharma"]
PROMISES = [
    "A job in a hotel kitchen in Delhi, 25,000 rupees a month.",
    "Marriage to his cousin in Mumbai.",
    "Housework for a family in Kuwait, with the visa paid.",
    "Work in a garment factory, with a place to stay.",
]


class Command(BaseCommand):
    help = "Work the demo case files of station BHW through the services (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=40, help="How many of BHW's cases to work on (40).")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (2026).")
        parser.add_argument("--i-know-this-is-not-production", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["i_know_this_is_not_production"]:
            raise CommandError("seed_demo_cases writes demo data; it runs only with DEBUG on.")
        manager = User.objects.filter(username="manager").first()
        case_manager = User.objects.filter(username="case_manager").first()
        if manager is None or case_manager is None:
            raise CommandError("Run seed_demo first: the demo manager and case manager are missing.")
        # The newest cases of BHW, the same ones on every run; those worked on already are left alone.
        cases = list(
            VictimCase.objects.filter(station__code="BHW")
            .select_related("station", "person")
            .order_by("-id")[: options["cases"]]
        )
        worked = 0
        for i, case in enumerate(cases):
            rng = random.Random(f"{options['seed']}-{case.number}")
            if case.status == CaseStatus.NEW and case.assigned_to_id is None:
                self._work(rng, i, case, manager, case_manager)
                worked += 1
        self.stdout.write(f"  case files worked on:  {worked} ({len(cases) - worked} already)")
        # The legal cases opened from the demo interceptions (prosecution/, above this app: called by name).
        call_command(
            "seed_demo_legal",
            seed=options["seed"],
            i_know_this_is_not_production=options["i_know_this_is_not_production"],
            stdout=self.stdout,
        )

    def _work(self, rng, i, case, manager, case_manager):
        today = local_today(case.station)
        case = case_assign(actor=manager, case=case, assigned_to=case_manager)
        for scope in ("services", "information_sharing", "photo", "research"):
            decision = "refused" if scope == "research" and rng.random() < 0.15 else "given"
            if scope == "photo" and rng.random() < 0.5:
                decision = "refused"
            consent_record(
                actor=case_manager,
                case=case,
                scope=scope,
                decision=decision,
                method=rng.choice(["verbal", "written"]),
            )
        if rng.random() < 0.7:
            child = case.person.age is not None and case.person.age < 18
            means = (
                []
                if child and rng.random() < 0.5
                else rng.sample(["deception", "fraud", "abuse_of_vulnerability", "payments"], 2)
            )
            interview_create(
                actor=case_manager,
                case=case,
                data=InterviewData(
                    conducted_on=today,
                    recruiter_name=rng.choice(RECRUITERS),
                    recruitment_method=rng.choice(["job_offer", "marriage", "travel"]),
                    promised=rng.choice(PROMISES),
                    acts=rng.sample(["recruitment", "transportation", "harbouring"], rng.randint(1, 2)),
                    means=means,
                    purposes=rng.sample(["sexual_exploitation", "forced_labour", "domestic_servitude"], 1),
                    exploitation_stage="intended",
                    alarms=rng.sample(["H01", "H02", "H03", "H04", "H05", "H06"], rng.randint(0, 3)),
                    willing_to_file_complaint=rng.choice(["yes", "no", "undecided"]),
                    willing_to_testify=rng.choice(["yes", "no", "undecided"]),
                    narrative="She met him at the bus park; he said the job was waiting and paid her ticket.",
                ),
            )
        case.refresh_from_db()
        case_risk_set(
            actor=case_manager, case=case, risk=rng.choice(["low", "medium", "high"]), reasons="Family debt."
        )
        if rng.random() < 0.6:
            service_add(
                actor=case_manager,
                case=case,
                kind=rng.choice(["shelter", "medical", "psychosocial", "repatriation"]),
                provider=rng.choice(["Our transit home", "District hospital", "Partner shelter, Butwal"]),
                started_on=today,
            )
        due = today if i % 3 == 0 else today + timedelta(days=rng.randint(3, 30))
        follow_up, _ = follow_up_add(
            actor=case_manager, case=case, due_on=due, method=rng.choice(["phone", "visit"])
        )
        if i % 5 == 1:
            follow_up_record(
                actor=case_manager,
                follow_up=follow_up,
                done_on=today,
                situation=rng.choice(["safe", "safe", "at_risk", "unreachable"]),
                notes="Spoke with her and her mother.",
                interception_outcome=rng.choice(
                    ["trafficking_confirmed", "high_risk_prevented", "not_trafficking", "unknown"]
                )
                if case.interception_id
                else "",
                next_due_on=today + timedelta(days=30),
            )
        case.refresh_from_db()
        if i % 10 == 7:
            case = closure_request(actor=case_manager, case=case, reason="reintegrated")
        elif i % 10 == 9:
            case = closure_request(actor=case_manager, case=case, reason="moved_away")
            closure_approve(actor=manager, case=case)
