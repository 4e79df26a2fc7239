"""Assigning a case to a case manager of its station (docs/cases.md "Assignment and My cases")."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import record_event
from core import events
from core.errors import StaleVersionError, TransitionError

from .. import policies, selectors
from ..models import CaseStatus, VictimCase

User = get_user_model()


def assignee_by_username(*, case: VictimCase, username: str):
    """The active case manager of the case's station named `username`, or a ValidationError on
    `assigned_to` (unknown user, inactive, or not a case manager there: the same message, so the form does
    not tell who exists)."""
    user = selectors.case_managers_at(case.station).filter(username=(username or "").strip()).first()
    if user is None:
        raise ValidationError(
            {
                "assigned_to": _("Choose an active case manager of station %(code)s.")
                % {"code": case.station.code}
            }
        )
    return user


def case_assign(*, actor, case: VictimCase, assigned_to, expected_version: int | None = None) -> VictimCase:
    """Give `case` to the case manager `assigned_to` (a user). Only a station manager of the case's station
    (`policies.may_assign`); the assignee must be an active case manager of the station (or of its country);
    a closed case cannot be assigned; a new case becomes active when first assigned. The change is audited
    with who had it before, and the assignee is told (alerts/case_alerts.py)."""
    with transaction.atomic():
        current = VictimCase.objects.select_for_update().select_related("station").get(pk=case.pk)
        if not policies.may_assign(actor, current):
            raise PermissionDenied(policies.message(policies.ASSIGN))
        if expected_version is not None and current.version != expected_version:
            raise StaleVersionError(current.version)
        if current.status == CaseStatus.CLOSED:
            raise TransitionError(
                _("A closed case cannot be assigned: reopen it first."), status=current.status
            )
        if (
            assigned_to is None
            or not selectors.case_managers_at(current.station).filter(pk=assigned_to.pk).exists()
        ):
            raise ValidationError(
                {
                    "assigned_to": _("Choose an active case manager of station %(code)s.")
                    % {"code": current.station.code}
                }
            )
        previous = User.objects.filter(pk=current.assigned_to_id).values_list("username", flat=True).first()
        if current.assigned_to_id == assigned_to.pk:
            return current  # nothing changes: no new version, no event
        fields = ["assigned_to", "version", "updated_at"]
        current.assigned_to = assigned_to
        if current.status == CaseStatus.NEW:
            current.status = CaseStatus.ACTIVE
            fields.append("status")
        current.version += 1
        current._history_user = actor
        current.save(update_fields=fields)
        events.publish("case.assigned", id=current.pk, user=assigned_to.pk)
        record_event(
            actor=actor,
            action="case.assign",
            obj=current,
            station=current.station,
            details={"number": current.number, "from": previous, "to": assigned_to.username},
        )
    return current
