"""Roles, actions and the permission table: the one source of truth for who may do what.

`docs/permissions.md` is generated from this table (`python manage.py permissions_table`), and a
test fails when the document and the table differ.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    MONITOR = "monitor", _("Border monitor")
    STATION_MANAGER = "station_manager", _("Station manager")
    CASE_MANAGER = "case_manager", _("Case manager")
    LEGAL_OFFICER = "legal_officer", _("Legal officer")
    COUNTRY_DIRECTOR = "country_director", _("Country director")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")


class Action(models.TextChoices):
    VIEW = "view"
    ADD = "add"
    CHANGE = "change"
    VERIFY = "verify"
    DELETE = "delete"
    EXPORT = "export"
    VIEW_SENSITIVE = "view_sensitive"
    SHARE = "share"
    # Review suggested matches of people and merge or unmerge identities (`match_person`, docs/people.md).
    MATCH = "match"
    # Victim case files (docs/cases.md): give a case to a case manager of its station; approve or refuse a
    # closure request; record an override of a consent (with a reason, audited).
    ASSIGN = "assign"
    APPROVE = "approve"
    OVERRIDE = "override"


V, A, C, VF, D, E, S, SH, M = (
    Action.VIEW,
    Action.ADD,
    Action.CHANGE,
    Action.VERIFY,
    Action.DELETE,
    Action.EXPORT,
    Action.VIEW_SENSITIVE,
    Action.SHARE,
    Action.MATCH,
)

# record type -> role -> actions granted at the stations the role covers.
PERMISSIONS: dict[str, dict[str, frozenset[str]]] = {
    "interception": {
        Role.MONITOR: frozenset({V, A, C, S}),
        Role.STATION_MANAGER: frozenset({V, A, C, VF, D, E, S, SH}),
        Role.CASE_MANAGER: frozenset({V, S}),
        Role.LEGAL_OFFICER: frozenset({V, S}),
        Role.COUNTRY_DIRECTOR: frozenset({V, E}),
        Role.AUDITOR: frozenset(),
        Role.ADMIN: frozenset(),
    },
    "attachment": {
        Role.MONITOR: frozenset({V, A, S}),
        Role.STATION_MANAGER: frozenset({V, A, D, S}),
        Role.CASE_MANAGER: frozenset({V, S}),
        Role.LEGAL_OFFICER: frozenset({V, S}),
        Role.COUNTRY_DIRECTOR: frozenset(),
        Role.AUDITOR: frozenset(),
        Role.ADMIN: frozenset(),
    },
    "person": {
        Role.MONITOR: frozenset({V, A, C, S}),
        Role.STATION_MANAGER: frozenset({V, A, C, E, S, M}),
        Role.CASE_MANAGER: frozenset({V, A, C, S, M}),
        Role.LEGAL_OFFICER: frozenset({V, S, M}),
        Role.COUNTRY_DIRECTOR: frozenset({V, E, M}),
        Role.AUDITOR: frozenset(),
        Role.ADMIN: frozenset(),
    },
    # Victim case files (cases/, docs/cases.md). Legal officers see a case's summary (consent to testify,
    # contact status) with its personal fields and narratives masked; directors see cases masked.
    "case": {
        Role.MONITOR: frozenset(),
        Role.STATION_MANAGER: frozenset({V, A, C, E, S, SH, Action.ASSIGN, Action.APPROVE, Action.OVERRIDE}),
        Role.CASE_MANAGER: frozenset({V, A, C, E, S, SH}),
        Role.LEGAL_OFFICER: frozenset({V}),
        Role.COUNTRY_DIRECTOR: frozenset({V, E}),
        Role.AUDITOR: frozenset(),
        Role.ADMIN: frozenset(),
    },
    # Legal cases (prosecution/, docs/prosecution.md): the station's legal officers and managers work on them
    # (`verify`: a second user verifies an arrest); directors see them masked; case managers see only the
    # legal status of their victims' cases, on the case file (not the legal case itself).
    "legal_case": {
        Role.MONITOR: frozenset(),
        Role.STATION_MANAGER: frozenset({V, A, C, VF, E, S, SH}),
        Role.CASE_MANAGER: frozenset(),
        Role.LEGAL_OFFICER: frozenset({V, A, C, VF, D, E, S, SH}),
        Role.COUNTRY_DIRECTOR: frozenset({V, E}),
        Role.AUDITOR: frozenset(),
        Role.ADMIN: frozenset(),
    },
    # The access log: auditors read it (and no case content); nobody changes it.
    "access_log": {
        Role.MONITOR: frozenset(),
        Role.STATION_MANAGER: frozenset(),
        Role.CASE_MANAGER: frozenset(),
        Role.LEGAL_OFFICER: frozenset(),
        Role.COUNTRY_DIRECTOR: frozenset(),
        Role.AUDITOR: frozenset({V, E}),
        Role.ADMIN: frozenset(),
    },
}

RECORD_TYPES = list(PERMISSIONS)
ACTIONS = list(Action.values)


def roles_granting(record_type: str, action: str) -> list[str]:
    """The roles that grant `action` on `record_type` (an unknown type or action grants nothing)."""
    table = PERMISSIONS.get(record_type, {})
    return [str(role) for role, actions in table.items() if action in actions]
