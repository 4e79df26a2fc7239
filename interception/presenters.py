"""What a reader sees of an interception: the same masked values in pages, API and files."""

from django.urls import reverse

from core.templatetags.nepali_tags import bs_date, lang_ne
from people.countries import name as country_name
from people.masking import mask, person_fields

from .models import IntercepteeRole, Interception

SENSITIVE_FIELDS = ("reason", "outcome_notes", "how_started_notes")

# What each person row carries of the whole record, in the API's names (docs/interceptions.md).
WHOLE_RECORD_PERSON_KEYS = (
    "destination_place",
    "destination_text",
    "destination_country",
    "travel_purpose",
    "travel_purpose_notes",
    "companions",
    "documents",
    "suspect_description",
    "suspect_role",
    "photos",
)


def _code(place):
    return place.code if place is not None else None


def place_label(place, text: str = "", country="") -> str:
    """A structured place for reading: the reference place's label, the text as typed, the country name."""
    parts = [str(place)] if place is not None else []  # its label, in Nepali when the reader's is
    if text and text not in parts:
        parts.append(text)
    name = country_name(str(country)) if country else ""  # in the reader's language (people/countries.py)
    if name and name not in parts:
        parts.append(str(name))
    return ", ".join(p for p in parts if p)


def sensitive_allowed(interception: Interception) -> bool:
    # `can_see_sensitive` is annotated by the selectors; a row without it is never shown unmasked.
    return bool(getattr(interception, "can_see_sensitive", False))


def interceptee_rows(interception: Interception) -> list[dict]:
    allowed = sensitive_allowed(interception)
    region = interception.station.country.code  # phones on pages: this country's national format
    rows = list(interception.interceptees.all())
    index = {row.pk: i for i, row in enumerate(rows)}
    photos: dict[int, list[int]] = {}
    for attachment in interception.attachments.all():  # prefetched with the record: no query per person
        if attachment.interceptee_id:
            photos.setdefault(attachment.interceptee_id, []).append(attachment.pk)
    return [
        {
            "id": row.pk,
            **person_fields(row.person, allowed, region),
            "role": row.role,
            "role_label": row.get_role_display(),
            "gender_label": row.person.get_gender_display(),
            "consent_to_use_information": row.consent_to_use_information,
            "consent_to_use_photo": row.consent_to_use_photo,
            **appearance_fields(row, allowed, index, rows),
            # Photos of the person need view_sensitive, like the name (ids of the record's attachments).
            "photos": photos.get(row.pk, []) if allowed else [],
        }
        for row in rows
    ]


def appearance_fields(row, allowed: bool, index: dict, rows: list) -> dict:
    """A person's part of the whole record, masked like names where personal; `*_label` keys for pages."""
    companions = [c for c in row.companions.all() if c.to_interceptee_id in index]
    return {
        "destination_place": _code(row.destination_place),
        "destination_text": row.destination_text,
        "destination_country": str(row.destination_country or ""),
        "destination_label": place_label(
            row.destination_place, row.destination_text, row.destination_country
        ),
        "travel_purpose": row.travel_purpose,
        "travel_purpose_label": row.get_travel_purpose_display() if row.travel_purpose else "",
        "travel_purpose_notes": mask(row.travel_purpose_notes, allowed),
        "companions": [
            {"person": index[c.to_interceptee_id], "relationship": c.relationship} for c in companions
        ],
        "companion_labels": [
            {
                "relationship": c.get_relationship_display(),
                "name": mask(rows[index[c.to_interceptee_id]].person.full_name, allowed),
                "number": index[c.to_interceptee_id] + 1,
            }
            for c in companions
        ],
        "documents": [
            {
                "kind": d.kind,
                "whose": d.whose,
                "looks_genuine": d.looks_genuine,
                "number": mask(d.number, allowed),
            }
            for d in row.documents.all()
        ],
        "document_labels": [
            {
                "kind": d.get_kind_display(),
                "whose": d.get_whose_display(),
                "looks_genuine": d.get_looks_genuine_display(),
                "number": mask(d.number, allowed),
            }
            for d in row.documents.all()
        ],
        "suspect_description": mask(row.suspect_description, allowed),
        "suspect_role": row.suspect_role,
        "suspect_role_label": row.get_suspect_role_display() if row.suspect_role else "",
    }


def whole_record(interception: Interception) -> dict:
    """The interception's own fields of the whole record, in the API's names (how_started_notes is in
    `narrative`, masked)."""
    return {
        "place_ref": _code(interception.place_ref),
        "place_country": str(interception.place_country or ""),
        "how_started": interception.how_started,
        "transport": interception.transport,
        "journey_start_place": _code(interception.journey_start_place),
        "journey_start_text": interception.journey_start_text,
        "journey_start_country": str(interception.journey_start_country or ""),
        "route": [
            {"place": _code(stop.place), "text": stop.text, "country": str(stop.country or "")}
            for stop in interception.route.all()
        ],
    }


def route_labels(interception: Interception) -> list[str]:
    return [place_label(stop.place, stop.text, stop.country) for stop in interception.route.all()]


def narrative(interception: Interception) -> dict:
    allowed = sensitive_allowed(interception)
    return {field: mask(getattr(interception, field), allowed) for field in SENSITIVE_FIELDS}


def split_by_role(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    victims = [r for r in rows if r["role"] == IntercepteeRole.POTENTIAL_VICTIM]
    suspects = [r for r in rows if r["role"] == IntercepteeRole.SUSPECT]
    return victims, suspects


def list_rows(interceptions) -> list[dict]:
    """What each row of the list page shows, computed once here so the template only places it: the
    record's link, its time on the station's clock with the Bikram Sambat date beside it, and the place
    (marked as Nepali when written in Devanagari). Rendering 25 rows through template filters cost about
    4 ms of a page (docs/benchmarks.md); this is a fraction of that."""
    rows = []
    for i in interceptions:
        local = i.occurred_at.astimezone(i.station.tzinfo)
        rows.append(
            {
                "url": reverse("interception:detail", args=[i.pk]),
                "number": i.number,
                "station": i.station.code,
                "when": local.strftime("%Y-%m-%d %H:%M"),
                "bs": bs_date(local),
                "place": lang_ne(i.place),
                "score": i.red_flag_score,
                "certainty": i.certainty,
                "victims": i.victim_count,
                "suspects": i.suspect_count,
                "status": i.status,
                "status_label": i.get_status_display(),
            }
        )
    return rows
