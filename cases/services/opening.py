"""Opening case files: one per potential victim of a submitted interception, or by hand (walk-in,
referral from police or a partner). Numbers are per station and year: `BHW-C-2026-00012`."""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Station
from audit.services import record_event, record_event_later
from core import events, idempotency
from interception.models import Interceptee, IntercepteeRole, Interception, Status
from people import services as people_services
from people.models import Gender, Person, Source

from .. import policies
from ..models import CaseCounter, CaseSource, CaseStatus, VictimCase

User = get_user_model()

# The appearance fields a case file copies from the interceptee it is opened for: what the interception
# recorded of her (the age stays the age at the interception's date: `recorded_on` is that date).
COPIED = (
    "identity_id",
    "full_name",
    "gender",
    "age",
    "birth_date_estimate",
    "phone",
    "address",
    "address_place_id",
    "nationality",
    "recorded_on",
)


def next_number(station: Station, day: date) -> str:
    """The next case number of `station` in the year of `day` (row-locked until the transaction ends)."""
    counter, _created = CaseCounter.objects.get_or_create(station=station, year=day.year)
    counter = CaseCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{station.code}-C-{day.year}-{counter.last:05d}"


def _new_case(*, actor, station: Station, person: Person, source: str, **values) -> VictimCase:
    """Save the case appearance `person` (unsaved, identity set) and its case, and name the case on it."""
    opened_on = station.local_today()
    case = VictimCase(
        number=next_number(station, opened_on),
        station=station,
        source=source,
        status=CaseStatus.NEW,
        opened_on=opened_on,
        created_by=actor,
        **values,
    )
    person.source, person.station, person.created_by = Source.CASE, station, actor
    person._history_user = actor
    person.save()
    case.person = person
    case._history_user = actor
    case.save()
    person.record_id = case.pk
    person.save(update_fields=["record_id"])
    return case


def _opened(case: VictimCase, *, actor, details: dict, later: bool = False) -> None:
    """After a case is opened: tell the subscribers (alerts/: an unassigned case alerts the station's
    managers), then log it (last: the access log's chain lock is held until the commit). Opened inside the
    interception's transaction (`later`), the event is appended with the interception's own, recorded last
    (audit.services.record_event_later)."""
    events.publish("case.opened", id=case.pk)
    (record_event_later if later else record_event)(
        actor=actor,
        action="case.create",
        obj=case,
        station=case.station,
        details={"number": case.number, "source": case.source, **details},
    )


def cases_open_for_interception(*, id: int, by: int | None = None) -> list[VictimCase]:  # noqa: A002
    """Subscriber of "interception.submitted" and "interception.changed" (cases/apps.py), in the
    interception's transaction: open one case per potential victim of the submitted interception that has
    none yet (never for suspects). Safe to run twice: a victim appearance has at most one case
    (`opened_for` is unique)."""
    interception = Interception.objects.select_related("station").filter(pk=id).first()
    if interception is None or interception.status != Status.SUBMITTED:
        return []
    victims = (
        Interceptee.objects.filter(interception=interception, role=IntercepteeRole.POTENTIAL_VICTIM)
        .exclude(person__in=VictimCase.objects.filter(opened_for__isnull=False).values("opened_for"))
        .select_related("person")
        .order_by("id")
    )
    actor = User.objects.filter(pk=by).first() if by else None
    actor = actor or interception.created_by
    opened = []
    for interceptee in victims:
        source = interceptee.person
        person = Person(**{field: getattr(source, field) for field in COPIED})
        case = _new_case(
            actor=actor,
            station=interception.station,
            person=person,
            source=CaseSource.INTERCEPTION,
            interception=interception,
            opened_for=source,
        )
        people_services.index_names([person])
        opened.append(case)
    for case in opened:
        _opened(case, actor=actor, details={"interception": interception.number}, later=True)
    return opened


@dataclass
class PersonData:
    """The person of a case opened by hand: a known identity (`identity`, an id the opener may see), or a
    new one from the name given."""

    full_name: str = ""
    gender: str = Gender.UNKNOWN
    age: int | None = None
    phone: str = ""
    address: str = ""
    nationality: str = ""
    identity: int | None = None


def case_open(
    *,
    actor,
    station: Station,
    source: str,
    person: PersonData,
    source_notes: str = "",
    idempotency_key: str | None = None,
) -> tuple[VictimCase, bool]:
    """Open a case by hand (walk-in, referral from police or a partner, other). Returns (case, created); a
    repeated idempotency key with the same content returns the first case."""
    from people.selectors import identity_scope

    key = idempotency.clean_key(idempotency_key)
    errors: dict = {}
    if source not in CaseSource.values or source == CaseSource.INTERCEPTION:
        errors["source"] = _("Choose how the case came: walk-in, police, partner or other.")
    name = (person.full_name or "").strip()
    if not name and person.identity is None:
        errors["full_name"] = _("Give her name, or choose a person already known.")
    if person.gender not in Gender.values:
        errors["gender"] = _("Choose a gender.")
    if person.age is not None and not 0 <= person.age <= 120:
        errors["age"] = _("An age is between 0 and 120.")
    if errors:
        raise ValidationError(errors)
    content = {
        "station": station.pk,
        "source": source,
        "notes": source_notes.strip(),
        "person": {**person.__dict__, "full_name": name},
    }
    with transaction.atomic():
        if key:
            first = idempotency.previous(user=actor, key=key, object_type="case", content=content)
            if first is not None:
                return VictimCase.objects.get(pk=first), False
        if not policies.may_open_at(actor, station):
            raise PermissionDenied(_("You cannot open case files at this station."))
        appearance = Person(
            full_name=name,
            gender=person.gender,
            age=person.age,
            phone=(person.phone or "").strip(),
            address=(person.address or "").strip(),
            nationality=person.nationality or "",
            recorded_on=station.local_today(),
        )
        if person.identity is not None:
            if not identity_scope(actor).filter(pk=person.identity).exists():
                raise ValidationError({"identity": _("No such person.")})
            appearance.identity_id = person.identity
            if not name:
                # no name typed: the case's record of her starts with the newest name recorded of her
                appearance.full_name = (
                    Person.objects.filter(identity_id=person.identity)
                    .exclude(full_name="")
                    .order_by("-id")
                    .values_list("full_name", flat=True)
                    .first()
                    or ""
                )
        else:
            people_services.new_identities([appearance])
        case = _new_case(
            actor=actor, station=station, person=appearance, source=source, source_notes=source_notes.strip()
        )
        people_services.appearances_recorded(created=[appearance], renamed=[])
        if key:
            idempotency.remember(user=actor, key=key, object_type="case", object_id=case.pk, content=content)
        _opened(case, actor=actor, details={})
    return case, True
