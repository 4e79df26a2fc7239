"""One masking rule for every place a sensitive value leaves the server: pages, API, files."""

MASK = "[restricted]"


def mask(value, allowed: bool):
    """The value itself when the reader may see sensitive fields; otherwise MASK (empty stays empty)."""
    if allowed:
        return value
    if value in (None, ""):
        return value
    return MASK


def person_fields(person, allowed: bool, region: str = "NP") -> dict:
    """A person as any reader may see them. Gender, age and nationality are not masked: they are what
    statistics and de-identified exports keep. `phone` is E.164 as stored (API, files); `phone_display` is
    the national format for `region` (the station's country), for pages. The home place (`address_place`:
    its code, `address_place_label`) is masked like the address."""
    from people import countries, phones, places

    place = person.address_place if person.address_place_id else None
    nationality = str(person.nationality or "")
    return {
        "person_id": person.pk,
        "person": person.identity_id,  # the identity (docs/people.md); not sensitive: an opaque number
        "name": mask(person.full_name, allowed),
        "gender": person.gender,
        "age": person.age,
        "phone": mask(person.phone, allowed),
        "phone_display": mask(phones.display(person.phone, region=region), allowed),
        "address": mask(person.address, allowed),
        "address_place": mask(place.code if place else "", allowed),
        "address_place_label": mask(places.label(place), allowed),
        "nationality": nationality,
        "nationality_name": countries.name(nationality),
    }
