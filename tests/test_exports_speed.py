"""Fast exports (issue 9): rows read as plain values with a fixed number of queries, and files that are the
same as before, byte for byte in CSV and cell for cell in XLSX (values, types, quote prefix).

"Before" is the previous implementation, kept below as the reference: model instances, `select_related`
and `prefetch_related`, one row at a time, openpyxl's write-only cells."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Prefetch
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell

from accounts.access import annotate_allowed, scope
from accounts.models import Membership
from accounts.roles import Action, Role
from exports import services
from exports.cells import cell_text, csv_value
from exports.models import ExportJob
from interception.models import (
    IdentityDocument,
    Interceptee,
    Interception,
    RedFlag,
    RouteStop,
)
from interception.selectors import GRANTS, interceptee_counts
from interception.services import DocumentData, RouteStopData
from people.masking import MASK, mask
from people.models import Place
from people.places import label as place_label

from .factories import login, make_interception, member, person

pytestmark = pytest.mark.django_db

HOSTILE = '=HYPERLINK("http://x","y")'


# --- the reference: the previous implementation ----------------------------------------------------------


def _before_interceptions(user, f):
    qs = scope(Interception.objects.all(), user, "interception", Action.EXPORT)
    qs = annotate_allowed(qs, user, "interception", Action.VIEW_SENSITIVE, "can_see_sensitive", grants=GRANTS)
    qs = f.apply(qs).select_related("station", "place_ref__parent", "journey_start_place__parent")
    return (
        qs.annotate(**interceptee_counts())
        .prefetch_related(
            Prefetch("red_flags", queryset=RedFlag.objects.only("id", "code").order_by("code")),
            Prefetch(
                "route", queryset=RouteStop.objects.select_related("place__parent").order_by("position")
            ),
            "monitors",
        )
        .order_by("-occurred_at", "-id")
    )


def _before_persons(user, f):
    qs = scope(
        Interceptee.objects.all(), user, "person", Action.EXPORT, station_field="interception__station"
    )
    qs = annotate_allowed(
        qs,
        user,
        "interception",
        Action.VIEW_SENSITIVE,
        "can_see_sensitive",
        station_field="interception__station",
        grants=GRANTS,
        object_field="interception",
    )
    return (
        f.apply(qs, prefix="interception__")
        .select_related("person__address_place__parent", "interception__station", "destination_place__parent")
        .prefetch_related(Prefetch("documents", queryset=IdentityDocument.objects.order_by("id")))
        .order_by("-interception__occurred_at", "id")
    )


def _place(place, text="", country="") -> str:
    return " / ".join(x for x in (place_label(place) if place else "", text, str(country or "")) if x)


def _before_interception_row(i, deid, sensitive):
    from exports.rows import pseudonym

    codes = " ".join(flag.code for flag in i.red_flags.all())
    stops = list(i.route.all())
    if deid:
        countries = " > ".join(str(s.country or (s.place.country if s.place else "")) for s in stops)
        return [
            pseudonym("interception", i.pk),
            i.station.code,
            i.occurred_on.strftime("%Y-%m"),
            i.status,
            i.red_flag_score,
            i.certainty,
            i.outcome,
            i.victim_count,
            i.suspect_count,
            codes,
            i.how_started,
            i.transport,
            str(i.journey_start_country or ""),
            countries,
        ]
    row = [
        i.pk,
        i.number,
        i.station.code,
        i.occurred_at.astimezone(i.station.tzinfo).isoformat(),
        i.occurred_on.isoformat(),
        i.place,
        i.status,
        i.red_flag_score,
        i.certainty,
        i.outcome,
        i.victim_count,
        i.suspect_count,
        codes,
        i.place_ref.code if i.place_ref else "",
        str(i.place_country or ""),
        i.how_started,
        i.transport,
        _place(i.journey_start_place, i.journey_start_text, i.journey_start_country),
        " > ".join(_place(s.place, s.text, s.country) for s in stops),
        " ".join(sorted(u.username for u in i.monitors.all())),
    ]
    if sensitive:
        allowed = i.can_see_sensitive
        row += [mask(i.how_started_notes, allowed), mask(i.reason, allowed), mask(i.outcome_notes, allowed)]
    return row


def _before_person_row(r, deid, sensitive):
    from exports.rows import age_band, pseudonym

    p, i = r.person, r.interception
    documents = list(r.documents.all())
    kinds = " ".join(f"{d.kind}:{d.whose}:{d.looks_genuine}" for d in documents)
    common = [str(r.destination_country or ""), r.travel_purpose, r.suspect_role, kinds]
    if deid:
        return [
            pseudonym("interception", i.pk),
            pseudonym("person", p.pk),
            i.station.code,
            i.occurred_on.strftime("%Y-%m"),
            r.role,
            p.gender,
            age_band(p.age),
            str(p.nationality or ""),
            *common,
        ]
    row = [
        i.number,
        i.station.code,
        i.occurred_on.isoformat(),
        r.role,
        p.pk,
        p.gender,
        p.age,
        str(p.nationality or ""),
        r.consent_to_use_information,
        r.consent_to_use_photo,
        _place(r.destination_place, r.destination_text),
        *common,
    ]
    if sensitive:
        allowed = r.can_see_sensitive
        place = p.address_place if p.address_place_id else None
        row += [
            mask(r.travel_purpose_notes, allowed),
            mask(r.suspect_description, allowed),
            mask(" ".join(d.number for d in documents if d.number), allowed),
            mask(p.full_name, allowed),
            mask(p.phone, allowed),
            mask(p.address, allowed),
            mask(place.code if place else "", allowed),
            mask(place_label(place), allowed),
        ]
    return row


def before(job: ExportJob) -> tuple[bytes, bytes]:
    """The CSV bytes and the XLSX bytes the previous implementation wrote for `job`."""
    from exports.rows import KINDS

    filters = services.parse_filters(job.filters)
    deid, sensitive = job.deidentified, bool(job.sensitive_stations)
    header = KINDS[job.kind].header(deidentified=deid, sensitive=sensitive)
    if job.kind == "interceptions":
        rows = [
            _before_interception_row(i, deid, sensitive) for i in _before_interceptions(job.user, filters)
        ]
    else:
        rows = [_before_person_row(r, deid, sensitive) for r in _before_persons(job.user, filters)]
    text = io.StringIO(newline="")
    text.write("\ufeff")
    writer = csv.writer(text)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("export")
    for row in [header, *rows]:
        writer.writerow([csv_value(v) for v in row])
        cells = []
        for value in row:
            if isinstance(value, str):
                value, risky = cell_text(value)
                cell = WriteOnlyCell(sheet)
                cell.value = value.replace("\r\n", "\n").replace("\r", "\n")
                cell.data_type = "s"
                cell.quotePrefix = risky
                value = cell
            cells.append(value)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return text.getvalue().encode("utf-8"), out.getvalue()


def xlsx_cells(data: bytes) -> list[list[tuple]]:
    sheet = load_workbook(io.BytesIO(data)).active
    return [[(c.value, c.data_type, bool(c.quotePrefix)) for c in row] for row in sheet.iter_rows()]


# --- data --------------------------------------------------------------------------------------------------


@pytest.fixture
def places(db):
    province, _ = Place.objects.get_or_create(
        code="NP-P-lumbini", defaults={"country": "NP", "kind": "province", "name": "Lumbini"}
    )
    district, _ = Place.objects.get_or_create(
        code="NP-D-rupandehi",
        defaults={"country": "NP", "kind": "district", "name": "Rupandehi", "parent": province},
    )
    town, _ = Place.objects.get_or_create(
        code="NP-M-butwal",
        defaults={"country": "NP", "kind": "municipality", "name": "Butwal", "parent": district},
    )
    return province, district, town


def whole(actor, station, n: int, places, monitors=None):
    """An interception with every part an export shows: flags, route, monitors, documents, places."""
    province, district, town = places
    return make_interception(
        actor,
        station,
        monitors=monitors if n % 2 else None,
        flags=["V01", "V02"][: n % 3],
        submit=bool(n % 4),  # a draft may have no reason yet
        occurred_at=timezone.now() - timedelta(days=n, hours=n),
        reason=f"Narrative {n}" if n % 4 else "",
        outcome_notes=f"+ notes {n}" if n % 2 else "",
        place_ref=district.code if n % 2 else None,
        place_country="NP",
        how_started="tip_off" if n % 2 else "",
        how_started_notes=f"Informant {n}" if n % 3 else "",
        transport="bus",
        journey_start_place=town.code if n % 2 else None,
        journey_start_text="Old bus park" if n % 3 else "",
        journey_start_country="NP",
        route=[
            RouteStopData(place=town.code),
            RouteStopData(text="Gorakhpur | gate", country="IN"),
            RouteStopData(place=province.code, text="via", country="NP"),
        ][: n % 4],
        people=[
            person(
                HOSTILE if n == 1 else f"Victim {n} सीता",
                gender="female",
                age=(12 + 7 * n) % 90,
                phone=f"+97798000000{n % 100:02d}",
                address=f"Ward {n}, Butwal",
                address_place=town.code if n % 2 else "",
                nationality="NP",
                consent_to_use_information=bool(n % 2),
                destination_place=district.code if n % 3 else None,
                destination_text="Delhi",
                destination_country="IN",
                travel_purpose="job",
                travel_purpose_notes=f"Wants to earn {n}",
                documents=[
                    DocumentData(kind="passport", looks_genuine="no", number=f"PA{n:07d}"),
                    DocumentData(kind="citizenship", whose="another"),
                ][: n % 3],
            ),
            *(
                [person(f"Suspect {n}", role="suspect", suspect_role="broker", suspect_description="@tall")]
                if n % 2
                else []
            ),
        ],
    )


@pytest.fixture
def data(monitor, other_monitor, bhw, brg, catalogue, places):
    member(Role.MONITOR, station=bhw, username="mon2_bhw")
    made = [whole(monitor, bhw, n, places, monitors=["mon_bhw", "mon2_bhw"]) for n in range(6)]
    made += [whole(other_monitor, brg, n, places) for n in range(6, 9)]
    return made


def export(user, kind: str, fmt: str, deidentified: bool = False, **filters) -> ExportJob:
    job = services.export_request(actor=user, kind=kind, fmt=fmt, deidentified=deidentified, filters=filters)
    services.export_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "done", job.error
    return job


def file_bytes(job: ExportJob) -> bytes:
    with job.file.open("rb") as handle:
        return handle.read()


# --- the files are the same as before ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["interceptions", "persons"])
def test_files_are_the_same_as_before_in_every_mode(kind, data, manager, bhw, nepal):
    """Sensitive (manager), sensitive with masked rows (a manager who is also country director: names at
    their station, `[restricted]` elsewhere), not sensitive (director), de-identified; CSV and XLSX."""
    both = member(Role.STATION_MANAGER, station=bhw, username="mgr_dir")
    Membership.objects.create(user=both, role=Role.COUNTRY_DIRECTOR, country=nepal)
    director = member(Role.COUNTRY_DIRECTOR, country=nepal, username="dir_np")
    seen_masked = False
    for user, deidentified, filters in [
        (manager, False, {}),
        (both, False, {}),
        (director, False, {}),
        (both, True, {}),
        (both, False, {"min_score": "1"}),
    ]:
        csv_job = export(user, kind, "csv", deidentified, **filters)
        expected_csv, expected_xlsx = before(csv_job)
        got = file_bytes(csv_job)
        assert got == expected_csv
        assert len(got.decode("utf-8-sig").splitlines()) > 2
        xlsx_job = export(user, kind, "xlsx", deidentified, **filters)
        assert xlsx_cells(file_bytes(xlsx_job)) == xlsx_cells(expected_xlsx)
        seen_masked |= MASK in got.decode()
        if deidentified:
            body = got.decode()
            assert "Victim" not in body and "+977" not in body and "Butwal" not in body
    assert seen_masked  # the mixed user's rows from the other station are masked


def test_masking_and_sensitive_columns_hold(client, data, bhw, nepal):
    both = member(Role.STATION_MANAGER, station=bhw, username="mgr_dir")
    Membership.objects.create(user=both, role=Role.COUNTRY_DIRECTOR, country=nepal)
    job = export(both, "persons", "csv")
    login(client, both)
    text = b"".join(client.get(reverse("exports:download", args=[job.pk])).streaming_content).decode(
        "utf-8-sig"
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    by_station = {s: [r for r in rows if r["station"] == s] for s in ("BHW", "BRG")}
    assert by_station["BHW"] and by_station["BRG"]
    assert all(
        r["name"] == MASK and r["phone"] in (MASK, "") and r["document_numbers"] in (MASK, "")
        for r in by_station["BRG"]
    )
    assert MASK in {r["phone"] for r in by_station["BRG"]} & {
        r["travel_purpose_notes"] for r in by_station["BRG"]
    }
    assert {r["address_place_label"] for r in by_station["BRG"]} <= {MASK, ""}
    assert "'" + HOSTILE in {r["name"] for r in by_station["BHW"]}  # neutralised, then the text as it was
    assert "Butwal, Rupandehi" in {r["address_place_label"] for r in by_station["BHW"]}
    director = member(Role.COUNTRY_DIRECTOR, country=nepal, username="dir_np")
    job = export(director, "persons", "csv")
    header = file_bytes(job).decode("utf-8-sig").splitlines()[0].split(",")
    assert not {"name", "phone", "address", "document_numbers"} & set(header)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_formula_like_value_is_still_neutralised(fmt, data, manager):
    job = export(manager, "persons", fmt)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(file_bytes(job).decode("utf-8-sig"))))
        names = [r[rows[0].index("name")] for r in rows[1:]]
        assert "'" + HOSTILE in names and HOSTILE not in names
        assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    else:
        sheet = list(load_workbook(io.BytesIO(file_bytes(job))).active.iter_rows())
        header = [c.value for c in sheet[0]]
        (cell,) = [r[header.index("name")] for r in sheet[1:] if r[header.index("name")].value == HOSTILE]
        assert cell.data_type == "s" and cell.quotePrefix
        assert all(c.data_type != "f" for row in sheet for c in row)


# --- a fixed number of queries, no model instances per row ------------------------------------------------


def _run_counted(job):
    """(queries, model instances per table) of one run."""
    made = {}

    def count(sender, **kwargs):
        made[sender.__name__] = made.get(sender.__name__, 0) + 1

    post_init.connect(count)
    try:
        with CaptureQueriesContext(connection) as queries:
            services.export_run(job_id=job.pk)
    finally:
        post_init.disconnect(count)
    job.refresh_from_db()
    assert job.status == "done"
    return len(queries), {k: v for k, v in made.items() if k not in ("ExportJob", "User", "AccessEvent")}


@pytest.mark.parametrize("kind", ["interceptions", "persons"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_no_per_row_queries_an_export_of_5_rows_runs_as_many_queries_as_one_of_50(
    kind, fmt, manager, monitor, bhw, catalogue, places
):
    member(Role.MONITOR, station=bhw, username="mon2_bhw")

    def measure():
        job = services.export_request(actor=manager, kind=kind, fmt=fmt, deidentified=False, filters={})
        return _run_counted(job), job

    for n in range(5):
        whole(monitor, bhw, n, places, monitors=["mon2_bhw", "mon_bhw"])
    (few, made_few), job = measure()
    assert job.row_count >= 5
    for n in range(5, 50):
        whole(monitor, bhw, n, places, monitors=["mon2_bhw", "mon_bhw"])
    (many, made_many), job = measure()
    assert job.row_count >= 50
    assert few == many
    # rows are plain values: no interception, person or related instance is built for a row (places are
    # a reference table, read once)
    assert made_few == made_many
    assert not {"Interception", "Interceptee", "Person", "RouteStop", "IdentityDocument", "RedFlag"} & set(
        made_many
    )
    assert set(made_many) <= {"Place", "Station", "Membership", "Country", "Notification"}


# --- the exports list: a fixed number of queries ----------------------------------------------------------


def _jobs(user, n):
    ExportJob.objects.bulk_create(
        ExportJob(
            user=user, kind="persons", format="csv", filters={"station": "BHW"}, status=status, row_count=3
        )
        for status in (["done", "running", "failed", "queued"] * n)[:n]
    )


@pytest.mark.parametrize("n", [2, 20])
def test_the_exports_page_runs_a_fixed_number_of_queries(client, manager, n, django_assert_max_num_queries):
    _jobs(manager, n)
    login(client, manager)
    client.get(reverse("exports:list"))  # the session and the access cache are warm
    with django_assert_max_num_queries(11):
        response = client.get(reverse("exports:list"))
    assert response.status_code == 200 and response.content.decode().count("badge-") == n


@pytest.mark.parametrize("n", [2, 20])
def test_the_exports_api_list_runs_a_fixed_number_of_queries(api, manager, n, django_assert_max_num_queries):
    _jobs(manager, n)
    client = api(manager)
    client.get("/api/v1/exports/")
    with django_assert_max_num_queries(2):
        response = client.get("/api/v1/exports/")
    assert response.status_code == 200 and len(response.json()) == n
