"""Builders shared by the case list, assignment and API list tests."""

from datetime import timedelta

from django.utils import timezone

from accounts.roles import Role
from cases.models import VictimCase

from .factories import make_interception, member, person


def open_case(monitor, station, name="Sita Tamang", **person_fields):
    """A case opened by a submitted interception at `station` for one potential victim `name`."""
    interception = make_interception(monitor, station, people=[person(name, **person_fields)])
    return VictimCase.objects.get(interception=interception)


def set_case(case, **values):
    VictimCase.objects.filter(pk=case.pk).update(**values)
    case.refresh_from_db()
    return case


def days(n):
    return timezone.localdate() + timedelta(days=n)


def case_manager(station, username):
    return member(Role.CASE_MANAGER, station=station, username=username)
