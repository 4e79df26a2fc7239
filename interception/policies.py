"""Who may do what to an interception: each question is answered here once, for the page, the API and
the service alike.

The rule:

- *Seeing* a record is the scope (`selectors.interception_scope`): a role granting `view` at the record's
  station, or a share of that one record.
- *Changing* it, *adding* or *deleting* its photos and documents, and *sharing* it come from a role at the
  record's station only (a station membership, or a country membership covering the station). A share
  (a django-guardian grant on one record) lets someone see the record, never more, whatever permission
  the grant names: a stray `change_interception` grant gives no edit link, no edit form and no save.
- Changing a record, and adding or deleting its attachments, also need `view_sensitive` at the station:
  nobody edits what they cannot read.

Each function takes the station's rights (`rights_at`) when the caller already has them, so a page that
asks several questions about one record runs one query.
"""

from accounts.access import holds_anywhere, station_rights
from accounts.roles import Action

from .models import Attachment, Interception

INTERCEPTION, ATTACHMENT = "interception", "attachment"


def rights_at(user, station) -> frozenset[tuple[str, str]]:
    """Every (record type, action) the user's roles grant at `station` (one query)."""
    return station_rights(user, station)


def _rights(user, interception: Interception, rights) -> frozenset[tuple[str, str]]:
    return rights_at(user, interception.station) if rights is None else rights


def may_change(user, interception: Interception, *, rights=None) -> bool:
    """May edit the record (its fields, flags and people): a station role granting `change` and
    `view_sensitive` on interceptions. Never through a share."""
    held = _rights(user, interception, rights)
    return (INTERCEPTION, Action.CHANGE) in held and (INTERCEPTION, Action.VIEW_SENSITIVE) in held


def may_add_attachment(user, interception: Interception, *, rights=None) -> bool:
    """May attach a photo or document: a station role granting `add` on attachments, and `view_sensitive`
    on interceptions (photos are sensitive). Never through a share."""
    held = _rights(user, interception, rights)
    return (ATTACHMENT, Action.ADD) in held and (INTERCEPTION, Action.VIEW_SENSITIVE) in held


def may_delete_attachment(user, interception: Interception, *, rights=None) -> bool:
    """May delete a photo or document of the record: a station role granting `delete` on attachments,
    and `view_sensitive` on interceptions. Never through a share."""
    held = _rights(user, interception, rights)
    return (ATTACHMENT, Action.DELETE) in held and (INTERCEPTION, Action.VIEW_SENSITIVE) in held


def may_share(user, interception: Interception, *, rights=None) -> bool:
    """May share the record outside its station, see who it is shared with and who accessed it: a station
    role granting `share` (station managers). Never through a share."""
    return (INTERCEPTION, Action.SHARE) in _rights(user, interception, rights)


# The object actions the selectors and the API name, and the question each one asks.
VIEW, CHANGE, ADD_ATTACHMENT, DELETE_ATTACHMENT, SHARE = (
    "view",
    "change",
    "add_attachment",
    "delete_attachment",
    "share",
)
CHECKS = {
    CHANGE: may_change,
    ADD_ATTACHMENT: may_add_attachment,
    DELETE_ATTACHMENT: may_delete_attachment,
    SHARE: may_share,
}
MESSAGES = {
    CHANGE: "You cannot change interceptions at this station.",
    ADD_ATTACHMENT: "You cannot add attachments at this station.",
    DELETE_ATTACHMENT: "You cannot delete attachments at this station.",
    SHARE: "You cannot share interceptions at this station.",
}


def allows(user, action: str, interception: Interception, *, rights=None) -> bool:
    """Whether `user` may do `action` on a record they can see (`view`: always: the scope decided)."""
    if action == VIEW:
        return True
    check = CHECKS.get(action)
    return check is not None and check(user, interception, rights=rights)


class InterceptionPolicy:
    """The API's view of these rules (`core.permissions.PolicyPermission`): per request, before any
    record is read, and per record (`has_object_permission`) once the selector has fetched it."""

    @staticmethod
    def allows(user, action: str, obj=None) -> bool:
        if obj is None:
            if action == "add":  # record a new interception: a role granting `add` at some station
                return holds_anywhere(user, INTERCEPTION, Action.ADD)
            return True  # reads and per-record actions: the selector's scope, then the check per record
        interception = obj.interception if isinstance(obj, Attachment) else obj
        return allows(user, action, interception)

    @staticmethod
    def message(action: str) -> str:
        if action == "add":
            return "You cannot record interceptions at any station."
        return MESSAGES.get(action, "You may not do this.")
