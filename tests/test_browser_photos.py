# ruff: noqa: F811
"""Phone and slow-connection friendly, in Debian's Chromium at 360 px: the red-flag score stays in view,
flag groups collapse, the list's filters fold away, and a photo is resized in the browser and attached to
the person while the form is being filled."""

import base64
import re
import struct
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from interception.models import Attachment, Interception

from .factories import login, make_interception

# the browser and page fixtures come from test_browser (hence F401/F811 below)
from .test_browser import PHONE, browser, fits_the_screen, log_in, page  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _box(page, selector):
    return page.eval_on_selector(
        selector, "e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }"
    )


def _first_person(page):
    """The form's first people row (added with "+ Potential victim" when the form starts without one)."""
    if page.locator("#id_people-0-full_name").count() == 0:
        page.click("button[data-add-person=potential_victim]")


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_score_stays_in_view_and_clear_of_the_flag_being_ticked(page, live_server, monitor, catalogue):
    base = live_server.url
    log_in(page, base, monitor)
    page.goto(f"{base}/interceptions/new/")
    groups = page.locator("details.flag-group")
    assert groups.count() == 4
    # nothing ticked: every group is folded, and its summary says so
    assert page.locator("details.flag-group[open]").count() == 0
    assert not page.locator("input[name=red_flags]").first.is_visible()

    for i in range(groups.count()):  # the monitor unfolds every group: a long list to scroll through
        groups.nth(i).locator("summary").click()
    last_group = groups.last
    boxes = last_group.locator("input[name=red_flags]")
    last = boxes.last
    points = int(last.get_attribute("data-points"))
    last.focus()  # scrolls the last flag into view, as tabbing to it would
    page.keyboard.press("Space")
    assert last.is_checked()
    assert page.text_content("#running-score") == str(points)
    assert last_group.locator("[data-ticked]").text_content() == "1"
    assert last_group.locator("[data-group-points]").text_content() == str(points)

    viewport_height = page.evaluate("window.innerHeight")
    score = _box(page, "#score-bar")
    assert score[1] >= 0 and score[3] <= viewport_height, score  # the score is on the screen
    flag = _box(page, f"input[name=red_flags][value={last.get_attribute('value')}]")
    assert flag[1] >= 0 and flag[3] <= viewport_height, flag
    assert not _overlap(score, flag), (score, flag)
    assert not _overlap(_box(page, ".form-actions"), flag)  # nor hidden under the save bar
    # the page scrolled well past the section's top: the score stuck, it did not scroll away with it
    assert page.evaluate("document.getElementById('red-flags-heading').getBoundingClientRect().bottom") < 0

    # one in another group, ticked with a tap: the running total and both tallies follow
    first_group = groups.first
    first_box = first_group.locator("input[name=red_flags]").first
    first_box.check()
    total = points + int(first_box.get_attribute("data-points"))
    assert page.text_content("#running-score") == str(total)
    assert first_group.locator("[data-ticked]").text_content() == "1"
    score = _box(page, "#score-bar")
    assert score[1] >= 0 and score[3] <= viewport_height
    assert fits_the_screen(page)


def test_a_group_with_a_ticked_flag_opens_when_the_form_comes_back(client, monitor, bhw, catalogue):
    """No JS needed: the server opens the groups with a tick (or when the flags have an error)."""
    flag = catalogue.get(code="C01")
    interception = make_interception(monitor, bhw, flags=["C01"], submit=False)
    response = login(client, monitor).get(reverse("interception:edit", args=[interception.pk]))
    html = response.content.decode()
    groups = re.findall(r'<details class="flag-group" data-flag-group="(\w+)"( open)?>', html)
    assert groups and dict(groups) == {"vulnerability": "", "evasion": "", "control": " open", "labour": ""}
    control = html[html.index('data-flag-group="control"') :]
    tally = rf"<span data-ticked>1</span>.*?<span data-group-points>{flag.points}</span>"
    assert re.search(tally, control)


def test_list_filters_are_folded_on_a_phone(page, live_server, monitor, bhw, catalogue):
    base = live_server.url
    make_interception(monitor, bhw)
    log_in(page, base, monitor)
    assert page.locator("#filter-panel").get_attribute("open") is None
    assert not page.locator("#id_number").is_visible()
    first_row = _box(page, "table.list tbody tr")
    assert first_row[1] < PHONE["height"]  # the first record shows without scrolling past the filters
    page.click("#filter-panel summary")
    page.fill("#id_number", "BHW")
    page.click("#filter-panel button[type=submit]")
    page.wait_for_url(re.compile(r"number=BHW"))
    # a filter is active: the panel stays open and says how many
    assert page.locator("#filter-panel").get_attribute("open") is not None
    assert page.locator("#id_number").is_visible()
    assert "1" in page.text_content("#filter-panel summary .badge")
    assert fits_the_screen(page)

    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{base}/interceptions/")
    assert page.locator("#id_number").is_visible()  # open by default on a wide screen


def test_list_query_count_with_the_filter_panel(
    client, monitor, bhw, catalogue, django_assert_max_num_queries
):
    """The filter panel adds no query, and the list's queries do not grow with its rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, monitor)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("interception:list"), {"status": "submitted"})
        assert response.status_code == 200 and b'id="filter-panel"' in response.content
        return len(ctx)

    make_interception(monitor, bhw)
    one = queries()
    for _ in range(4):
        make_interception(monitor, bhw)
    with django_assert_max_num_queries(20):
        assert queries() <= one  # fewer: the station picker now comes from the cache


# --- photos -------------------------------------------------------------------------------------------

MAKE_JPEG = """async ([w, h]) => {
  const c = document.createElement("canvas"); c.width = w; c.height = h;
  const g = c.getContext("2d");
  const grad = g.createLinearGradient(0, 0, w, h); grad.addColorStop(0, "#c33"); grad.addColorStop(1, "#33c");
  g.fillStyle = grad; g.fillRect(0, 0, w, h);
  const blob = await new Promise(r => c.toBlob(r, "image/jpeg", 0.9));
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}"""


def _wait_for_upload(row):
    """Until the row's photo is sent, or the upload failed (its retry button shows)."""
    row.page.wait_for_function(
        "el => el.classList.contains('has-photo') || !el.querySelector('[data-photo-retry]').hidden",
        arg=row.locator("[data-photo]").element_handle(),
        timeout=40000,
    )


def _status(row) -> str:
    return row.locator("[data-photo-status]").text_content()


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a JPEG: Pillow when installed, else the frame header (SOFn) read by hand."""
    try:
        from io import BytesIO

        from PIL import Image

        return Image.open(BytesIO(data)).size
    except ImportError:
        pass
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    i = 2
    while i < len(data):
        while data[i] != 0xFF:
            i += 1
        while data[i] == 0xFF:
            i += 1
        marker = data[i]
        i += 1
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            continue
        (length,) = struct.unpack(">H", data[i : i + 2])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 3 : i + 7])
            return width, height
        i += length
    raise AssertionError("no frame header")


def test_a_big_photo_is_resized_and_attached_to_the_person_while_filling_the_form(
    page, live_server, monitor, bhw, catalogue
):
    base = live_server.url
    log_in(page, base, monitor)
    page.goto(f"{base}/interceptions/new/")
    when = (timezone.now() - timedelta(hours=1)).astimezone(bhw.tzinfo)
    page.fill("#id_occurred_at", when.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_place", "Belahiya border checkpoint")
    _first_person(page)
    page.fill("#id_people-0-full_name", "Sita Tamang")
    page.click("button[data-add-person=potential_victim]")
    page.fill("#id_people-1-full_name", "Gita Thapa")

    row = page.locator("[data-person]").nth(0)  # the photo of the first of the two people
    add = row.locator("[data-photo-add]")
    assert add.is_visible() and "Add photo" in add.text_content()
    assert row.locator("input[name$=consent_to_use_photo]").is_visible()  # the consent sits next to it
    photo = base64.b64decode(page.evaluate(MAKE_JPEG, [3000, 2000]))
    assert jpeg_size(photo) == (3000, 2000)
    row.locator("[data-photo-input]").set_input_files(
        files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": photo}]
    )
    _wait_for_upload(row)
    assert "has-photo" in row.locator("[data-photo]").get_attribute("class"), _status(row)
    assert row.locator("[data-photo-progress]").evaluate("p => p.value") == 100
    assert "Photo added" in row.locator("[data-photo-status]").text_content()

    # the draft exists (saved before the upload) and the photo belongs to the first person
    interception = Interception.objects.get()
    attachment = Attachment.objects.get()
    assert attachment.interception_id == interception.pk and attachment.kind == "photo"
    assert attachment.interceptee.person.full_name == "Sita Tamang"
    with attachment.file.open("rb") as f:
        stored = f.read()
    width, height = jpeg_size(stored)
    assert max(width, height) <= 1600 and (width, height) == (1600, 1067)
    assert len(stored) < len(photo)
    assert fits_the_screen(page)


def test_a_failed_photo_upload_says_so_and_can_be_retried(page, live_server, monitor, bhw, catalogue):
    base = live_server.url
    log_in(page, base, monitor)
    page.goto(f"{base}/interceptions/new/")
    page.fill("#id_place", "Belahiya border checkpoint")
    _first_person(page)
    page.fill("#id_people-0-full_name", "Sita Tamang")
    photo = base64.b64decode(page.evaluate(MAKE_JPEG, [800, 600]))
    failing = {"on": True}

    def upload(route):
        if failing["on"]:
            route.abort("connectionfailed")
        else:
            route.continue_()

    page.route(re.compile(r"/interceptions/\d+/attachments/$"), upload)
    row = page.locator("[data-person]").first
    row.locator("[data-photo-input]").set_input_files(
        files=[{"name": "p.jpg", "mimeType": "image/jpeg", "buffer": photo}]
    )
    retry = row.locator("[data-photo-retry]")
    retry.wait_for(state="visible")
    status = row.locator("[data-photo-status]")
    assert "not uploaded" in status.text_content() and "error" in status.get_attribute("class")
    assert Attachment.objects.count() == 0

    failing["on"] = False
    retry.click()
    _wait_for_upload(row)
    assert "has-photo" in row.locator("[data-photo]").get_attribute("class"), _status(row)
    assert not retry.is_visible()
    assert Attachment.objects.get().interceptee.person.full_name == "Sita Tamang"


def test_the_photo_stays_with_its_person_when_the_form_is_submitted(
    page, live_server, monitor, bhw, catalogue
):
    base = live_server.url
    log_in(page, base, monitor)
    page.goto(f"{base}/interceptions/new/")
    page.fill("#id_place", "Belahiya border checkpoint")
    _first_person(page)
    page.fill("#id_people-0-full_name", "Sita Tamang")
    page.click("button[data-add-person=potential_victim]")
    page.fill("#id_people-1-full_name", "Gita Thapa")
    row = page.locator("[data-person]").nth(1)
    photo = base64.b64decode(page.evaluate(MAKE_JPEG, [800, 600]))
    row.locator("[data-photo-input]").set_input_files(
        files=[{"name": "p.jpg", "mimeType": "image/jpeg", "buffer": photo}]
    )
    _wait_for_upload(row)
    assert "has-photo" in row.locator("[data-photo]").get_attribute("class"), _status(row)
    page.select_option("#id_certainty", "3")
    page.fill("#id_reason", "Travelling with a man she met last week.")
    page.click("button[name=submit]")
    page.wait_for_url(re.compile(r"/interceptions/\d+/$"))
    assert Interception.objects.get().status == "submitted"
    attachment = Attachment.objects.get()
    assert attachment.interceptee is not None and attachment.interceptee.person.full_name == "Gita Thapa"


def test_the_record_page_resizes_a_photo_before_upload(page, live_server, monitor, bhw, catalogue):
    base = live_server.url
    interception = make_interception(monitor, bhw)
    log_in(page, base, monitor)
    page.goto(f"{base}/interceptions/{interception.pk}/")
    photo = base64.b64decode(page.evaluate(MAKE_JPEG, [2400, 3200]))
    page.set_input_files(
        "form[data-photo-resize] input[type=file]",
        files=[{"name": "doc.jpg", "mimeType": "image/jpeg", "buffer": photo}],
    )
    page.click("form[data-photo-resize] button[type=submit]")
    page.wait_for_selector("ul.attachments a")  # the page reloads with the new attachment listed
    attachment = Attachment.objects.get()
    with attachment.file.open("rb") as f:
        assert jpeg_size(f.read()) == (1200, 1600)
