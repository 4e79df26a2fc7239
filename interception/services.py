"""Every write to interceptions: create, update, submit, attach, tally. Each runs in one transaction
and writes its audit event in that same transaction."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from accounts.access import can_at_station
from accounts.models import Station
from accounts.roles import Action
from audit.services import record_event
from core import events, idempotency, outbox
from core.errors import IdempotencyConflict, StaleVersionError
from core.services import model_update, plain
from core.uploads import sniff
from people import phones
from people import services as people_services
from people.models import Gender, Person, Source

from . import policies
from .models import (
    Attachment,
    AttachmentKind,
    Companion,
    DailyTally,
    DocumentKind,
    DocumentWhose,
    Genuine,
    HowStarted,
    IdentityDocument,
    Interceptee,
    IntercepteeRole,
    Interception,
    InterceptionMonitor,
    InterceptionRedFlag,
    NumberCounter,
    Outcome,
    RedFlag,
    Relationship,
    RouteStop,
    Status,
    SuspectRole,
    Transport,
    TravelPurpose,
)
from .selectors import monitor_candidates, red_flags_for_station

CLOCK_SKEW = timedelta(minutes=10)
# Records start in 2000: an earlier date is a typing mistake (two-digit year, or the Bikram Sambat year).
EARLIEST_DATE = date(2000, 1, 1)  # the station's local date
MAX_PEOPLE = 50  # people on one interception record (interceptees and suspects together)


@dataclass
class CompanionData:
    """`person` (0-based index of another person in the same `interceptees` list) is this person's
    `relationship` (e.g. their broker)."""

    person: int
    relationship: str


@dataclass
class DocumentData:
    kind: str
    whose: str = DocumentWhose.OWN
    looks_genuine: str = Genuine.NOT_SURE
    number: str = ""


@dataclass
class RouteStopData:
    place: str | None = None  # a people.Place code
    text: str = ""
    country: str = ""


@dataclass
class IntercepteeData:
    full_name: str
    role: str
    gender: str = Gender.UNKNOWN
    age: int | None = None
    phone: str = ""
    address: str = ""
    nationality: str = ""  # an ISO code or an exact English country name ("Nepal" is NP)
    address_place: str = ""  # the home place: a people.Place code or label (docs/places.md)
    consent_to_use_information: bool = False
    consent_to_use_photo: bool = False
    id: int | None = None  # an existing interceptee row, when editing
    # The whole record (docs/interceptions.md "The whole record").
    destination_place: str | None = None  # a people.Place code; resolved from the text when not given
    destination_text: str = ""
    destination_country: str = ""
    travel_purpose: str = ""
    travel_purpose_notes: str = ""
    companions: list[CompanionData] = field(default_factory=list)
    documents: list[DocumentData] = field(default_factory=list)
    suspect_description: str = ""
    suspect_role: str = ""


@dataclass
class InterceptionData:
    occurred_at: datetime
    place: str
    certainty: int | None = None
    reason: str = ""
    outcome: str = ""
    outcome_notes: str = ""
    red_flag_codes: list[str] = field(default_factory=list)
    interceptees: list[IntercepteeData] = field(default_factory=list)
    # The whole record (docs/interceptions.md "The whole record").
    place_ref: str | None = None  # a people.Place code; resolved from `place` when not given
    place_country: str = ""
    how_started: str = ""
    how_started_notes: str = ""
    transport: str = ""
    journey_start_place: str | None = None
    journey_start_text: str = ""
    journey_start_country: str = ""
    route: list[RouteStopData] = field(default_factory=list)
    # Usernames of the monitors present (members of the station). None: on a new record the creator, on an
    # edit the monitors as they are.
    monitors: list[str] | None = None


def _code(place) -> str | None:
    return place.code if place is not None else None


def data_from_instance(interception: Interception) -> InterceptionData:
    """The stored record as service data (unmasked), for edits that change only some fields. Reads what
    `selectors.access_interception` already loaded (people, their companions and documents, the route)."""
    rows = list(interception.interceptees.all())
    index = {row.pk: i for i, row in enumerate(rows)}
    return InterceptionData(
        occurred_at=interception.occurred_at,
        place=interception.place,
        certainty=interception.certainty,
        reason=interception.reason,
        outcome=interception.outcome,
        outcome_notes=interception.outcome_notes,
        red_flag_codes=[f.code for f in interception.red_flags.all()],
        place_ref=_code(interception.place_ref),
        place_country=str(interception.place_country or ""),
        how_started=interception.how_started,
        how_started_notes=interception.how_started_notes,
        transport=interception.transport,
        journey_start_place=_code(interception.journey_start_place),
        journey_start_text=interception.journey_start_text,
        journey_start_country=str(interception.journey_start_country or ""),
        route=[
            RouteStopData(place=_code(stop.place), text=stop.text, country=str(stop.country or ""))
            for stop in interception.route.all()
        ],
        monitors=[u.username for u in interception.monitors.all()],
        interceptees=[
            IntercepteeData(
                id=row.pk,
                full_name=row.person.full_name,
                role=row.role,
                gender=row.person.gender,
                age=row.person.age,
                phone=row.person.phone,
                address=row.person.address,
                nationality=str(row.person.nationality or ""),
                address_place=_code(row.person.address_place),
                consent_to_use_information=row.consent_to_use_information,
                consent_to_use_photo=row.consent_to_use_photo,
                destination_place=_code(row.destination_place),
                destination_text=row.destination_text,
                destination_country=str(row.destination_country or ""),
                travel_purpose=row.travel_purpose,
                travel_purpose_notes=row.travel_purpose_notes,
                companions=[
                    CompanionData(person=index[c.to_interceptee_id], relationship=c.relationship)
                    for c in row.companions.all()
                    if c.to_interceptee_id in index
                ],
                documents=[
                    DocumentData(kind=d.kind, whose=d.whose, looks_genuine=d.looks_genuine, number=d.number)
                    for d in row.documents.all()
                ],
                suspect_description=row.suspect_description,
                suspect_role=row.suspect_role,
            )
            for row in rows
        ],
    )


def _clean_phone(value: str, region: str = "NP") -> str:
    """E.164 for a phone number ("9811111111" at a Nepal station is "+9779811111111"); other text as given
    (the check in `_validate` refuses it)."""
    return phones.normalise(value, region=region)


def _country_ok(code: str) -> bool:
    from django_countries import countries

    return not code or bool(countries.alpha2(code.upper()) and len(code) == 2)


def _structured_place(*, code, text: str, country: str, key: str, errors: dict, found: dict):
    """The Place a structured place names: its code when given (unknown: an error on `key`_place), else the
    text resolved among Nepal's places when the country is Nepal or not given (None when it does not
    resolve: the text is kept as typed). An unknown country is an error on `key`_country."""
    from people import places
    from people.models import Place

    country = (country or "").strip().upper()
    if not _country_ok(country):
        errors.setdefault(f"{key}_country", []).append(
            _("Unknown country code %(code)r.") % {"code": country}
        )
    if code:
        place = found.get(code)
        if place is None:
            place = Place.objects.filter(code=code).first()
            found[code] = place
        if place is None:
            errors.setdefault(f"{key}_place", []).append(_("Unknown place %(code)r.") % {"code": code})
        return place
    if (text or "").strip() and country in ("", "NP"):
        return places.resolve(text, country="NP")
    return None


def _check_whole_record(*, station: Station, data: InterceptionData, errors: dict) -> dict:
    """Check the fields of the whole record (journey, how it started, monitors, each person's destination,
    purpose, companions and documents); return the places and monitors they name."""
    found: dict = {}
    out: dict = {"people": []}

    def choice(value, choices, key):
        if value and value not in choices.values:
            errors.setdefault(key, []).append(
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices.values)}
            )

    choice(data.how_started, HowStarted, "how_started")
    choice(data.transport, Transport, "transport")
    out["place_ref"] = _structured_place(
        code=data.place_ref,
        text=data.place,
        country=data.place_country,
        key="place",
        errors=errors,
        found=found,
    )
    # `place_ref`'s error key is the attribute's name (the generic helper says "place_place").
    if "place_place" in errors:
        errors["place_ref"] = errors.pop("place_place")
    out["journey_start_place"] = _structured_place(
        code=data.journey_start_place,
        text=data.journey_start_text,
        country=data.journey_start_country,
        key="journey_start",
        errors=errors,
        found=found,
    )
    route_errors: dict = {}
    out["route"] = []
    for stop in data.route:
        out["route"].append(
            _structured_place(
                code=stop.place,
                text=stop.text,
                country=stop.country,
                key="route",
                errors=route_errors,
                found=found,
            )
        )
        if not (stop.place or (stop.text or "").strip() or (stop.country or "").strip()):
            route_errors.setdefault("route_empty", []).append(_("A stop of the route needs a place or text."))
    for messages in route_errors.values():
        errors.setdefault("route", []).extend(dict.fromkeys(messages))
    out["monitors"] = None
    if data.monitors is not None:
        names = list(dict.fromkeys(n.strip() for n in data.monitors if n and n.strip()))
        users = {u.username: u for u in monitor_candidates(station).filter(username__in=names)}
        unknown = [n for n in names if n not in users]
        if unknown:
            errors.setdefault("monitors", []).append(
                _("Not a member of this station: %(names)s.") % {"names": ", ".join(unknown)}
            )
        elif not names:
            errors.setdefault("monitors", []).append(_("Name at least one monitor who was present."))
        out["monitors"] = [users[n] for n in names if n in users]
    count = len(data.interceptees)
    for i, person in enumerate(data.interceptees):
        key = f"interceptees.{i}"
        person_errors: dict = {}
        out["people"].append(
            _structured_place(
                code=person.destination_place,
                text=person.destination_text,
                country=person.destination_country,
                key="destination",
                errors=person_errors,
                found=found,
            )
        )
        for name, messages in person_errors.items():
            errors.setdefault(f"{key}.{name}", []).extend(messages)
        choice(person.travel_purpose, TravelPurpose, f"{key}.travel_purpose")
        choice(person.suspect_role, SuspectRole, f"{key}.suspect_role")
        seen = set()
        for companion in person.companions:
            other = companion.person
            if not isinstance(other, int) or not 0 <= other < count or other == i:
                errors.setdefault(f"{key}.companions", []).append(
                    _("A companion is another person on this record (0 to %(last)s, not %(i)s).")
                    % {"last": count - 1, "i": i}
                )
            elif other in seen:
                errors.setdefault(f"{key}.companions", []).append(
                    _("Give one relationship per companion (person %(n)s twice).") % {"n": other}
                )
            seen.add(other)
            choice(companion.relationship, Relationship, f"{key}.companions")
            if not companion.relationship:
                errors.setdefault(f"{key}.companions", []).append(_("Say how the companion is related."))
        for document in person.documents:
            if document.kind not in DocumentKind.values:
                choice(document.kind or "?", DocumentKind, f"{key}.documents")
            choice(document.whose, DocumentWhose, f"{key}.documents")
            choice(document.looks_genuine, Genuine, f"{key}.documents")
            if len(document.number or "") > 64:
                errors.setdefault(f"{key}.documents", []).append(
                    _("A document number has at most 64 characters.")
                )
    return out


def _validate(
    *, station: Station, data: InterceptionData, submit: bool, resolved: dict | None = None
) -> list[RedFlag]:
    if len(data.interceptees) > MAX_PEOPLE:
        raise ValidationError(
            {
                "interceptees": _(
                    "A record holds at most %(most)s people; this one has %(count)s. "
                    "Record a larger group as several interceptions."
                )
                % {"most": MAX_PEOPLE, "count": len(data.interceptees)}
            }
        )
    errors: dict[str, list[str]] = {}
    if timezone.is_naive(data.occurred_at):
        errors.setdefault("occurred_at", []).append(_("Give the time with its time zone."))
    elif data.occurred_at > timezone.now() + CLOCK_SKEW:
        errors.setdefault("occurred_at", []).append(_("The interception cannot be in the future."))
    elif data.occurred_at.astimezone(station.tzinfo).date() < EARLIEST_DATE:
        errors.setdefault("occurred_at", []).append(
            _("The date cannot be before 1 January 2000. Check the year.")
        )
    # A draft may be saved before the place is known (autosave); submitting needs it.
    if submit and not (data.place or "").strip():
        errors.setdefault("place", []).append(_("Say where the interception happened."))
    if data.certainty is not None and not 1 <= data.certainty <= 5:
        errors.setdefault("certainty", []).append(_("Certainty is a whole number from 1 to 5."))
    if data.outcome not in Outcome.values:
        errors.setdefault("outcome", []).append(_("Unknown outcome %(outcome)r.") % {"outcome": data.outcome})
    codes = list(dict.fromkeys(c.strip() for c in data.red_flag_codes if c and c.strip()))
    flags = list(red_flags_for_station(station).filter(code__in=codes))
    unknown = sorted(set(codes) - {f.code for f in flags})
    if unknown:
        errors.setdefault("red_flags", []).append(
            _("Unknown or inactive red flag(s) for this station: %(codes)s.") % {"codes": ", ".join(unknown)}
        )
    # Each person's problems on that person's field (`interceptees.<i>.<field>`, the house convention).
    for i, person in enumerate(data.interceptees):
        key = f"interceptees.{i}"
        if not (person.full_name or "").strip():
            errors.setdefault(f"{key}.full_name", []).append(_("Give the person's name."))
        if person.role not in IntercepteeRole.values:
            errors.setdefault(f"{key}.role", []).append(
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(map(str, IntercepteeRole.labels))}
            )
        if person.gender not in Gender.values:
            errors.setdefault(f"{key}.gender", []).append(
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(map(str, Gender.labels))}
            )
        if person.age is not None and not 0 <= person.age <= 120:
            errors.setdefault(f"{key}.age", []).append(_("The age must be between 0 and 120."))
    # Phone (E.164 in the station's country), nationality (code or English name), home place: errors per
    # person under `interceptees.<i>.phone` / `.nationality` / `.address_place` (docs/places.md).
    region = people_services.station_region(station)
    checked_people = [
        people_services.check_person(
            phone=person.phone,
            nationality=person.nationality,
            address_place=person.address_place,
            region=region,
            key=f"interceptees.{i}",
            errors=errors,
        )
        for i, person in enumerate(data.interceptees)
    ]
    found = _check_whole_record(station=station, data=data, errors=errors)
    found["persons"] = checked_people  # their stored forms: the sync writes them as checked
    if resolved is not None:
        resolved.update(found)
    if submit:
        if data.certainty is None:
            errors.setdefault("certainty", []).append(_("Say how sure you are (1–5) before submitting."))
        if not (data.reason or "").strip():
            errors.setdefault("reason", []).append(_("Describe why you intercepted before submitting."))
        if not any(p.role == IntercepteeRole.POTENTIAL_VICTIM for p in data.interceptees):
            errors.setdefault("interceptees", []).append(
                _("Add at least one potential victim before submitting.")
            )
    if errors:
        raise ValidationError(errors)
    return flags


def _next_number(station: Station, occurred_at: datetime) -> str:
    year = occurred_at.astimezone(station.tzinfo).year
    counter, _ = NumberCounter.objects.get_or_create(station=station, year=year)
    counter = NumberCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{station.code}-{year}-{counter.last:05d}"


def _idempotency_content(*, station: Station, data: InterceptionData, submit: bool) -> dict:
    """What a retry must repeat for its key to return the first record: the service data, normalised the
    way it is stored (text stripped, phones cleaned, flags as a set, the time in UTC)."""
    occurred_at = data.occurred_at
    if isinstance(occurred_at, datetime) and timezone.is_aware(occurred_at):
        occurred_at = occurred_at.astimezone(UTC)
    return {
        "station": station.pk,
        "submit": bool(submit),
        "occurred_at": occurred_at.isoformat() if isinstance(occurred_at, datetime) else str(occurred_at),
        "place": (data.place or "").strip(),
        "certainty": data.certainty,
        "reason": (data.reason or "").strip(),
        "outcome": data.outcome or "",
        "outcome_notes": (data.outcome_notes or "").strip(),
        "red_flags": sorted({c.strip() for c in data.red_flag_codes if c and c.strip()}),
        "place_ref": data.place_ref or None,
        "place_country": (data.place_country or "").strip().upper(),
        "how_started": data.how_started or "",
        "how_started_notes": (data.how_started_notes or "").strip(),
        "transport": data.transport or "",
        "journey_start": [
            data.journey_start_place or None,
            (data.journey_start_text or "").strip(),
            (data.journey_start_country or "").strip().upper(),
        ],
        "route": [
            [s.place or None, (s.text or "").strip(), (s.country or "").strip().upper()] for s in data.route
        ],
        "monitors": None if data.monitors is None else sorted({m.strip() for m in data.monitors if m}),
        "people": [
            {
                "full_name": (p.full_name or "").strip(),
                "role": p.role,
                "gender": p.gender,
                "age": p.age,
                "phone": _clean_phone(p.phone, people_services.station_region(station)),
                "address": (p.address or "").strip(),
                "nationality": people_services.clean_nationality(p.nationality),
                "address_place": _code(people_services.find_place(p.address_place))
                or (p.address_place or "").strip(),
                "consent_to_use_information": bool(p.consent_to_use_information),
                "consent_to_use_photo": bool(p.consent_to_use_photo),
                "destination": [
                    p.destination_place or None,
                    (p.destination_text or "").strip(),
                    (p.destination_country or "").strip().upper(),
                ],
                "travel_purpose": p.travel_purpose or "",
                "travel_purpose_notes": (p.travel_purpose_notes or "").strip(),
                "companions": sorted([c.person, c.relationship] for c in p.companions),
                "documents": [
                    [d.kind, d.whose, d.looks_genuine, (d.number or "").strip()] for d in p.documents
                ],
                "suspect_description": (p.suspect_description or "").strip(),
                "suspect_role": p.suspect_role or "",
            }
            for p in data.interceptees
        ],
    }


def _lock_idempotency_key(*, actor, key: str, content: dict) -> Interception | None:
    """Hold the key for this transaction and return the interception an earlier request with this key and
    this content created (None when the key is new). Same key, other content: IdempotencyConflict."""
    first_id = idempotency.previous(user=actor, key=key, object_type="interception", content=content)
    if first_id is not None:
        first = Interception.objects.filter(pk=first_id).first()
        if first is None:
            raise IdempotencyConflict(_("The record first saved with this idempotency key no longer exists."))
        return first
    # Records created before keys had fingerprints (core.IdempotencyRecord): the key alone decides.
    return Interception.objects.filter(created_by=actor, idempotency_key=key).first()


def _sync_interceptees(
    *,
    actor,
    interception: Interception,
    people: list[IntercepteeData],
    destinations: list | None = None,
    persons: list[dict] | None = None,
) -> None:
    """Make the interception's people equal to `people`: update rows with an id, add the rest,
    remove the ones no longer listed; then their companions and documents (`destinations`: the Place
    of each person's destination; `persons`: each person's phone, nationality and home place in their
    stored forms; both as `_validate` resolved them)."""
    existing = {i.pk: i for i in interception.interceptees.select_related("person")}
    region = people_services.station_region(interception.station)
    keep: set[int] = set()
    new_persons: list[tuple[Person, IntercepteeData]] = []
    destinations = destinations or [None] * len(people)
    rows_in_order: list = [None] * len(people)
    rematch: list[Person] = []  # edited appearances whose name keys, identity or matches may change
    for position, data in enumerate(people):
        values = {
            "full_name": data.full_name.strip(),
            "gender": data.gender,
            "age": data.age,
            "address": (data.address or "").strip(),
            # the record's date: the age is the age at that date (people.Person.recorded_on)
            "recorded_on": interception.occurred_on,
        }
        if persons is not None:
            values.update(persons[position])  # phone, nationality, address_place, as checked
        else:
            values.update(
                phone=_clean_phone(data.phone, region),
                nationality=people_services.clean_nationality(data.nationality),
                address_place=people_services.find_place(data.address_place),
            )
        row = existing.get(data.id) if data.id else None
        if row is None:
            person = Person(
                station=interception.station,
                source=Source.INTERCEPTION,
                record_id=interception.pk,
                created_by=actor,
                **values,
            )
            new_persons.append((person, data))
            continue
        rows_in_order[position] = row
        keep.add(row.pk)
        changed = [k for k, v in values.items() if getattr(row.person, k) != v]
        if changed:
            for k in changed:
                setattr(row.person, k, values[k])
            row.person._history_user = actor
            row.person.save(update_fields=[*changed, "updated_at"])
            if set(changed) & {"full_name", "phone", "gender", "age", "recorded_on", "address_place"}:
                rematch.append(row.person)
        row_values = {
            "role": data.role,
            "consent_to_use_information": data.consent_to_use_information,
            "consent_to_use_photo": data.consent_to_use_photo,
            **_appearance_values(data, destinations[position]),
        }
        row_changed = [k for k, v in row_values.items() if getattr(row, k) != v]
        if row_changed:
            for k in row_changed:
                setattr(row, k, row_values[k])
            row._history_user = actor
            row.save(update_fields=row_changed)
    # Companions and documents of people leaving the record go first, each with its history row.
    gone = [pk for pk in existing if pk not in keep]
    for companion in Companion.objects.filter(Q(from_interceptee__in=gone) | Q(to_interceptee__in=gone)):
        companion._history_user = actor
        companion.delete()
    for document in IdentityDocument.objects.filter(interceptee__in=gone):
        document._history_user = actor
        document.delete()
    # One by one (a record holds few people), so each removal is kept in the history with its author.
    for pk in gone:
        existing[pk]._history_user = actor
        existing[pk].delete()
        # The appearance goes with its row: an identity's appearances are the records it is on.
        existing[pk].person._history_user = actor
        existing[pk].person.delete()
    created_persons: list[Person] = []
    if new_persons:
        people_services.new_identities([p for p, _ in new_persons])
        created_persons = bulk_create_with_history([p for p, _ in new_persons], Person, default_user=actor)
        positions = [i for i, row in enumerate(rows_in_order) if row is None]
        created = bulk_create_with_history(
            [
                Interceptee(
                    interception=interception,
                    person=person,
                    role=data.role,
                    consent_to_use_information=data.consent_to_use_information,
                    consent_to_use_photo=data.consent_to_use_photo,
                    **_appearance_values(data, destinations[position]),
                )
                for person, (_, data), position in zip(created_persons, new_persons, positions, strict=True)
            ],
            Interceptee,
            default_user=actor,
        )
        for position, row in zip(positions, created, strict=True):
            rows_in_order[position] = row
    _sync_companions(actor=actor, interception=interception, people=people, rows=rows_in_order)
    _sync_documents(actor=actor, people=people, rows=rows_in_order)
    # Search keys, the identities' gender and birth year, and match suggestions (docs/people.md).
    people_services.appearances_recorded(
        created=created_persons,
        renamed=rematch,
        changed_identities=[existing[pk].person.identity_id for pk in gone],
    )


def _appearance_values(data: IntercepteeData, destination) -> dict:
    """What an appearance keeps of the whole record: destination, purpose, and for suspects their role."""
    return {
        "destination_place": destination,
        "destination_text": (data.destination_text or "").strip(),
        "destination_country": (data.destination_country or "").strip().upper(),
        "travel_purpose": data.travel_purpose or "",
        "travel_purpose_notes": (data.travel_purpose_notes or "").strip(),
        "suspect_description": (data.suspect_description or "").strip(),
        "suspect_role": data.suspect_role or "",
    }


def _sync_companions(*, actor, interception: Interception, people: list[IntercepteeData], rows: list) -> None:
    """Make the record's companion pairs equal what `people` say (one row per ordered pair)."""
    wanted = {
        (rows[i].pk, rows[c.person].pk): c.relationship for i, p in enumerate(people) for c in p.companions
    }
    have = {(c.from_interceptee_id, c.to_interceptee_id): c for c in interception.companions.all()}
    for pair, companion in have.items():
        if pair not in wanted:
            companion._history_user = actor
            companion.delete()
        elif companion.relationship != wanted[pair]:
            companion.relationship = wanted[pair]
            companion._history_user = actor
            companion.save(update_fields=["relationship"])
    added = [
        Companion(interception=interception, from_interceptee_id=a, to_interceptee_id=b, relationship=r)
        for (a, b), r in wanted.items()
        if (a, b) not in have
    ]
    if added:
        bulk_create_with_history(added, Companion, default_user=actor)


def _sync_documents(*, actor, people: list[IntercepteeData], rows: list) -> None:
    """Make each person's documents equal the list given (matched in order: the n-th document of a person
    is updated in place, extra ones added or removed)."""
    have: dict[int, list[IdentityDocument]] = {}
    for document in IdentityDocument.objects.filter(interceptee__in=[r.pk for r in rows]).order_by("id"):
        have.setdefault(document.interceptee_id, []).append(document)
    added = []
    for person, row in zip(people, rows, strict=True):
        old = have.get(row.pk, [])
        for n, data in enumerate(person.documents):
            values = {
                "kind": data.kind,
                "whose": data.whose,
                "looks_genuine": data.looks_genuine,
                "number": (data.number or "").strip(),
            }
            if n < len(old):
                changed = [k for k, v in values.items() if getattr(old[n], k) != v]
                if changed:
                    model_update(old[n], {k: values[k] for k in changed})
                    old[n]._history_user = actor
                    old[n].save(update_fields=changed)
            else:
                added.append(IdentityDocument(interceptee=row, **values))
        for document in old[len(person.documents) :]:
            document._history_user = actor
            document.delete()
    if added:
        bulk_create_with_history(added, IdentityDocument, default_user=actor)


def _record_values(data: InterceptionData, resolved: dict) -> dict:
    """The interception's own fields of the whole record, as stored."""
    return {
        "place_ref": resolved["place_ref"],
        "place_country": (data.place_country or "").strip().upper()
        or (resolved["place_ref"].country if resolved["place_ref"] else ""),
        "how_started": data.how_started or "",
        "how_started_notes": (data.how_started_notes or "").strip(),
        "transport": data.transport or "",
        "journey_start_place": resolved["journey_start_place"],
        "journey_start_text": (data.journey_start_text or "").strip(),
        "journey_start_country": (data.journey_start_country or "").strip().upper(),
    }


def _sync_route(*, actor, interception: Interception, stops: list[RouteStopData], places: list) -> bool:
    """Make the intended route equal `stops`, in order (stop n is updated in place). Returns whether
    anything changed."""
    old = list(interception.route.order_by("position"))
    changed = False
    for document in old[len(stops) :]:
        document._history_user = actor
        document.delete()
        changed = True
    added = []
    for n, (stop, place) in enumerate(zip(stops, places, strict=True)):
        values = {
            "place": place,
            "text": (stop.text or "").strip(),
            "country": (stop.country or "").strip().upper(),
        }
        if n < len(old):
            diff = [k for k, v in values.items() if getattr(old[n], k) != v]
            if diff:
                for k in diff:
                    setattr(old[n], k, values[k])
                old[n]._history_user = actor
                old[n].save(update_fields=diff)
                changed = True
        else:
            added.append(RouteStop(interception=interception, position=n, **values))
    if added:
        bulk_create_with_history(added, RouteStop, default_user=actor)
        changed = True
    return changed


def _red_flag_points(existing: dict[int, InterceptionRedFlag], flags: list[RedFlag]) -> dict[int, int]:
    """Points per ticked flag as the record keeps them: a flag that stays ticked keeps the points it was
    ticked with (`existing`: the record's ticks by flag id); a newly ticked flag takes the catalogue's
    points now (docs/history.md)."""
    return {f.pk: existing[f.pk].points if f.pk in existing else f.points for f in flags}


def _set_red_flags(
    *,
    actor,
    interception: Interception,
    flags: list[RedFlag],
    existing: dict[int, InterceptionRedFlag],
    points: dict[int, int],
) -> bool:
    """Make the record's ticks (`existing`, by flag id) equal `flags`, each with its snapshot points. Every
    tick and untick is kept in the history with its points and author. Returns whether anything changed."""
    wanted = {f.pk for f in flags}
    when = timezone.now()
    removed = [tick for flag_id, tick in existing.items() if flag_id not in wanted]
    for tick in removed:
        tick._history_user, tick._history_date = actor, when
        tick.delete()
    added = [
        InterceptionRedFlag(interception=interception, red_flag=f, points=points[f.pk])
        for f in flags
        if f.pk not in existing
    ]
    if added:
        bulk_create_with_history(added, InterceptionRedFlag, default_user=actor, default_date=when)
    return bool(removed or added)


def _set_monitors(*, actor, interception: Interception, users: list) -> None:
    """Make the record's monitors present equal `users`. Each monitor added or removed is kept in the
    history with its author (one row each; a record lists few monitors)."""
    rows = {row.user_id: row for row in InterceptionMonitor.objects.filter(interception=interception)}
    wanted = {u.pk for u in users}
    when = timezone.now()
    for user_id, row in rows.items():
        if user_id not in wanted:
            row._history_user, row._history_date = actor, when
            row.delete()
    added = [InterceptionMonitor(interception=interception, user=u) for u in users if u.pk not in rows]
    if added:
        bulk_create_with_history(added, InterceptionMonitor, default_user=actor, default_date=when)


def _queue_tally(interception: Interception, day: date | None = None) -> None:
    """Recount the station's day (default: the interception's) in a worker, through the outbox: written in
    this transaction, sent after the commit or, if the broker is down then, by the relay."""
    from .tasks import recompute_daily_tally

    day = day or interception.occurred_on
    outbox.enqueue(recompute_daily_tally, interception.station_id, day.isoformat())


def _queue_alerts(interception: Interception, actor) -> None:
    """Newly submitted: tell the subscribers, in this transaction (cases/ opens a case file per potential
    victim; alerts/ evaluates its rules in a worker, through the outbox). `by` is who submitted it."""
    events.publish("interception.submitted", id=interception.pk, by=actor.pk)


def interception_create(
    *,
    actor,
    station: Station,
    data: InterceptionData,
    submit: bool = False,
    idempotency_key: str | None = None,
) -> tuple[Interception, bool]:
    """Create an interception. Returns (interception, created); a repeated idempotency key with the same
    content returns the interception the first request created, unchanged. The same key with other content
    raises IdempotencyConflict; a key too long or with control characters is a ValidationError."""
    idempotency_key = idempotency.clean_key(idempotency_key)
    content = _idempotency_content(station=station, data=data, submit=submit) if idempotency_key else None
    with transaction.atomic():
        if idempotency_key:
            first = _lock_idempotency_key(actor=actor, key=idempotency_key, content=content)
            if first is not None:
                return first, False
        if not can_at_station(actor, station, "interception", Action.ADD):
            raise ValidationError({"station": _("You cannot record interceptions at this station.")})
        resolved: dict = {}
        flags = _validate(station=station, data=data, submit=submit, resolved=resolved)
        now = timezone.now()
        interception = Interception(
            number=_next_number(station, data.occurred_at),
            station=station,
            occurred_at=data.occurred_at,
            occurred_on=data.occurred_at.astimezone(station.tzinfo).date(),
            place=data.place.strip(),
            certainty=data.certainty,
            reason=(data.reason or "").strip(),
            outcome=data.outcome,
            outcome_notes=(data.outcome_notes or "").strip(),
            red_flag_score=sum(f.points for f in flags),  # the snapshot's sum: every tick is new
            status=Status.SUBMITTED if submit else Status.DRAFT,
            submitted_at=now if submit else None,
            created_by=actor,
            idempotency_key=idempotency_key,
            **_record_values(data, resolved),
        )
        interception._history_user = actor
        interception.save()
        points = _red_flag_points({}, flags)  # a new record: every tick takes today's points
        _set_red_flags(actor=actor, interception=interception, flags=flags, existing={}, points=points)
        # The monitors present: those chosen, or the creator (docs/interceptions.md "The whole record").
        monitors = resolved["monitors"] if resolved["monitors"] is not None else [actor]
        _set_monitors(actor=actor, interception=interception, users=monitors)
        _sync_route(actor=actor, interception=interception, stops=data.route, places=resolved["route"])
        _sync_interceptees(
            actor=actor,
            interception=interception,
            people=data.interceptees,
            destinations=resolved["people"],
            persons=resolved["persons"],
        )
        if idempotency_key:
            idempotency.remember(
                user=actor,
                key=idempotency_key,
                object_type="interception",
                object_id=interception.pk,
                content=content,
            )
        if submit:
            _queue_tally(interception)
            _queue_alerts(interception, actor)
        # Last: the access log's chain lock is held from here to the commit (docs/audit.md).
        record_event(
            actor=actor,
            action="interception.create",
            obj=interception,
            station=station,
            details={
                "number": interception.number,
                "status": interception.status,
                "monitors": sorted(u.username for u in monitors),
            },
        )
    return interception, True


def interception_update(
    *,
    actor,
    interception: Interception,
    expected_version: int,
    data: InterceptionData,
    submit: bool = False,
) -> Interception:
    """Save an edit made on version `expected_version`. A stale version is refused, nothing written."""
    with transaction.atomic():
        current = Interception.objects.select_for_update().select_related("station").get(pk=interception.pk)
        if not policies.may_change(actor, current):
            raise PermissionDenied(policies.MESSAGES[policies.CHANGE])
        if current.version != expected_version:
            raise StaleVersionError(current.version)
        submitting = submit or current.status == Status.SUBMITTED
        resolved: dict = {}
        flags = _validate(station=current.station, data=data, submit=submitting, resolved=resolved)
        ticks = {t.red_flag_id: t for t in InterceptionRedFlag.objects.filter(interception=current)}
        points = _red_flag_points(ticks, flags)
        values = {
            "occurred_at": data.occurred_at,
            "occurred_on": data.occurred_at.astimezone(current.station.tzinfo).date(),
            "place": data.place.strip(),
            "certainty": data.certainty,
            "reason": (data.reason or "").strip(),
            "outcome": data.outcome,
            "outcome_notes": (data.outcome_notes or "").strip(),
            "red_flag_score": sum(points.values()),
            **_record_values(data, resolved),
        }
        old_day = current.occurred_on
        changed = [k for k, v in values.items() if getattr(current, k) != v]
        for k in changed:
            setattr(current, k, values[k])
        newly_submitted = submit and current.status == Status.DRAFT
        if newly_submitted:
            current.status, current.submitted_at = Status.SUBMITTED, timezone.now()
            changed += ["status", "submitted_at"]
        if _set_red_flags(actor=actor, interception=current, flags=flags, existing=ticks, points=points):
            changed.append("red_flags")
        _sync_interceptees(
            actor=actor,
            interception=current,
            people=data.interceptees,
            destinations=resolved["people"],
            persons=resolved["persons"],
        )
        if _sync_route(actor=actor, interception=current, stops=data.route, places=resolved["route"]):
            changed.append("route")
        # Editors are not monitors (the history says who edited): the list changes only when one is given.
        details_monitors = None
        if resolved["monitors"] is not None:
            before = set(current.monitors.values_list("username", flat=True))
            after = {u.username for u in resolved["monitors"]}
            if before != after:
                _set_monitors(actor=actor, interception=current, users=resolved["monitors"])
                changed.append("monitors")
                details_monitors = {"old": sorted(before), "new": sorted(after)}
        current.version += 1
        current._history_user = actor
        current.save(
            update_fields=[
                *(c for c in changed if c not in ("red_flags", "route", "monitors")),
                "version",
                "updated_at",
            ]
        )
        details = {"number": current.number, "fields": sorted(set(changed)), "version": current.version}
        if details_monitors:
            details["monitors"] = details_monitors
        if current.status == Status.SUBMITTED:
            _queue_tally(current)
            if newly_submitted:
                _queue_alerts(current, actor)
            else:
                # An edit of a submitted record (cases/ opens a case file for a potential victim added now).
                events.publish("interception.changed", id=current.pk, by=actor.pk)
            if old_day != current.occurred_on:
                _queue_tally(current, day=old_day)
        # Last: the access log's chain lock is held from here to the commit (docs/audit.md).
        record_event(
            actor=actor,
            action="interception.change",
            obj=current,
            station=current.station,
            details=details,
        )
    return current


def interception_check(
    *,
    station: Station,
    data: InterceptionData,
    submit: bool = False,
    interception: Interception | None = None,
) -> None:
    """Validate without writing, as interception_create (or interception_update of `interception`) would:
    the form runs it when its own parsing found errors too, so every error comes back in one round.
    Raises ValidationError; returns None when the data would save."""
    submitting = submit or (interception is not None and interception.status == Status.SUBMITTED)
    _validate(station=station, data=data, submit=submitting)


SIGNATURES = {
    b"\xff\xd8\xff": ("image/jpeg", AttachmentKind.PHOTO),
    b"\x89PNG\r\n\x1a\n": ("image/png", AttachmentKind.PHOTO),
    b"%PDF-": ("application/pdf", AttachmentKind.DOCUMENT),
}


def attachment_add(*, actor, interception: Interception, uploaded_file, interceptee=None) -> Attachment:
    """Store a photo (JPEG, PNG) or document (PDF) privately. The type is read from the file's bytes.
    `interceptee` (an id or row, optional): the person on this record the photo shows; a person of another
    record is a ValidationError on `interceptee`."""
    if not policies.may_add_attachment(actor, interception):
        raise PermissionDenied(policies.MESSAGES[policies.ADD_ATTACHMENT])
    match = sniff(
        uploaded_file,
        field="file",
        signatures=SIGNATURES,
        message=gettext("Only JPEG or PNG photos and PDF documents can be attached."),
    )
    content_type, kind = match
    name = (uploaded_file.name or "attachment").rsplit("/", 1)[-1][:200]
    with transaction.atomic():
        # The record first, as every write to it does (an autosave may be changing its people right now):
        # one lock order, no deadlock; and the person is read after that save, not before.
        Interception.objects.select_for_update().filter(pk=interception.pk).first()
        if interceptee is not None and interceptee != "":
            interceptee_id = getattr(interceptee, "pk", interceptee)
            try:
                interceptee = Interceptee.objects.get(pk=int(interceptee_id), interception=interception)
            except (Interceptee.DoesNotExist, ValueError, TypeError, OverflowError):
                raise ValidationError({"interceptee": gettext("No such person on this record.")}) from None
        else:
            interceptee = None
        attachment = Attachment(
            interception=interception,
            interceptee=interceptee,
            kind=kind,
            original_name=name,
            content_type=content_type,
            size=uploaded_file.size,
            uploaded_by=actor,
        )
        attachment.file.save(name, uploaded_file, save=False)
        attachment._history_user = actor
        attachment.save()
        record_event(
            actor=actor,
            action="attachment.add",
            obj=attachment,
            station=interception.station,
            details={
                "interception": interception.number,
                "interception_id": interception.pk,
                "interceptee_id": interceptee.pk if interceptee else None,
                "size": attachment.size,
            },
        )
    return attachment


def daily_tally_recompute(*, station_id: int, day: date) -> DailyTally | None:
    """Recount one station's submitted interceptions for one local day. Safe to run twice."""
    station = Station.objects.filter(pk=station_id).first()
    if station is None:
        return None
    counts = Interception.objects.filter(station=station, occurred_on=day, status=Status.SUBMITTED).aggregate(
        submitted=Count("id", distinct=True),
        potential_victims=Count(
            "interceptees", filter=Q(interceptees__role=IntercepteeRole.POTENTIAL_VICTIM)
        ),
    )
    tally, _ = DailyTally.objects.update_or_create(station=station, day=day, defaults=counts)
    return tally


SHARE_LEVELS = {
    "view": ["view"],
    "view_sensitive": ["view", "view_sensitive"],
}


GROUP_SHARING_REMOVED = gettext_lazy("Records are shared with users only, not with groups: give a username.")


def share_target(*, user: str | None = None, group: str | None = None) -> dict:
    """Find who a record is to be shared with, by username: {"user": User}. Unknown names are a
    ValidationError on that field; a group is refused (records are shared with users only)."""
    from accounts.models import User

    if group:
        raise ValidationError({"group": GROUP_SHARING_REMOVED})
    if not user:
        raise ValidationError({"user": _("Give the username of the person to share with.")})
    found = User.objects.filter(username=user).first()
    if found is None:
        raise ValidationError({"user": _("No user named %(name)r.") % {"name": user}})
    return {"user": found}


def interception_share(*, actor, interception: Interception, level: str, user=None, group=None) -> None:
    """Share one interception with a user outside its station, change their level, or (level
    "none") take the share back. Takes effect at once: every selector reads the grants in its SQL."""
    from guardian.shortcuts import assign_perm, remove_perm

    if not policies.may_share(actor, interception):
        raise PermissionDenied(policies.MESSAGES[policies.SHARE])
    if level != "none" and level not in SHARE_LEVELS:
        raise ValidationError(
            {"level": _("Choose one of: %(choices)s.") % {"choices": ", ".join([*SHARE_LEVELS, "none"])}}
        )
    if group is not None:
        raise ValidationError({"group": GROUP_SHARING_REMOVED})
    if user is None:
        raise ValidationError({"user": _("Share with one user.")})
    if level != "none" and user is not None and not user.is_active:
        raise ValidationError({"user": _("This user is deactivated.")})
    target = user
    with transaction.atomic():
        for action in ("view", "view_sensitive"):
            remove_perm(f"interception.{action}_interception", target, interception)
        for action in SHARE_LEVELS.get(level, []):
            assign_perm(f"interception.{action}_interception", target, interception)
        details = {
            "number": interception.number,
            "user": user.username,
        }
        if level != "none":
            details["level"] = level
        record_event(
            actor=actor,
            action="interception.unshare" if level == "none" else "interception.share",
            obj=interception,
            station=interception.station,
            details=details,
        )


def interception_unshare(*, actor, interception: Interception, user=None, group=None) -> None:
    interception_share(actor=actor, interception=interception, level="none", user=user, group=group)


def attachment_delete(*, actor, attachment: Attachment) -> None:
    """Remove a photo or document (station managers). The file goes when the transaction commits."""
    station = attachment.interception.station
    if not policies.may_delete_attachment(actor, attachment.interception):
        raise PermissionDenied(policies.MESSAGES[policies.DELETE_ATTACHMENT])
    with transaction.atomic():
        pk = attachment.pk
        details = {
            "interception": attachment.interception.number,
            "interception_id": attachment.interception_id,
            "kind": attachment.kind,
        }
        storage, name = attachment.file.storage, attachment.file.name
        attachment._history_user = actor
        attachment.delete()
        transaction.on_commit(lambda: storage.delete(name))
        # Last (the delete clears `attachment.pk`): the chain lock is held from here to the commit.
        record_event(
            actor=actor,
            action="attachment.delete",
            object_type="attachment",
            object_id=pk,
            station=station,
            details=details,
        )


RED_FLAG_FIELDS = ("code", "group", "text", "points", "country", "active", "sort_order")


def red_flag_update(*, actor, flag: RedFlag, data: dict) -> RedFlag:
    """Add a catalogue flag (unsaved `flag`) or change one (points, active, text...), from the admin.

    The access log keeps old and new values of each changed field (`red_flag.change`), or the new flag's
    values (`red_flag.create`), so a score can be explained after the catalogue changes."""

    unknown = set(data) - set(RED_FLAG_FIELDS)
    if unknown:
        raise ValidationError(_("Cannot change %(fields)s here.") % {"fields": ", ".join(sorted(unknown))})
    with transaction.atomic():
        if flag.pk is None:
            model_update(flag, data)
            flag.full_clean()
            flag._history_user = actor
            flag.save()
            values = {name: plain(getattr(flag, name)) for name in RED_FLAG_FIELDS}
            record_event(actor=actor, action="red_flag.create", obj=flag, details=values)
            return flag
        flag = RedFlag.objects.select_for_update().get(pk=flag.pk)
        changes = model_update(flag, data)
        if changes:
            flag.full_clean()
            flag._history_user = actor
            flag.save(update_fields=list(changes))
            record_event(
                actor=actor,
                action="red_flag.change",
                obj=flag,
                # Points and the active flag are always there, old and new (equal when unchanged).
                details={
                    "code": flag.code,
                    "points": {"old": flag.points, "new": flag.points},
                    "active": {"old": flag.active, "new": flag.active},
                    **changes,
                },
            )
        return flag
