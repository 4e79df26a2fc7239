"""Events a subscriber records inside another service's transaction are appended with that service's own
event, recorded last (audit.services.record_event_later; docs/audit.md "The chain lock under load")."""

import pytest
from django.db import transaction

from audit.models import AccessEvent
from audit.services import record_event, record_event_later

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def actions():
    return list(AccessEvent.objects.order_by("id").values_list("action", flat=True))


def test_a_later_event_is_appended_with_the_next_event_of_its_transaction(monitor):
    with transaction.atomic():
        record_event_later(actor=monitor, action="case.create")
        assert actions() == []  # nothing appended, no lock taken yet
        record_event(actor=monitor, action="interception.create")
        assert actions() == ["case.create", "interception.create"]
    assert actions() == ["case.create", "interception.create"]


def test_a_later_event_with_no_event_after_it_is_appended_after_the_commit(monitor):
    with transaction.atomic():
        record_event_later(actor=monitor, action="case.create")
    assert actions() == ["case.create"]


def test_a_rolled_back_transaction_appends_nothing_and_leaves_nothing_for_the_next(monitor):
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event_later(actor=monitor, action="case.create")
        raise RuntimeError("rolled back")
    with transaction.atomic():
        record_event(actor=monitor, action="interception.view")
    assert actions() == ["interception.view"]


def test_outside_a_transaction_it_is_appended_at_once(monitor):
    record_event_later(actor=monitor, action="case.create")
    assert actions() == ["case.create"]
