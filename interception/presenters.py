"""What a reader sees of an interception: the same masked values in pages, API and files."""

from people.masking import mask, person_fields

from .models import IntercepteeRole, Interception

SENSITIVE_FIELDS = ("reason", "outcome_notes")


def sensitive_allowed(interception: Interception) -> bool:
    # `can_see_sensitive` is annotated by the selectors; a row without it is never shown unmasked.
    return bool(getattr(interception, "can_see_sensitive", False))


def interceptee_rows(interception: Interception) -> list[dict]:
    allowed = sensitive_allowed(interception)
    return [
        {
            "id": row.pk,
            **person_fields(row.person, allowed),
            "role": row.role,
            "role_label": row.get_role_display(),
            "gender_label": row.person.get_gender_display(),
            "consent_to_use_information": row.consent_to_use_information,
            "consent_to_use_photo": row.consent_to_use_photo,
        }
        for row in interception.interceptees.all()
    ]


def narrative(interception: Interception) -> dict:
    allowed = sensitive_allowed(interception)
    return {field: mask(getattr(interception, field), allowed) for field in SENSITIVE_FIELDS}


def split_by_role(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    victims = [r for r in rows if r["role"] == IntercepteeRole.POTENTIAL_VICTIM]
    suspects = [r for r in rows if r["role"] == IntercepteeRole.SUSPECT]
    return victims, suspects
