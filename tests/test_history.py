"""Change history that tells the whole story (issue 7, item 11): red-flag ticks with the points they had,
people added, removed and changed, attachments added and deleted, catalogue and threshold edits."""

import html as htmllib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Station
from accounts.roles import Role
from interception import services
from interception.models import Interception, InterceptionRedFlag, RedFlag
from interception.selectors import access_interception, history_of

from .factories import login, make_interception, member, person

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
URL = "/api/v1/interceptions/"


def detail(client, user, interception) -> str:
    login(client, user)
    response = client.get(reverse("interception:detail", args=[interception.pk]))
    assert response.status_code == 200
    return htmllib.unescape(response.content.decode())


def history_section(page: str) -> str:
    return page[page.index('id="history"') :]


def shown_points(page: str) -> list[int]:
    flags = page[page.index('<ul class="flags">') :]
    flags = flags[: flags.index("</ul>")]
    return [int(p) for p in re.findall(r'<span class="pts">(\d+)</span>', flags)]


def shown_score(page: str) -> int:
    return int(re.search(r'id="score">(\d+)<', page).group(1))


def set_points(flag: RedFlag, points: int, actor=None) -> None:
    flag.points = points
    flag._history_user = actor
    flag.save()


@pytest.fixture
def record(monitor, bhw, flags):
    return make_interception(
        monitor,
        bhw,
        flags=[f.code for f in flags[:2]],
        people=[person("Sita Tamang", gender="female", age=17, phone="+9779800000001")],
    )


def test_an_old_score_keeps_the_points_it_was_scored_with_after_the_catalogue_changes(
    client, record, manager, flags
):
    scored = record.red_flag_score
    assert scored == sum(f.points for f in flags[:2])
    set_points(flags[0], flags[0].points + 7)
    # An unrelated edit must not silently re-score the record with today's catalogue.
    data = services.data_from_instance(record)
    data.place = "Bus park"
    updated = services.interception_update(actor=manager, interception=record, expected_version=1, data=data)
    assert updated.red_flag_score == scored
    page = detail(client, manager, record)
    assert shown_score(page) == scored == sum(shown_points(page))
    assert f"{flags[0].points} points in today's catalogue" in page


def test_a_newly_ticked_flag_scores_todays_points_and_the_sum_matches(client, record, manager, flags):
    set_points(flags[2], 33)
    data = services.data_from_instance(record)
    data.red_flag_codes.append(flags[2].code)
    updated = services.interception_update(actor=manager, interception=record, expected_version=1, data=data)
    ticks = dict(
        InterceptionRedFlag.objects.filter(interception=record).values_list("red_flag__code", "points")
    )
    assert ticks[flags[2].code] == 33
    assert updated.red_flag_score == sum(ticks.values())
    page = detail(client, manager, record)
    assert shown_score(page) == sum(shown_points(page)) == updated.red_flag_score


def test_ticks_and_unticks_through_the_api_show_in_history_with_their_points(
    client, api, record, manager, flags
):
    old_points = flags[0].points
    set_points(flags[0], old_points + 5)
    response = api(manager).patch(
        f"{URL}{record.pk}/", {"red_flags": [flags[1].code, flags[2].code], "version": 1}, format="json"
    )
    assert response.status_code == 200, response.content
    history = history_section(detail(client, manager, record))
    assert f"unticked {flags[0].code} ({old_points} points)" in history
    assert f"ticked {flags[2].code} ({flags[2].points} points)" in history
    # who did it, and the ticks of the creation too
    assert "mgr_bhw" in history and f"ticked {flags[1].code} ({flags[1].points} points)" in history
    new_score = flags[1].points + flags[2].points
    assert f"red flag score: <del>{old_points + flags[1].points}</del> → <ins>{new_score}</ins>" in history


def test_people_added_removed_and_role_or_consent_changed_show_in_history(client, record, manager):
    data = services.data_from_instance(record)
    data.interceptees[0].consent_to_use_photo = True
    data.interceptees.append(person("Ram Bahadur", role="suspect"))
    record = services.interception_update(actor=manager, interception=record, expected_version=1, data=data)
    data = services.data_from_instance(record)
    ram = next(p for p in data.interceptees if p.full_name == "Ram Bahadur")
    data.interceptees = [p for p in data.interceptees if p is not ram]
    data.interceptees[0].role = "suspect"
    data.interceptees.append(person("Gita Thapa", role="potential_victim"))
    services.interception_update(actor=manager, interception=record, expected_version=2, data=data)
    history = history_section(detail(client, manager, record))
    assert "added suspect Ram Bahadur" in history
    assert "removed suspect Ram Bahadur" in history
    assert "added potential victim Gita Thapa" in history
    assert "consent to use photo: <del>no</del> → <ins>yes</ins>" in history
    assert "role: <del>Potential victim</del> → <ins>Suspect</ins>" in history


def test_attachments_added_and_deleted_show_in_history(
    client, record, monitor, manager, django_capture_on_commit_callbacks
):
    attachment = services.attachment_add(
        actor=monitor, interception=record, uploaded_file=SimpleUploadedFile("face.jpg", JPEG)
    )
    login(client, manager)
    with django_capture_on_commit_callbacks(execute=True):
        url = reverse("interception:attachment-delete", args=[record.pk, attachment.pk])
        assert client.post(url).status_code == 302
    history = history_section(detail(client, manager, record))
    assert re.search(r"<strong>mon_bhw</strong> added photo face\.jpg", history)
    assert re.search(r"<strong>mgr_bhw</strong> deleted photo face\.jpg", history)


def test_history_is_masked_for_readers_without_view_sensitive(client, record, monitor, manager, nepal, flags):
    services.attachment_add(
        actor=monitor, interception=record, uploaded_file=SimpleUploadedFile("face.jpg", JPEG)
    )
    data = services.data_from_instance(record)
    data.interceptees[0].phone = "+9779811111111"
    data.interceptees.append(person("Ram Bahadur", role="suspect"))
    data.red_flag_codes = [flags[0].code]
    services.interception_update(actor=manager, interception=record, expected_version=1, data=data)
    director = member(Role.COUNTRY_DIRECTOR, country=nepal, username="dir_np")
    history = history_section(detail(client, director, record))
    for secret in ["Sita Tamang", "Ram Bahadur", "+9779800000001", "+9779811111111", "face.jpg"]:
        assert secret not in history
    assert "added suspect [restricted]" in history and "added photo [restricted]" in history
    assert f"unticked {flags[1].code} ({flags[1].points} points)" in history  # flags are not sensitive


def test_history_of_a_record_is_read_in_a_fixed_number_of_queries(record, manager, monitor, flags):
    def queries_for_history() -> int:
        interception = access_interception(manager, record.pk)
        with CaptureQueriesContext(connection) as captured:
            history_of(interception)
        return len(captured.captured_queries)

    few = queries_for_history()
    for i in range(4):
        data = services.data_from_instance(Interception.objects.get(pk=record.pk))
        data.place = f"Place {i}"
        data.red_flag_codes = [flags[i % 3].code]
        data.interceptees.append(person(f"Person {i}", role="suspect"))
        services.interception_update(actor=manager, interception=record, expected_version=i + 1, data=data)
        services.attachment_add(
            actor=monitor, interception=record, uploaded_file=SimpleUploadedFile(f"{i}.jpg", JPEG)
        )
    assert len(history_of(access_interception(manager, record.pk))) > 12
    assert queries_for_history() == few <= 9  # + companions, documents, route stops (the whole record)


def test_catalogue_points_and_station_threshold_edits_are_kept_with_their_author(bhw, flags):
    admin = member(Role.STATION_MANAGER, station=bhw, username="catalogue_admin")
    flag = flags[0]
    set_points(flag, flag.points + 1, actor=admin)
    old = flag.points
    set_points(flag, old + 10, actor=admin)
    latest, before = flag.history.order_by("-history_date", "-history_id")[:2]
    assert (before.points, latest.points, latest.history_user) == (old, old + 10, admin)
    bhw.alert_score_threshold = 70
    bhw._history_user = admin
    bhw.save()
    latest, before = Station.objects.get(pk=bhw.pk).history.order_by("-history_date", "-history_id")[:2]
    assert (before.alert_score_threshold, latest.alert_score_threshold) == (100, 70)
    assert latest.history_user == admin


def test_a_flag_in_use_cannot_be_deleted_from_the_catalogue(record, flags):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        flags[0].delete()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migration_snapshots_existing_ticks_at_the_catalogue_points(monitor, bhw, catalogue):
    """Rows from before the snapshot get today's catalogue points, and the score becomes their sum."""
    executor = MigrationExecutor(connection)
    before = [("interception", "0004_interception_recent_idx")]
    after = executor.loader.graph.leaf_nodes()  # every app: people's migrations depend on interception's
    executor.migrate(before)
    try:
        old_apps = executor.loader.project_state(before).apps
        OldInterception = old_apps.get_model("interception", "Interception")
        OldRedFlag = old_apps.get_model("interception", "RedFlag")
        flag_a, flag_b = OldRedFlag.objects.order_by("code")[:2]
        now = timezone.now()
        old = OldInterception.objects.create(
            number="BHW-OLD-1",
            station_id=bhw.pk,
            occurred_at=now,
            occurred_on=now.date(),
            place="x",
            red_flag_score=999,  # scored with points the catalogue no longer has
            created_by_id=monitor.pk,
        )
        old.red_flags.set([flag_a, flag_b])
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(after)
    ticks = InterceptionRedFlag.objects.filter(interception_id=old.pk).select_related("red_flag")
    assert {(t.red_flag.code, t.points) for t in ticks} == {
        (flag_a.code, flag_a.points),
        (flag_b.code, flag_b.points),
    }
    assert Interception.objects.get(pk=old.pk).red_flag_score == flag_a.points + flag_b.points
