"""Issue 7, item 8 (issue 10: the rule is now "suspect seen again"): the alert counts only earlier records
whose people the recipient may see. A share without view_sensitive shows the record with its names and
phones masked, so it must not confirm that a guessed name and number were on it."""

import pytest

from accounts.roles import Role
from alerts.models import Notification, Rule
from config.celery import app
from interception.services import interception_share

from .factories import make_interception, member, person

pytestmark = pytest.mark.django_db

PHONE = "+9779841000009"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a block queues after commit (the alert task, eagerly), as a real commit would."""
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    yield run
    app.conf.task_always_eager, app.conf.task_eager_propagates = False, False


@pytest.fixture
def setting(bhw, brg):
    """An earlier interception at BRG whose suspect has PHONE, its manager, and a BHW legal officer."""
    brg_monitor = member(Role.MONITOR, station=brg, username="mon_brg_p")
    earlier = make_interception(
        brg_monitor,
        brg,
        certainty=2,
        people=[person("Gita"), person("Hari Bahadur", role="suspect", phone=PHONE)],
    )
    brg_manager = member(Role.STATION_MANAGER, station=brg, username="mgr_brg_p")
    legal = member(Role.LEGAL_OFFICER, station=bhw, username="legal_bhw_p", email="legal@example.org")
    return earlier, brg_manager, legal


def submit_guess(monitor, bhw):
    """A BHW interception whose suspect has the guessed name and number."""
    return make_interception(
        monitor,
        bhw,
        certainty=2,
        people=[person("Sita"), person("Hari Bahadur", role="suspect", phone=PHONE)],
    )


def phone_alerts_for(user):
    return list(Notification.objects.filter(rule=Rule.SUSPECT_SEEN_AGAIN, recipient=user))


def test_a_masked_share_does_not_confirm_a_guessed_suspect_phone(committed, monitor, bhw, setting):
    earlier, brg_manager, legal = setting
    interception_share(actor=brg_manager, interception=earlier, level="view", user=legal)
    with committed():
        submit_guess(monitor, bhw)
    assert phone_alerts_for(legal) == []


def test_a_share_with_phones_visible_still_alerts(committed, monitor, bhw, setting):
    earlier, brg_manager, legal = setting
    interception_share(actor=brg_manager, interception=earlier, level="view_sensitive", user=legal)
    with committed():
        new = submit_guess(monitor, bhw)
    (notification,) = phone_alerts_for(legal)
    assert earlier.number in notification.body and notification.subject_key == f"interception:{new.pk}"
    assert PHONE not in notification.body and "Hari" not in notification.body
