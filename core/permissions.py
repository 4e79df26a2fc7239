"""DRF's default permission: signed in, and the view's policy allows the action its HTTP method needs.

Each API view declares once, on the class (as Sentry's endpoints declare `scope_map`):

    required_actions = {"GET": "view", "POST": "add"}
    policy = InterceptionPolicy

`policy` is any object with `allows(user, action, obj=None) -> bool` (and optionally `message(action)`).
The permission asks it with `obj=None` before the view runs, and with the record in
`has_object_permission` (DRF's `check_object_permissions`). Selectors still scope every row: the policy
answers "may this user do this kind of thing", the selector "on which rows".

Deny by default: a view without `required_actions` or `policy`, or a request whose method the view
answers but the map leaves out, is refused. A method the view does not answer at all passes, so DRF
answers 405 as before. HEAD and OPTIONS need what GET needs.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission


class Authenticated:
    """A policy for views over the caller's own rows (their notifications, their exports): any signed-in
    user; the selector returns only what is theirs, and the service checks what they ask for."""

    @staticmethod
    def allows(user, action: str, obj=None) -> bool:
        return True


class Check:
    """A policy from one question about the user, for every declared action: `Check(can_read_log)`."""

    def __init__(self, check, message: str = _("You may not do this.")):
        self.check = check
        self._message = message

    def allows(self, user, action: str, obj=None) -> bool:
        return bool(self.check(user))

    def message(self, action: str) -> str:
        return self._message


def required_action(request, view) -> str | None:
    """The action `view` declares for the request's method (HEAD and OPTIONS: GET's), or None."""
    actions = getattr(view, "required_actions", None) or {}
    method = request.method.upper()
    if method not in actions and method in ("HEAD", "OPTIONS"):
        method = "GET"
    return actions.get(method)


def _answers(request, view) -> bool:
    """Whether the view has a handler for the request's method (else DRF answers 405 after us)."""
    method = request.method.lower()
    return method in view.http_method_names and hasattr(view, method)


class PolicyPermission(BasePermission):
    message = _("You may not do this.")

    def _deny(self, policy, action) -> bool:
        message = getattr(policy, "message", None)
        if callable(message) and action is not None:
            self.message = message(action)
        return False

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if not _answers(request, view):
            return True
        policy, action = getattr(view, "policy", None), required_action(request, view)
        if policy is None or action is None:
            return False
        return policy.allows(user, action) or self._deny(policy, action)

    def has_object_permission(self, request, view, obj) -> bool:
        policy, action = getattr(view, "policy", None), required_action(request, view)
        if policy is None or action is None:
            return False
        return policy.allows(request.user, action, obj) or self._deny(policy, action)
