"""The benchmark data sets: 2 countries, 100,000 interceptions at 200 stations (~150,000 people), or
1,000,000 at 500 stations (~1.5M people), or any other size (`--interceptions N`).

Each size lives in its own database, built once with set-based SQL (`INSERT ... SELECT` over
`generate_series`), seeded, so every build is the same; `python -m benchmarks.run --rebuild` builds it again.
Call `use(size)` before `build()` / `state()`. Import only after `django.setup()`.
"""

import time

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction

from accounts.models import Country, Membership, Station, User
from accounts.roles import Role
from interception.models import (
    Interceptee,
    Interception,
    InterceptionGroupObjectPermission,
    InterceptionUserObjectPermission,
    NumberCounter,
    RedFlag,
)
from people.models import Identity, Person

from .sizes import SIZES, Size

# Bump when the shape of the data set changes: an existing database with another version is rebuilt.
VERSION = 1
SEED = 0.42


SIZE = SIZES["100k"]
COUNTRIES = SIZE.countries
STATIONS = sum(n for *_, n in COUNTRIES)
INTERCEPTIONS = SIZE.interceptions
DAYS = 730  # occurred_at spreads over the last two years
SKEW = 1.6  # station of a row = floor(STATIONS * random() ^ SKEW): a few busy stations, many quiet ones
DRAFT_SHARE = 0.08
SECOND_VICTIM_SHARE = 0.30  # every interception has one potential victim; these have a second one
SUSPECT_SHARE = 0.20  # ... and these a suspect: ~1.5 interceptees per interception
FLAG_SHARE = 0.06  # chance of each catalogue flag being ticked (~3.4 of ~57 flags per interception)

# The users the benchmark measures (see benchmarks.measure).
MONITOR, MANAGER, DIRECTOR = "bench_monitor", "bench_manager", "bench_director"
MONITOR_STATION, MANAGER_STATION = "NP001", "NP002"
MANAGER_GRANTS = 200  # interceptions at other stations shared with the manager (view)
MANAGER_SENSITIVE_GRANTS = 40  # ... of which also shared with view_sensitive
OTHER_GRANTEES = 8  # case managers and legal officers with grants, up to USER_GRANTS rows in all
USER_GRANTS = SIZE.user_grants
GROUP_GRANTS = SIZE.group_grants  # shared with a group of five legal officers

META_TABLE = "bench_dataset"
# The tables the bulk load fills: their indexes that back no constraint are dropped before the load and
# created again after it (the same definitions, read from pg_indexes).
BULK_TABLES = [
    Interception,
    Interception.red_flags.through,
    Interception.monitors.through,
    Identity,
    Person,
    Interceptee,
    InterceptionUserObjectPermission,
    InterceptionGroupObjectPermission,
]


def use(size: Size) -> None:
    """Make `size` the data set that `build()` and `state()` work on."""
    global SIZE, COUNTRIES, STATIONS, INTERCEPTIONS, USER_GRANTS, GROUP_GRANTS
    SIZE = size
    COUNTRIES = size.countries
    STATIONS = sum(n for *_, n in COUNTRIES)
    INTERCEPTIONS = size.interceptions
    USER_GRANTS = size.user_grants
    GROUP_GRANTS = size.group_grants


def t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def state() -> dict | None:
    """What the database holds: None when it has no complete data set of this version."""
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s)", [META_TABLE])
        if cur.fetchone()[0] is None:
            return None
        cur.execute(f"SELECT version, built_at, seconds FROM {META_TABLE} ORDER BY built_at DESC LIMIT 1")  # noqa: S608
        row = cur.fetchone()
    if row is None or row[0] != VERSION:
        return None
    counts = row_counts()
    if counts["stations"] != STATIONS or counts["interceptions"] != INTERCEPTIONS:
        return None
    return {"version": row[0], "built_at": row[1].isoformat(), "build_seconds": row[2], **counts}


def row_counts() -> dict:
    tables = {
        "countries": Country,
        "stations": Station,
        "users": User,
        "memberships": Membership,
        "interceptions": Interception,
        "interceptees": Interceptee,
        "persons": Person,
        "interception_red_flags": Interception.red_flags.through,
        "interception_monitors": Interception.monitors.through,
        "user_object_grants": InterceptionUserObjectPermission,
        "group_object_grants": InterceptionGroupObjectPermission,
    }
    with connection.cursor() as cur:
        out = {}
        for name, model in tables.items():
            cur.execute(f"SELECT count(*) FROM {t(model)}")  # noqa: S608
            out[name] = cur.fetchone()[0]
    return out


def build(log=print) -> dict:
    """Load the data set into an empty, migrated database."""
    started = time.perf_counter()
    if Interception.objects.exists() or Station.objects.exists():
        raise RuntimeError("The benchmark database is not empty; run with --rebuild.")
    with transaction.atomic():
        _reference_data()
        log(f"  reference data: {time.perf_counter() - started:.1f}s")
        with connection.cursor() as cur:
            # A bulk load: no WAL flush per commit, big sorts in memory for the index builds, and no
            # foreign-key trigger per row (the rows reference each other correctly by construction).
            cur.execute("SET LOCAL synchronous_commit = off")
            cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cur.execute("SET LOCAL work_mem = '64MB'")
            try:
                with transaction.atomic():  # a superuser's setting; without it the load is only slower
                    cur.execute("SET LOCAL session_replication_role = replica")
            except DatabaseError:
                log("  (not a superuser: foreign keys are checked row by row)")
            indexes = _drop_indexes(cur)
            _bulk(cur, log, started)
            for definition in indexes:
                cur.execute(definition)
            cur.execute("SET LOCAL session_replication_role = DEFAULT")
            log(f"  {len(indexes)} indexes built: {time.perf_counter() - started:.1f}s")
    _vacuum_analyze()
    seconds = round(time.perf_counter() - started, 1)
    with connection.cursor() as cur:
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS {META_TABLE} "
            "(version integer NOT NULL, built_at timestamptz NOT NULL, seconds real NOT NULL)"
        )
        cur.execute(f"INSERT INTO {META_TABLE} VALUES (%s, now(), %s)", [VERSION, seconds])  # noqa: S608
    log(f"  built in {seconds}s")
    return state()


def _drop_indexes(cur) -> list[str]:
    """Drop the bulk tables' indexes that back no constraint (primary keys and unique constraints stay);
    return their definitions, to create them again after the load."""
    tables = [m._meta.db_table for m in BULK_TABLES]
    cur.execute(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
        WHERE c.relname = ANY(%s) AND c.relnamespace = 'public'::regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)""",
        [tables],
    )
    found = cur.fetchall()
    for name, _definition in found:
        cur.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in found]


def _reference_data() -> None:
    """Countries, stations, users, memberships, a group: the small tables, through the ORM."""
    password = make_password(None)  # unusable: nobody signs in as a benchmark user
    stations = []
    for code, name, tz, count in COUNTRIES:
        country = Country.objects.create(code=code, name=name)
        stations += [
            Station(code=f"{code}{i:03d}", name=f"{name} border point {i}", country=country, timezone=tz)
            for i in range(1, count + 1)
        ]
    Station.objects.bulk_create(stations)
    stations = list(Station.objects.order_by("code"))

    users = [User(username=f"mon_{s.code.lower()}", password=password) for s in stations]
    users += [User(username=f"mgr_{s.code.lower()}", password=password) for s in stations]
    users += [User(username=f"grantee{i}", password=password) for i in range(1, OTHER_GRANTEES + 1)]
    users += [User(username=f"legal{i}", password=password) for i in range(1, 6)]
    users += [User(username=name, password=password) for name in (MONITOR, MANAGER, DIRECTOR)]
    users += [User(username="dir_in", password=password)]
    User.objects.bulk_create(users, batch_size=1000)
    by_name = {u.username: u for u in User.objects.all()}
    np, in_ = Country.objects.get(code="NP"), Country.objects.get(code="IN")
    code_of = {s.code: s for s in stations}

    memberships = []
    for s in stations:
        memberships.append(Membership(user=by_name[f"mon_{s.code.lower()}"], role=Role.MONITOR, station=s))
        memberships.append(
            Membership(user=by_name[f"mgr_{s.code.lower()}"], role=Role.STATION_MANAGER, station=s)
        )
    for i in range(1, OTHER_GRANTEES + 1):  # case managers and legal officers at a station of their own
        role = Role.CASE_MANAGER if i % 2 else Role.LEGAL_OFFICER
        memberships.append(Membership(user=by_name[f"grantee{i}"], role=role, station=stations[i * 20]))
    for i in range(1, 6):
        memberships.append(
            Membership(user=by_name[f"legal{i}"], role=Role.LEGAL_OFFICER, station=stations[-i])
        )
    memberships += [
        Membership(user=by_name[MONITOR], role=Role.MONITOR, station=code_of[MONITOR_STATION]),
        Membership(user=by_name[MANAGER], role=Role.STATION_MANAGER, station=code_of[MANAGER_STATION]),
        Membership(user=by_name[DIRECTOR], role=Role.COUNTRY_DIRECTOR, country=np),
        Membership(user=by_name["dir_in"], role=Role.COUNTRY_DIRECTOR, country=in_),
    ]
    Membership.objects.bulk_create(memberships, batch_size=1000)
    group = Group.objects.create(name="Regional legal team")
    group.user_set.set([by_name[f"legal{i}"] for i in range(1, 6)])


def _bulk(cur, log, started) -> None:
    """Interceptions, people, interceptees, flags, monitors, counters and grants, in set-based SQL."""
    tz_station = t(Station)
    ct = ContentType.objects.get_for_model(Interception)
    perm_view = Permission.objects.get(content_type=ct, codename="view_interception").pk
    perm_sensitive = Permission.objects.get(content_type=ct, codename="view_sensitive_interception").pk
    manager = User.objects.get(username=MANAGER).pk
    manager_station = Station.objects.get(code=MANAGER_STATION).pk
    group = Group.objects.get(name="Regional legal team").pk

    def run(sql, params=None, label=None):
        cur.execute(sql, params)
        if label:
            log(f"  {label}: {time.perf_counter() - started:.1f}s")

    run("SELECT setseed(%s)", [SEED])
    # Stations in a shuffled order, so the busy stations (low rn) fall in both countries.
    run(
        f"""CREATE TEMP TABLE b_station ON COMMIT DROP AS
        SELECT s.id, s.code, s.timezone, u.id AS monitor_id,
               (row_number() OVER (ORDER BY random()) - 1)::int AS rn
        FROM {tz_station} s JOIN {t(User)} u ON u.username = 'mon_' || lower(s.code)"""  # noqa: S608
    )
    run(
        """CREATE TEMP TABLE b_raw0 ON COMMIT DROP AS
        SELECT least(floor(%(stations)s * power(random(), %(skew)s)), %(stations)s - 1)::int AS rn,
               date_trunc('second', now() - random() * make_interval(days => %(days)s)) AS occurred_at,
               random() AS r_status, random() AS r_outcome, random() AS r_v2, random() AS r_s,
               (1 + floor(random() * 5))::int AS certainty,
               (1 + floor(random() * 40))::int AS place_no
        FROM generate_series(1, %(n)s)""",
        {"stations": STATIONS, "skew": SKEW, "days": DAYS, "n": INTERCEPTIONS},
    )
    # Ids follow time, as they would in a live system.
    run(
        """CREATE TEMP TABLE b_raw ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY r.occurred_at) AS id, r.*, s.id AS station_id, s.code,
               s.monitor_id, (r.occurred_at AT TIME ZONE s.timezone)::date AS occurred_on
        FROM b_raw0 r JOIN b_station s USING (rn)"""
    )
    run(
        f"""CREATE TEMP TABLE b_flag ON COMMIT DROP AS
        SELECT r.id, f.id AS flag_id, f.points FROM b_raw r JOIN {t(RedFlag)} f ON random() < %s""",  # noqa: S608
        [FLAG_SHARE],
    )
    run(
        f"""INSERT INTO {t(Interception)} (id, number, station_id, occurred_at, occurred_on, place,
            red_flag_score, certainty, reason, outcome, outcome_notes, status, submitted_at, version,
            created_by_id, idempotency_key, created_at, updated_at)
        SELECT r.id,
               r.code || '-' || extract(year FROM r.occurred_on) || '-' || lpad(row_number() OVER (
                   PARTITION BY r.station_id, extract(year FROM r.occurred_on) ORDER BY r.occurred_at, r.id
               )::text, 5, '0'),
               r.station_id, r.occurred_at, r.occurred_on, 'Checkpoint ' || r.place_no,
               coalesce(f.score, 0),
               CASE WHEN r.r_status < %(draft)s THEN NULL ELSE r.certainty END,
               CASE WHEN r.r_status < %(draft)s THEN '' ELSE 'Travelling with a man met a week ago; '
                   'says a job waits in the city but cannot name the employer.' END,
               CASE WHEN r.r_outcome < 0.4 THEN 'returned_home' WHEN r.r_outcome < 0.6 THEN 'shelter'
                    WHEN r.r_outcome < 0.7 THEN 'police' WHEN r.r_outcome < 0.8 THEN 'continued'
                    WHEN r.r_outcome < 0.85 THEN 'other' ELSE '' END,
               '',
               CASE WHEN r.r_status < %(draft)s THEN 'draft' ELSE 'submitted' END,
               CASE WHEN r.r_status < %(draft)s THEN NULL ELSE r.occurred_at + interval '50 minutes' END,
               1, r.monitor_id, NULL,
               r.occurred_at + interval '20 minutes', r.occurred_at + interval '50 minutes'
        FROM b_raw r LEFT JOIN (SELECT id, sum(points) AS score FROM b_flag GROUP BY id) f USING (id)
        ORDER BY r.id""",  # noqa: S608
        {"draft": DRAFT_SHARE},
        label="interceptions",
    )
    run(
        f"""INSERT INTO {t(Interception.red_flags.through)} (interception_id, redflag_id, points)
        SELECT id, flag_id, points FROM b_flag ORDER BY id, flag_id"""  # noqa: S608
    )
    run(
        f"""INSERT INTO {t(Interception.monitors.through)} (interception_id, user_id)
        SELECT id, monitor_id FROM b_raw ORDER BY id""",  # noqa: S608
        label="red flags and monitors",
    )
    # ~1.5 interceptees per interception: one potential victim each, some a second one, some a suspect.
    run(
        """CREATE TEMP TABLE b_people ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY p.interception_id, p.slot) AS id, p.*, random() AS r
        FROM (
            SELECT id AS interception_id, station_id, monitor_id, occurred_at, 1 AS slot,
                   'potential_victim' AS role FROM b_raw
            UNION ALL SELECT id, station_id, monitor_id, occurred_at, 2, 'potential_victim'
                FROM b_raw WHERE r_v2 < %s
            UNION ALL SELECT id, station_id, monitor_id, occurred_at, 3, 'suspect' FROM b_raw WHERE r_s < %s
        ) p""",
        [SECOND_VICTIM_SHARE, SUSPECT_SHARE],
    )
    # One identity per appearance (nothing merged), with the appearance's id (docs/people.md).
    run(
        f"""INSERT INTO {t(Identity)} (id, gender, birth_year, created_at, updated_at)
        SELECT p.id, CASE WHEN p.role = 'suspect' THEN 'male' WHEN p.r < 0.9 THEN 'female' ELSE 'male' END,
               NULL, p.occurred_at, p.occurred_at FROM b_people p ORDER BY p.id"""  # noqa: S608
    )
    run(
        f"""INSERT INTO {t(Person)} (id, identity_id, source, record_id, recorded_on, station_id, full_name,
            gender, age, birth_date_estimate, phone, address, nationality, created_by_id, created_at,
            updated_at)
        SELECT p.id, p.id, 'interception', p.interception_id, p.occurred_at::date, p.station_id,
               (ARRAY['Sita','Gita','Maya','Anita','Sunita','Ram','Hari','Bimala','Kamala','Puja'])
                   [1 + mod(p.id, 10)] || ' ' ||
               (ARRAY['Tamang','Gurung','Rai','Magar','Thapa','Shrestha','Lama','Sherpa','Yadav','BK'])
                   [1 + mod(p.id / 10, 10)] || ' ' || p.id,
               CASE WHEN p.role = 'suspect' THEN 'male' WHEN p.r < 0.9 THEN 'female' ELSE 'male' END,
               CASE WHEN p.role = 'suspect' THEN 25 + mod(p.id, 30) ELSE 14 + mod(p.id, 20) END,
               NULL, '98' || lpad(mod(p.id * 7919, 100000000)::text, 8, '0'),
               'Ward ' || (1 + mod(p.id, 12)) || ', ' || (ARRAY['Sindhupalchok','Makwanpur','Nuwakot',
                   'Dhading','Rautahat'])[1 + mod(p.id, 5)],
               'NP', p.monitor_id,
               p.occurred_at + interval '30 minutes', p.occurred_at + interval '30 minutes'
        FROM b_people p ORDER BY p.id""",  # noqa: S608
        label="persons",
    )
    run(
        f"""INSERT INTO {t(Interceptee)} (id, interception_id, person_id, role, consent_to_use_information,
            consent_to_use_photo)
        SELECT id, interception_id, id, role, r < 0.8, r < 0.3 FROM b_people ORDER BY id"""  # noqa: S608
    )
    run(
        f"""INSERT INTO {t(NumberCounter)} (station_id, year, last)
        SELECT station_id, extract(year FROM occurred_on)::int, count(*) FROM b_raw GROUP BY 1, 2"""  # noqa: S608
    )
    # Grants: the manager gets MANAGER_GRANTS interceptions at other stations (some with view_sensitive);
    # other case managers and legal officers share the rest of USER_GRANTS; a group gets GROUP_GRANTS.
    uop = t(InterceptionUserObjectPermission)
    run(
        """CREATE TEMP TABLE b_mgr ON COMMIT DROP AS
        SELECT id, row_number() OVER () AS k FROM (
            SELECT id FROM b_raw WHERE station_id <> %s ORDER BY random() LIMIT %s) x""",
        [manager_station, MANAGER_GRANTS],
    )
    run(
        f"""INSERT INTO {uop} (user_id, permission_id, content_object_id)
        SELECT %(user)s, %(view)s, id FROM b_mgr
        UNION ALL SELECT %(user)s, %(sensitive)s, id FROM b_mgr WHERE k <= %(n_sensitive)s""",  # noqa: S608
        {
            "user": manager,
            "view": perm_view,
            "sensitive": perm_sensitive,
            "n_sensitive": MANAGER_SENSITIVE_GRANTS,
        },
    )
    # Each other grantee: `view` on 165 interceptions, and `view_sensitive` on 55 of them (1,760 rows).
    per_user = (USER_GRANTS - MANAGER_GRANTS - MANAGER_SENSITIVE_GRANTS) // OTHER_GRANTEES
    view_per_user = per_user * 3 // 4
    run(
        f"""CREATE TEMP TABLE b_grantee ON COMMIT DROP AS
        SELECT u.id AS user_id, x.id, x.k
        FROM {t(User)} u CROSS JOIN LATERAL (
            SELECT id, row_number() OVER () AS k FROM (
                SELECT id FROM b_raw WHERE u.id > 0 ORDER BY random() LIMIT %s) y) x
        WHERE u.username LIKE 'grantee%%'""",  # noqa: S608
        [view_per_user],
    )
    run(
        f"""INSERT INTO {uop} (user_id, permission_id, content_object_id)
        SELECT user_id, %(view)s, id FROM b_grantee
        UNION ALL SELECT user_id, %(sensitive)s, id FROM b_grantee WHERE k <= %(n_sensitive)s""",  # noqa: S608
        {"view": perm_view, "sensitive": perm_sensitive, "n_sensitive": per_user - view_per_user},
    )
    run(
        f"""INSERT INTO {t(InterceptionGroupObjectPermission)} (group_id, permission_id, content_object_id)
        SELECT %s, %s, id FROM b_raw ORDER BY random() LIMIT %s""",  # noqa: S608
        [group, perm_view, GROUP_GRANTS],
        label="interceptees, counters and grants",
    )
    for model in (Interception, Identity, Person, Interceptee):
        table = model._meta.db_table
        run(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM {t(model)}))",  # noqa: S608
            [table],
        )


def _vacuum_analyze() -> None:
    """Set the visibility map and the planner's statistics, as autovacuum would on a live system."""
    with connection.cursor() as cur:
        cur.execute("VACUUM (ANALYZE)")
