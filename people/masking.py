"""One masking rule for every place a sensitive value leaves the server: pages, API, files."""

MASK = "[restricted]"


def mask(value, allowed: bool):
    """The value itself when the reader may see sensitive fields; otherwise MASK (empty stays empty)."""
    if allowed:
        return value
    if value in (None, ""):
        return value
    return MASK


def person_fields(person, allowed: bool) -> dict:
    """A person as any reader may see them. Gender, age and nationality are not masked: they are what
    statistics and de-identified exports keep."""
    return {
        "person_id": person.pk,
        "name": mask(person.full_name, allowed),
        "gender": person.gender,
        "age": person.age,
        "phone": mask(person.phone, allowed),
        "address": mask(person.address, allowed),
        "nationality": person.nationality,
    }
