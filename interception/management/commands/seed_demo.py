"""Build demo data for Nepal–India border stations, through the project's services.

Idempotent: stations and users are looked up before they are created, and every interception is
created with a deterministic idempotency key (`demo-<station>-<n>`) by its station's monitor, so a
second run creates nothing. The same `--seed` always produces the same records.

It refuses to run against a database holding any user it did not create: demo accounts have a published
password and a published two-step key, which must never reach a real account. A demo user is one of the
usernames below that carries the demo authenticator (accounts.mfa.is_demo_user), which seed_demo attaches
only to users it has just created.
"""

import argparse
import logging
import os
import random
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.mfa import DEMO_DEVICE_NAME, DEMO_TOTP_KEY_B32, DEMO_TOTP_KEY_HEX, demo_authenticator
from accounts.models import Country, Station, User
from accounts.roles import Role
from accounts.services import role_grant, station_create
from core.errors import IdempotencyConflict
from interception.models import IntercepteeRole
from interception.selectors import red_flags_for_station
from interception.services import IntercepteeData, InterceptionData, interception_create
from people.models import Gender

DEFAULT_PASSWORD = "demo-pass-2026"

COUNTRIES = [("NP", "Nepal"), ("IN", "India")]

# code, name, relative share of interceptions, places
STATIONS = [
    (
        "BHW",
        "Bhairahawa",
        20,
        ["Belahiya border checkpoint", "Bhairahawa bus park", "Sunauli crossing", "Siddharthanagar chowk"],
    ),
    (
        "BRG",
        "Birgunj",
        18,
        ["Birgunj customs gate", "Shankaracharya gate", "Birgunj bus park", "Birgunj ICP road"],
    ),
    (
        "BRT",
        "Biratnagar",
        12,
        ["Jogbani border checkpoint", "Rani customs office", "Biratnagar bus park"],
    ),
    (
        "NPJ",
        "Nepalgunj",
        12,
        ["Jamunaha border checkpoint", "Nepalgunj bus park", "Rupaidiha road crossing"],
    ),
    (
        "MHN",
        "Mahendranagar",
        8,
        ["Gaddachauki border checkpoint", "Mahakali bridge", "Mahendranagar bus park"],
    ),
    (
        "KKB",
        "Kakarbhitta",
        12,
        ["Mechi bridge checkpoint", "Kakarbhitta bus park", "Kakarbhitta customs office"],
    ),
    (
        "DHG",
        "Dhangadhi",
        8,
        ["Gauriphanta border checkpoint", "Dhangadhi bus park", "Trinagar crossing"],
    ),
    (
        "JNK",
        "Janakpur",
        10,
        [
            "Jaleshwar border crossing",
            "Bhittamod checkpoint",
            "Janakpur railway station",
            "Janakpur bus park",
        ],
    ),
]

# username, first name, last name, role, station code (None: country NP)
STAFF = [
    ("monitor", "Sabina", "Gurung", Role.MONITOR, "BHW"),
    ("monitor2", "Bishnu", "Chaudhary", Role.MONITOR, "BRG"),
    ("manager", "Kamala", "Shrestha", Role.STATION_MANAGER, "BHW"),
    ("case_manager", "Anju", "Rai", Role.CASE_MANAGER, "BHW"),
    ("legal", "Prakash", "Adhikari", Role.LEGAL_OFFICER, "BHW"),
    ("director", "Sushila", "Karki", Role.COUNTRY_DIRECTOR, None),
    ("auditor", "Dinesh", "Poudel", Role.AUDITOR, None),
    ("admin", "Nabin", "Lama", Role.ADMIN, None),
]

# Monitors for the other stations: username monitor_<code>.
STATION_MONITORS = {
    "BRT": ("Srijana", "Limbu"),
    "NPJ": ("Manoj", "Tharu"),
    "MHN": ("Pushpa", "Bhatt"),
    "KKB": ("Rojina", "Rajbanshi"),
    "DHG": ("Janaki", "Chaudhary"),
    "JNK": ("Sunil", "Yadav"),
}

DEMO_USERNAMES = frozenset(
    [username for username, *_ in STAFF] + [f"monitor_{code.lower()}" for code in STATION_MONITORS]
)

ADMIN_MODELS = [
    ("accounts", "user"),
    ("accounts", "station"),
    ("accounts", "country"),
    ("accounts", "membership"),
    ("interception", "redflag"),
]

# (Latin, Devanagari) name parts.
FEMALE_NAMES = [
    ("Sita", "सीता"),
    ("Gita", "गीता"),
    ("Maya", "माया"),
    ("Sunita", "सुनिता"),
    ("Laxmi", "लक्ष्मी"),
    ("Sarita", "सरिता"),
    ("Anita", "अनिता"),
    ("Kabita", "कविता"),
    ("Puja", "पूजा"),
    ("Sabina", "सबिना"),
    ("Rita", "रीता"),
    ("Nirmala", "निर्मला"),
    ("Bimala", "बिमला"),
    ("Asmita", "अस्मिता"),
    ("Samjhana", "सम्झना"),
    ("Sushmita", "सुस्मिता"),
    ("Mina", "मीना"),
    ("Radha", "राधा"),
    ("Parbati", "पार्वती"),
    ("Sangita", "संगीता"),
    ("Dipa", "दीपा"),
    ("Manisha", "मनिषा"),
    ("Srijana", "सृजना"),
    ("Kamala", "कमला"),
    ("Januka", "जनुका"),
    ("Pabitra", "पवित्रा"),
    ("Rojina", "रोजिना"),
    ("Aarati", "आरती"),
]
MALE_NAMES = [
    ("Ram Bahadur", "राम बहादुर"),
    ("Hari", "हरि"),
    ("Krishna", "कृष्ण"),
    ("Bikash", "विकास"),
    ("Suresh", "सुरेश"),
    ("Rajesh", "राजेश"),
    ("Santosh", "सन्तोष"),
    ("Dipak", "दीपक"),
    ("Prakash", "प्रकाश"),
    ("Sanjay", "संजय"),
    ("Anil", "अनिल"),
    ("Binod", "विनोद"),
    ("Kamal", "कमल"),
    ("Ramesh", "रमेश"),
    ("Dinesh", "दिनेश"),
    ("Gopal", "गोपाल"),
    ("Mohan", "मोहन"),
    ("Shyam", "श्याम"),
    ("Nabin", "नवीन"),
    ("Sagar", "सागर"),
    ("Dil Bahadur", "दिल बहादुर"),
    ("Man Bahadur", "मन बहादुर"),
]
SURNAMES = [
    ("Tamang", "तामाङ"),
    ("Thapa", "थापा"),
    ("Shrestha", "श्रेष्ठ"),
    ("Gurung", "गुरुङ"),
    ("Rai", "राई"),
    ("Magar", "मगर"),
    ("Limbu", "लिम्बु"),
    ("Tharu", "थारु"),
    ("Sherpa", "शेर्पा"),
    ("Bhattarai", "भट्टराई"),
    ("Adhikari", "अधिकारी"),
    ("Karki", "कार्की"),
    ("Chaudhary", "चौधरी"),
    ("Yadav", "यादव"),
    ("Sah", "साह"),
    ("Bishwakarma", "विश्वकर्मा"),
    ("Pariyar", "परियार"),
    ("Nepali", "नेपाली"),
    ("Khadka", "खड्का"),
    ("Poudel", "पौडेल"),
    ("Lama", "लामा"),
    ("Ghimire", "घिमिरे"),
    ("Mahato", "महतो"),
    ("Bhandari", "भण्डारी"),
]
# Suspects from across the border.
INDIAN_MALE_NAMES = [
    ("Rakesh Kumar", "राकेश कुमार"),
    ("Sunil Yadav", "सुनिल यादव"),
    ("Pankaj Singh", "पंकज सिंह"),
    ("Rajkumar Gupta", "राजकुमार गुप्ता"),
    ("Mohammad Salim", "मोहम्मद सलीम"),
    ("Vijay Sharma", "विजय शर्मा"),
    ("Ajay Prasad", "अजय प्रसाद"),
]

ADDRESSES = [
    "Melamchi-4, Sindhupalchok",
    "Chautara-2, Sindhupalchok",
    "Bidur-7, Nuwakot",
    "Hetauda-11, Makwanpur",
    "Nilkantha-3, Dhading",
    "Butwal-9, Rupandehi",
    "Tilottama-5, Rupandehi",
    "Tikapur-2, Kailali",
    "Damak-6, Jhapa",
    "Birtamod-4, Jhapa",
    "Belbari-3, Morang",
    "Itahari-8, Sunsari",
    "Charikot-1, Dolakha",
    "Banepa-5, Kavrepalanchok",
    "Kohalpur-3, Banke",
    "Gulariya-6, Bardiya",
    "Ghorahi-14, Dang",
    "Mithila-2, Dhanusha",
    "Malangawa-4, Sarlahi",
    "Pokhariya-1, Parsa",
    "Bhimdatt-10, Kanchanpur",
    "Gorkha-3, Gorkha",
    "Suryodaya-7, Ilam",
    "Triyuga-5, Udayapur",
]
GULF_COUNTRY_CODES = ["KW", "AE", "QA", "SA", "OM", "BH", "MY"]
INDIAN_ADDRESSES = ["Raxaul, Bihar", "Gorakhpur, Uttar Pradesh", "Siliguri, West Bengal", "Lucknow"]

INDIA_DESTINATIONS = ["Delhi", "Mumbai", "Kolkata", "Bangalore", "Pune", "Ludhiana", "Surat", "Goa"]
GULF_DESTINATIONS = ["Kuwait", "Dubai", "Qatar", "Saudi Arabia", "Oman", "Bahrain", "Malaysia"]
GULF_HUBS = ["Delhi", "Mumbai", "Lucknow", "Kolkata"]
JOBS = [
    "work in a hotel",
    "domestic work",
    "work in a garment factory",
    "work in a beauty parlour",
    "work in a restaurant",
    "a job in a call centre",
    "work as a dancer",
    "work as a nanny",
]
COMPANIONS = [
    "a man she met on Facebook three weeks ago",
    "a man she met on TikTok last month",
    "an 'uncle' from the next village",
    "a woman who said she was her aunt",
    "a broker (dalal) who had visited her village",
    "her husband of two weeks",
    "a boy she had been talking to on the phone",
    "two older women she met on the bus",
]
REASON_TEMPLATES = [
    "Travelling with {companion}; said they were going to {city} for {job} but could not name the "
    "employer or give an address.",
    "Said she was going to {city} to visit a relative, then changed her story and said she was going "
    "for {job}. Her companion gave a different destination.",
    "Going to {gulf} via {hub} for {job}; no labour permit and no contract. The ticket was bought "
    "by {companion}.",
    "Travelling with {companion}, who answered every question for her. She did not know where in "
    "{city} they would stay.",
    "Family did not know she had left. She was told not to tell anyone and to say she was going to "
    "{city} for a wedding.",
    "Promised {job} in {city} with a high salary; her passport was being carried by {companion}.",
    "Group stopped at the checkpoint; the girls' stories about going to {city} did not match and the "
    "man with them tried to leave when questioned.",
    "Said she was going to {gulf} for {job} through an agent in {hub}; she had paid a large fee "
    "and had no written contract.",
]
OUTCOME_NOTES = {
    "returned_home": [
        "Family was called and her brother came to take her home.",
        "Handed over to her parents at the station office.",
        "Sent home by bus with a staff member after her mother confirmed by phone.",
    ],
    "shelter": [
        "Taken to the transit home while her family is traced.",
        "Stayed at the shelter overnight; counselling arranged.",
    ],
    "police": [
        "Suspect handed to Nepal Police at the border post; statement taken.",
        "Police informed; the companion was detained for questioning.",
    ],
    "continued": [
        "Documents and story checked with family; allowed to continue with contact numbers.",
        "Family confirmed the trip; awareness given and she continued.",
    ],
    "other": ["Referred to the legal officer for follow-up."],
}
OUTCOMES = ["returned_home", "shelter", "police", "continued", "other", ""]
OUTCOME_WEIGHTS = [45, 25, 10, 8, 3, 9]

HISTORY_DAYS = 548  # about 18 months


class Command(BaseCommand):
    help = "Create demo stations, users and interceptions (idempotent and deterministic)."

    def add_arguments(self, parser):
        parser.add_argument("--interceptions", type=int, default=300, help="How many interceptions (300).")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (2026).")
        parser.add_argument("--i-know-this-is-not-production", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["i_know_this_is_not_production"]:
            raise CommandError("seed_demo creates users with known passwords; it runs only with DEBUG on.")
        count = options["interceptions"]
        if count < 0:
            raise CommandError("--interceptions cannot be negative.")
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
        self._refuse_real_users()
        started = time.monotonic()

        countries = self._countries()
        stations, stations_created = self._stations()
        users, users_created, logins = self._users(password, stations, countries["NP"])
        created, existing = self._interceptions(count, options["seed"], stations, users)
        # The case files the submissions opened, worked on by the demo case manager (cases/, above this app:
        # called by name, not imported).
        call_command(
            "seed_demo_cases",
            seed=options["seed"],
            i_know_this_is_not_production=options["i_know_this_is_not_production"],
            stdout=self.stdout,
        )

        elapsed = time.monotonic() - started
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {elapsed:.1f}s."))
        self.stdout.write(f"  stations created:      {stations_created} (of {len(stations)})")
        self.stdout.write(f"  users created:         {users_created} (of {len(users)})")
        self.stdout.write(f"  interceptions created: {created} ({existing} already there)")
        self.stdout.write("")
        self.stdout.write(
            f"Demo logins (password: {password}; two-step login code: manage.py demo_code USERNAME,"
        )
        self.stdout.write(f"or add the key {DEMO_TOTP_KEY_B32} to an authenticator app):")
        width = max(len(u) for u, _, _ in logins)
        self.stdout.write(f"  {'username'.ljust(width)}  {'role'.ljust(18)}  where")
        for username, role, where in logins:
            self.stdout.write(f"  {username.ljust(width)}  {role.ljust(18)}  {where}")

    # Setup ----------------------------------------------------------------------------------------

    @staticmethod
    def _refuse_real_users() -> None:
        """Stop unless every user in the database is a demo user this command created."""
        demo = TOTPDevice.objects.filter(name=DEMO_DEVICE_NAME, key=DEMO_TOTP_KEY_HEX).values("user_id")
        others = User.objects.exclude(username__in=DEMO_USERNAMES, pk__in=demo).order_by("pk")
        count = others.count()
        if count:
            shown = ", ".join(others.values_list("username", flat=True)[:5]) + (", …" if count > 5 else "")
            raise CommandError(
                f"seed_demo refuses to run: this database holds {count} user(s) that seed_demo did not "
                f"create ({shown}). Demo accounts have a published password and two-step key, so "
                "seed_demo only runs on an empty database or one it seeded itself."
            )

    def _countries(self) -> dict[str, Country]:
        countries = {}
        for code, name in COUNTRIES:
            country, created = Country.objects.get_or_create(code=code, defaults={"name": name})
            if not created and country.name == code:  # created as a bare code by station_create
                country.name = name
                country.save(update_fields=["name"])
            countries[code] = country
        return countries

    def _stations(self) -> tuple[dict[str, Station], int]:
        stations, created_count = {}, 0
        for code, name, _, _ in STATIONS:
            station = Station.objects.filter(code=code).select_related("country").first()
            unchanged = (
                station is not None
                and station.name == name
                and station.country.code == "NP"
                and station.timezone == "Asia/Kathmandu"
            )
            if not unchanged:
                station, created = station_create(
                    actor=None, code=code, name=name, country_code="NP", timezone="Asia/Kathmandu"
                )
                created_count += created
            stations[code] = station
        return stations, created_count

    def _user(self, username: str, first: str, last: str, password: str) -> tuple[User, bool]:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@demo.example"},
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        try:
            # The published key goes only to a user created just now, never to an existing account.
            demo_authenticator(user, created=created)
        except ValueError as exc:
            raise CommandError(f"User {username} exists and is not a demo user: {exc}") from exc
        return user, created

    @transaction.atomic  # a demo user is never left without its demo authenticator (its mark)
    def _users(self, password: str, stations: dict[str, Station], nepal: Country):
        users: dict[str, User] = {}
        logins: list[tuple[str, str, str]] = []
        created_count = 0
        for username, first, last, role, station_code in STAFF:
            user, created = self._user(username, first, last, password)
            created_count += created
            station = stations[station_code] if station_code else None
            role_grant(actor=None, user=user, role=role, station=station, country=None if station else nepal)
            users[username] = user
            logins.append((username, str(role), station_code or "all of Nepal (NP)"))
        for code, (first, last) in STATION_MONITORS.items():
            username = f"monitor_{code.lower()}"
            user, created = self._user(username, first, last, password)
            created_count += created
            role_grant(actor=None, user=user, role=Role.MONITOR, station=stations[code])
            users[username] = user
            logins.append((username, str(Role.MONITOR), code))

        admin = users["admin"]
        if not admin.is_staff or admin.is_superuser:
            admin.is_staff, admin.is_superuser = True, False
            admin.save(update_fields=["is_staff", "is_superuser"])
        wanted = [
            f"{action}_{model}" for _, model in ADMIN_MODELS for action in ("add", "change", "view", "delete")
        ]
        perms = Permission.objects.filter(
            content_type__app_label__in={app for app, _ in ADMIN_MODELS},
            content_type__model__in={model for _, model in ADMIN_MODELS},
            codename__in=wanted,
        )
        admin.user_permissions.add(*perms)
        if len(perms) != len(wanted):
            self.stderr.write(
                self.style.WARNING(
                    f"Found {len(perms)} of {len(wanted)} admin permissions; run migrate first?"
                )
            )
        return users, created_count, logins

    # Interceptions ---------------------------------------------------------------------------------

    def _interceptions(self, count: int, seed: int, stations: dict[str, Station], users: dict[str, User]):
        rng = random.Random(seed)
        actors = {"BHW": users["monitor"], "BRG": users["monitor2"]}
        actors.update({code: users[f"monitor_{code.lower()}"] for code in STATION_MONITORS})
        flags = {
            code: list(red_flags_for_station(station).order_by("code").values_list("code", "points"))
            for code, station in stations.items()
        }
        if not any(flags.values()):
            raise CommandError("No active red flags in the database; run migrate first.")
        codes = [s[0] for s in STATIONS]
        weights = [s[2] for s in STATIONS]
        places = {s[0]: s[3] for s in STATIONS}
        self._suspect_pool: list[tuple[str, str, int | None, str, str]] = []
        self._victim_pool: list[tuple] = []

        created = existing = 0
        now = timezone.now()
        # Celery tasks queued on commit (the daily tally) run inline, so no broker or worker is needed.
        from celery import current_app as celery_app

        eager_before = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = True
        trace_logger = logging.getLogger("celery.app.trace")
        level_before = trace_logger.level
        trace_logger.setLevel(logging.WARNING)  # not one "Task … succeeded" line per record
        # Generate everything first, then create in date order so numbers (BHW-2025-00001…) follow
        # the dates. Record i always has the key demo-<station>-<i>, whatever the creation order.
        planned = []
        for i in range(1, count + 1):
            code = rng.choices(codes, weights)[0]
            submit, data = self._interception_data(rng, now, stations[code], places[code], flags[code])
            planned.append((data.occurred_at, i, code, submit, data))
        planned.sort(key=lambda p: (p[0], p[1]))
        try:
            for done, (_, i, code, submit, data) in enumerate(planned, start=1):
                station = stations[code]
                try:
                    _, was_created = interception_create(
                        actor=actors[code],
                        station=station,
                        data=data,
                        submit=submit,
                        idempotency_key=f"demo-{code}-{i}",
                    )
                except IdempotencyConflict:  # made by a run on an earlier day (dates follow today): kept
                    existing += 1
                    continue
                except ValidationError as exc:
                    raise CommandError(f"Interception {i} at {code} was refused: {exc}") from exc
                created += was_created
                existing += not was_created
                if done % 100 == 0:
                    self.stdout.write(f"  {done}/{count} interceptions…")
        finally:
            celery_app.conf.task_always_eager = eager_before
            trace_logger.setLevel(level_before)
        return created, existing

    def _name(self, rng: random.Random, gender: str, devanagari: bool) -> str:
        given = rng.choice(FEMALE_NAMES if gender == Gender.FEMALE else MALE_NAMES)
        surname = rng.choice(SURNAMES)
        i = 1 if devanagari else 0
        return f"{given[i]} {surname[i]}"

    @staticmethod
    def _phone(rng: random.Random) -> str:
        # Nepal mobile ranges that `phonenumbers` knows (983, 987 and 989 are not valid; people/phones.py).
        prefix = rng.choice(("980", "981", "982", "984", "985", "986", "988"))
        return f"+977{prefix}{rng.randrange(10**7):07d}"

    _districts: dict[str, str] = {}

    def _home(self, rng: random.Random) -> tuple[str, str]:
        """An address and, when the reference places know it, its district's code (the routes' source)."""
        from people.services import find_place

        address = rng.choice(ADDRESSES)
        district = address.split(",")[-1].strip()
        if district not in self._districts:
            place = find_place(district)
            self._districts[district] = place.code if place else ""
        return address, self._districts[district]

    @staticmethod
    def _destination(rng: random.Random) -> dict:
        """Where a potential victim said she was going: an Indian city or a Gulf country (the routes' end)."""
        if rng.random() < 0.7:
            return {"destination_text": rng.choice(INDIA_DESTINATIONS), "destination_country": "IN"}
        country = rng.choice(GULF_COUNTRY_CODES)
        return {"destination_text": "", "destination_country": country}

    def _victim(self, rng: random.Random, submit: bool) -> IntercepteeData:
        pool = self._victim_pool
        if pool and rng.random() < 0.06:
            # A girl intercepted again (docs/people.md): her name as first written or in the other script,
            # a year older at most; the match review queue suggests the two appearances are one person.
            given, surname, gender, age, phone, address, home = rng.choice(pool)
            script = rng.random() < 0.5
            return IntercepteeData(
                full_name=f"{given[script]} {surname[script]}",
                role=IntercepteeRole.POTENTIAL_VICTIM,
                gender=gender,
                age=None if age is None else age + rng.randint(0, 1),
                phone=phone if rng.random() < 0.7 else "",
                address=address,
                address_place=home,
                **self._destination(rng),
                nationality="NP",
                consent_to_use_information=submit and rng.random() < 0.8,
                consent_to_use_photo=submit and rng.random() < 0.4,
            )
        gender = Gender.FEMALE if rng.random() < 0.85 else Gender.MALE
        if gender == Gender.FEMALE:
            age = rng.choices(range(14, 31), [3, 5, 7, 8, 8, 8, 7, 7, 6, 5, 4, 4, 3, 3, 2, 2, 2])[0]
        else:
            age = rng.randint(17, 35)
        given = rng.choice(FEMALE_NAMES if gender == Gender.FEMALE else MALE_NAMES)
        surname = rng.choice(SURNAMES)
        script = int(rng.random() < 1 / 3)
        age = age if rng.random() < 0.95 else None
        phone = self._phone(rng) if rng.random() < 0.35 else ""
        address, home = self._home(rng)
        pool.append((given, surname, gender, age, phone, address, home))
        return IntercepteeData(
            full_name=f"{given[script]} {surname[script]}",
            role=IntercepteeRole.POTENTIAL_VICTIM,
            gender=gender,
            age=age,
            phone=phone,
            address=address,
            address_place=home,
            **self._destination(rng),
            nationality="NP",
            consent_to_use_information=submit and rng.random() < 0.8,
            consent_to_use_photo=submit and rng.random() < 0.4,
        )

    def _suspect(self, rng: random.Random) -> IntercepteeData:
        pool = self._suspect_pool
        devanagari = rng.random() < 1 / 3
        if pool and rng.random() < 0.15:
            # A known trafficker seen again: the same phone, the name as first written or spelt anew.
            known = rng.choice(pool)
            name, gender, age, phone, nationality = known
            if rng.random() < 0.5 and nationality == "NP":
                name = self._name(rng, gender, devanagari)
        else:
            gender = Gender.FEMALE if rng.random() < 0.2 else Gender.MALE  # women recruit too
            if gender == Gender.MALE and rng.random() < 0.2:
                given = rng.choice(INDIAN_MALE_NAMES)
                name, nationality = (given[1] if devanagari else given[0]), "IN"
            else:
                name, nationality = self._name(rng, gender, devanagari), "NP"
            phone = self._phone(rng) if rng.random() < 0.8 else ""
            age = rng.randint(22, 50) if rng.random() < 0.8 else None
            if phone:
                pool.append((name, gender, age, phone, nationality))
        address = rng.choice(INDIAN_ADDRESSES if nationality == "IN" else ADDRESSES)
        return IntercepteeData(
            full_name=name,
            role=IntercepteeRole.SUSPECT,
            gender=gender,
            age=age,
            phone=phone,
            address=address if rng.random() < 0.6 else "",
            nationality=nationality,
        )

    def _interception_data(self, rng, now, station: Station, places: list[str], flags: list[tuple[str, int]]):
        submit = rng.random() < 0.85
        tz = station.tzinfo
        today = now.astimezone(tz).date()
        day = today - timedelta(days=rng.randrange(HISTORY_DAYS))
        hour = rng.choices(range(24), [1] * 5 + [3] * 3 + [6] * 10 + [3] * 3 + [1] * 3)[0]
        occurred_at = datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=tz)
        if occurred_at > now:
            occurred_at -= timedelta(days=1)

        picked = rng.sample(flags, min(len(flags), rng.randint(2, 8)))
        score = sum(points for _, points in picked)
        certainty = min(5, max(1, round(score / 45) + rng.randint(-1, 1)))

        victims = [self._victim(rng, submit) for _ in range(rng.choices([1, 2, 3], [65, 25, 10])[0])]
        suspects = [self._suspect(rng) for _ in range(rng.choices([0, 1, 2], [35, 50, 15])[0])]
        reason = rng.choice(REASON_TEMPLATES).format(
            companion=rng.choice(COMPANIONS),
            city=rng.choice(INDIA_DESTINATIONS),
            gulf=rng.choice(GULF_DESTINATIONS),
            hub=rng.choice(GULF_HUBS),
            job=rng.choice(JOBS),
        )
        outcome = rng.choices(OUTCOMES, OUTCOME_WEIGHTS)[0] if submit else ""
        if outcome == "police" and not suspects:
            outcome = "shelter"
        notes = rng.choice(OUTCOME_NOTES[outcome]) if outcome and rng.random() < 0.7 else ""

        if not submit:  # drafts are often half filled in
            if rng.random() < 0.4:
                certainty = None
            if rng.random() < 0.3:
                reason = ""
            if rng.random() < 0.2:
                victims = []
        return submit, InterceptionData(
            occurred_at=occurred_at,
            place=rng.choice(places),
            certainty=certainty,
            reason=reason,
            outcome=outcome,
            outcome_notes=notes,
            red_flag_codes=[code for code, _ in picked],
            interceptees=victims + suspects,
        )
