"""The case files an interception opened, as its page names them (interception/related.py): registered in
CasesConfig.ready(), so interception never imports this app. Numbers and statuses only, of the cases the
reader may see (the case scope); opening one goes through the case page and its audited read."""

from django.urls import reverse
from django.utils.translation import gettext as _

from .models import CaseStatus
from .selectors import case_scope


def cases_of_interception(user, interception) -> list[dict]:
    rows = (
        case_scope(user)
        .filter(interception_id=interception.pk)
        .order_by("id")
        .values_list("pk", "number", "status")
    )
    return [
        {
            "label": _("Case file"),
            "number": number,
            "url": reverse("cases:detail", args=[pk]),
            "status": str(CaseStatus(status).label),
        }
        for pk, number, status in rows
    ]
