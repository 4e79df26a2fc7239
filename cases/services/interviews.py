"""Victim interviews (docs/cases.md "Victim interview"): several per case, each save a new version kept in
the history. The server derives whether what she told meets the Palermo Protocol's definition of
trafficking (`meets_definition`) and totals the home-situation alarms (`alarm_score`); neither is ever
taken from the browser. A total at or above `settings.CASES_HOME_ALARM_THRESHOLD` alerts the case manager
and the station's managers ("case.home_alarm", alerts/case_alerts.py)."""

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Action
from audit.services import record_event
from core import events, idempotency
from core.errors import StaleVersionError, TransitionError
from interception.models import Transport
from people import phones
from people import services as people_services
from people.models import Gender, Person, Place, Source
from people.selectors import appearance_scope

from .. import policies
from ..models import (
    CaseStatus,
    Exploitation,
    ExploitationStage,
    HomeAlarm,
    Interview,
    InterviewAlarm,
    InterviewRouteStop,
    PalermoAct,
    PalermoMeans,
    RecruitmentMethod,
    RouteStopKind,
    VictimCase,
    Willingness,
)

ADULT_AGE = 18

# How she travelled from one stop to the next: the interception form's transports, and the train.
TRANSPORTS = [*[c for c in Transport.choices if c[0] != "other"], ("train", gettext_lazy("Train"))]
TRANSPORTS.append(("other", Transport.OTHER.label))

MAX_AMOUNT = Decimal("9999999999.99")  # the model's 12 digits, 2 after the point


@dataclass
class RouteStopData:
    """One place of her journey: a people.Place code (docs/places.md) or text, with its country."""

    kind: str = ""
    place: str | None = None
    text: str = ""
    country: str = ""
    arrived_on: date | None = None
    left_on: date | None = None
    transport: str = ""


@dataclass
class InterviewData:
    """What an interview form or API request says. The recruiter is a known identity (`recruiter_identity`,
    an id the actor may see) or a new person (`recruiter_name`, optional phone and gender)."""

    conducted_on: date | None = None
    recruiter_identity: int | None = None
    recruiter_name: str = ""
    recruiter_phone: str = ""
    recruiter_gender: str = Gender.UNKNOWN
    recruitment_method: str = ""
    promised: str = ""
    money_paid: Decimal | None = None
    debt: Decimal | None = None
    currency: str = "NPR"
    route: list[RouteStopData] = field(default_factory=list)
    travelled_with: str = ""
    exploitation_stage: str = ""
    acts: list[str] = field(default_factory=list)
    means: list[str] = field(default_factory=list)
    purposes: list[str] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)
    willing_to_file_complaint: str = ""
    willing_to_testify: str = ""
    narrative: str = ""


def meets_definition(acts, means, purposes, child: bool | None) -> bool:
    """The Palermo Protocol's definition of trafficking in persons: an adult needs at least one act, one
    means and one purpose; a child (under 18 at the time) needs an act and a purpose (art. 3(c)). An
    unknown age (`child` None) counts as an adult."""
    if child:
        return bool(acts) and bool(purposes)
    return bool(acts) and bool(means) and bool(purposes)


def child_at_time(case: VictimCase) -> bool | None:
    """Whether she was under 18: the age on the case's appearance (her age at the interception's date, or
    as recorded when the case was opened by hand). None when unknown."""
    age = case.person.age
    return None if age is None else age < ADULT_AGE


def data_from_instance(interview: Interview) -> InterviewData:
    """An interview as InterviewData (the base of a partial API edit, the edit form's initial values)."""
    recruiter = interview.recruiter
    return InterviewData(
        conducted_on=interview.conducted_on,
        recruiter_identity=recruiter.identity_id if recruiter else None,
        recruitment_method=interview.recruitment_method,
        promised=interview.promised,
        money_paid=interview.money_paid,
        debt=interview.debt,
        currency=interview.currency,
        route=[
            RouteStopData(
                kind=s.kind,
                place=s.place.code if s.place_id else None,
                text=s.place_text,
                country=s.country,
                arrived_on=s.arrived_on,
                left_on=s.left_on,
                transport=s.transport,
            )
            for s in interview.route.all()
        ],
        travelled_with=interview.travelled_with,
        exploitation_stage=interview.exploitation_stage,
        acts=list(interview.acts),
        means=list(interview.means),
        purposes=list(interview.purposes),
        alarms=[t.alarm.code for t in interview.alarm_ticks.all()],
        willing_to_file_complaint=interview.willing_to_file_complaint,
        willing_to_testify=interview.willing_to_testify,
        narrative=interview.narrative,
    )


# --- checks ----------------------------------------------------------------------------------------------


def _codes(values, allowed, key: str, errors: dict) -> list[str]:
    """The codes as stored (unique, in the order of the choices); unknown ones are an error on `key`."""
    values = [str(v).strip() for v in (values or []) if str(v).strip()]
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        errors.setdefault(key, []).append(
            _("Unknown code(s): %(codes)s. Use: %(allowed)s.")
            % {"codes": ", ".join(unknown), "allowed": ", ".join(allowed)}
        )
    return [code for code in allowed if code in values]


def _choice(value, choices, key: str, errors: dict) -> str:
    value = (value or "").strip()
    if value and value not in choices.values:
        errors.setdefault(key, []).append(
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices.values)}
        )
    return value


def _amount(value, key: str, errors: dict) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors.setdefault(key, []).append(_("Give an amount, e.g. 50000."))
        return None
    if not Decimal(0) <= amount <= MAX_AMOUNT:
        errors.setdefault(key, []).append(_("An amount is 0 or more, up to 9,999,999,999.99."))
        return None
    return amount


def _country_ok(code: str) -> bool:
    from django_countries import countries

    return not code or (len(code) == 2 and bool(countries.alpha2(code)))


def _route(stops, errors: dict) -> list[dict]:
    """The route's stops as stored, in order; each problem on `route.<i>.<field>`."""
    out, places = [], {}
    transports = {code for code, _label in TRANSPORTS}
    for i, stop in enumerate(stops or []):
        key = f"route.{i}"
        kind = (stop.kind or "").strip()
        if kind not in RouteStopKind.values:
            errors.setdefault(f"{key}.kind", []).append(
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(RouteStopKind.values)}
            )
        country = (stop.country or "").strip().upper()
        if not _country_ok(country):
            errors.setdefault(f"{key}.country", []).append(
                _("Unknown country code %(code)r.") % {"code": country}
            )
        code = (stop.place or "").strip()
        text = (stop.text or "").strip()
        place = None
        if code:
            place = places.get(code) or Place.objects.filter(code=code).first()
            places[code] = place
            if place is None:
                errors.setdefault(f"{key}.place", []).append(_("Unknown place %(code)r.") % {"code": code})
        elif text and country in ("", "NP"):
            place = people_services.find_place(text)
        if not code and not text:
            errors.setdefault(f"{key}.place", []).append(_("A stop of the route needs a place or text."))
        if len(text) > 200:
            errors.setdefault(f"{key}.text", []).append(_("At most 200 characters."))
        transport = (stop.transport or "").strip()
        if transport and transport not in transports:
            errors.setdefault(f"{key}.transport", []).append(
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(sorted(transports))}
            )
        if stop.arrived_on and stop.left_on and stop.left_on < stop.arrived_on:
            errors.setdefault(f"{key}.left_on", []).append(_("She cannot leave a place before arriving."))
        if place is not None and not country:
            country = place.country
        out.append(
            {
                "position": i + 1,
                "kind": kind,
                "place": place,
                "place_text": text,
                "country": country,
                "arrived_on": stop.arrived_on,
                "left_on": stop.left_on,
                "transport": transport,
            }
        )
    return out


def _alarms(case: VictimCase, codes, errors: dict, *, keep=()) -> list[HomeAlarm]:
    """The ticked alarms: active alarms of every country or of the case's station's country (a country's
    own replaces the default of the same code), or ones the interview already had (`keep`, so an alarm
    retired since stays on it)."""
    codes = {str(c).strip() for c in (codes or []) if str(c).strip()}
    if not codes:
        return []
    found = {
        a.code: a
        for a in HomeAlarm.objects.filter(
            Q(country_id=case.station.country_id) | Q(country__isnull=True), code__in=codes
        ).order_by(F("country").asc(nulls_first=True))  # a country's own alarm replaces the default
        if a.active or a.code in keep
    }
    unknown = sorted(codes - set(found))
    if unknown:
        errors.setdefault("alarms", []).append(
            _("Unknown home-situation alarm(s): %(codes)s.") % {"codes": ", ".join(unknown)}
        )
    return sorted(found.values(), key=lambda a: (a.position, a.pk))


def _check(*, actor, case: VictimCase, data: InterviewData, keep_alarms=()) -> dict:
    """Every field checked at once: a ValidationError names each bad field; else the values to store."""
    errors: dict = {}
    today = case.station.local_today()
    if data.conducted_on is None:
        errors.setdefault("conducted_on", []).append(_("Give the date of the interview."))
    elif data.conducted_on > today:
        errors.setdefault("conducted_on", []).append(_("The interview cannot be in the future."))
    values = {
        "conducted_on": data.conducted_on,
        "recruitment_method": _choice(
            data.recruitment_method, RecruitmentMethod, "recruitment_method", errors
        ),
        "promised": (data.promised or "").strip(),
        "money_paid": _amount(data.money_paid, "money_paid", errors),
        "debt": _amount(data.debt, "debt", errors),
        "currency": (data.currency or "").strip().upper() or "NPR",
        "travelled_with": (data.travelled_with or "").strip(),
        "exploitation_stage": _choice(
            data.exploitation_stage, ExploitationStage, "exploitation_stage", errors
        ),
        "acts": _codes(data.acts, PalermoAct.values, "acts", errors),
        "means": _codes(data.means, PalermoMeans.values, "means", errors),
        "purposes": _codes(data.purposes, Exploitation.values, "purposes", errors),
        "willing_to_file_complaint": _choice(
            data.willing_to_file_complaint, Willingness, "willing_to_file_complaint", errors
        ),
        "willing_to_testify": _choice(data.willing_to_testify, Willingness, "willing_to_testify", errors),
        "narrative": (data.narrative or "").strip(),
    }
    if not re.fullmatch(r"[A-Z]{3}", values["currency"]):
        errors.setdefault("currency", []).append(_("A currency is a three-letter code, e.g. NPR or INR."))
    route = _route(data.route, errors)
    alarms = _alarms(case, data.alarms, errors, keep=keep_alarms)
    recruiter = _recruiter(actor=actor, case=case, data=data, errors=errors)
    if errors:
        raise ValidationError(errors)
    return {"values": values, "route": route, "alarms": alarms, "recruiter": recruiter}


def _recruiter(*, actor, case: VictimCase, data: InterviewData, errors: dict) -> dict | None:
    """Who recruited her: {"identity": id, "full_name"} of a known identity the actor sees with names, or
    {"full_name", "phone", "gender"} of a new person; None when not said."""
    name = (data.recruiter_name or "").strip()
    if data.recruiter_identity not in (None, ""):
        try:
            identity = int(data.recruiter_identity)
        except (TypeError, ValueError):
            identity = None
        # The name comes from an appearance the actor may read names of (the newest).
        source = (
            appearance_scope(actor, Action.VIEW_SENSITIVE)
            .filter(identity_id=identity)
            .order_by("-recorded_on", "-id")
            .only("full_name", "gender", "identity_id")
            .first()
            if identity is not None
            else None
        )
        if source is None:
            errors.setdefault("recruiter_identity", []).append(_("No such person."))
            return None
        return {"identity": identity, "full_name": source.full_name, "phone": "", "gender": source.gender}
    if not name:
        if (data.recruiter_phone or "").strip():
            errors.setdefault("recruiter_name", []).append(_("Give the recruiter's name with the phone."))
        return None
    if len(name) > 200:
        errors.setdefault("recruiter_name", []).append(_("At most 200 characters."))
    gender = data.recruiter_gender or Gender.UNKNOWN
    if gender not in Gender.values:
        errors.setdefault("recruiter_gender", []).append(_("Choose a gender."))
    try:
        phone = phones.parse(data.recruiter_phone, region=people_services.station_region(case.station))
    except phones.PhoneError as error:
        errors.setdefault("recruiter_phone", []).append(str(error))
        phone = ""
    return {"identity": None, "full_name": name, "phone": phone, "gender": gender}


# --- writes ----------------------------------------------------------------------------------------------


def _open_case(case: VictimCase) -> VictimCase:
    """The case row locked for the write; a closed case takes no interview."""
    locked = (
        VictimCase.objects.select_for_update(of=("self",)).select_related("station", "person").get(pk=case.pk)
    )
    if locked.status == CaseStatus.CLOSED:
        raise TransitionError(
            _("This case is closed: reopen it before recording an interview."), status=locked.status
        )
    return locked


def _recruiter_appearance(*, actor, case: VictimCase, current: Person | None, wanted: dict | None, on: date):
    """The recruiter's appearance on this case file: the interview's `current` one when it still says the
    same, else a new appearance (of the known identity, or of a new one). Returns (appearance, created)."""
    if wanted is None:
        return None, False
    if current is not None:
        if wanted["identity"] is not None and current.identity_id == wanted["identity"]:
            return current, False
        if wanted["identity"] is None and (current.full_name, current.phone, current.gender) == (
            wanted["full_name"],
            wanted["phone"],
            wanted["gender"],
        ):
            return current, False
    appearance = Person(
        source=Source.CASE,
        record_id=case.pk,
        station=case.station,
        full_name=wanted["full_name"],
        phone=wanted["phone"],
        gender=wanted["gender"],
        recorded_on=on,
        created_by=actor,
    )
    if wanted["identity"] is not None:
        appearance.identity_id = wanted["identity"]
    else:
        people_services.new_identities([appearance])
    appearance._history_user = actor
    appearance.save()
    return appearance, True


def _write_route(*, actor, interview: Interview, route: list[dict], replace: bool) -> None:
    if replace:
        old = [
            (s.kind, s.place_id, s.place_text, s.country, s.arrived_on, s.left_on, s.transport)
            for s in interview.route.all()
        ]
        new = [
            (
                s["kind"],
                s["place"].pk if s["place"] else None,
                s["place_text"],
                s["country"],
                s["arrived_on"],
                s["left_on"],
                s["transport"],
            )
            for s in route
        ]
        if old == new:
            return
        for stop in interview.route.all():
            stop._history_user = actor
            stop.delete()
    for values in route:
        stop = InterviewRouteStop(interview=interview, **values)
        stop._history_user = actor
        stop.save()


def _alarm_plan(ticks, alarms: list[HomeAlarm]) -> tuple[list, list, int]:
    """(ticks to remove, alarms to tick, total): a tick kept keeps its points as they were when ticked; a
    new one takes the catalogue's points of today."""
    wanted = {a.pk: a for a in alarms}
    remove, total = [], 0
    for tick in ticks:
        if tick.alarm_id in wanted:
            total += tick.points
            del wanted[tick.alarm_id]
        else:
            remove.append(tick)
    add = list(wanted.values())
    return remove, add, total + sum(a.points for a in add)


def _derive(*, case: VictimCase, interview: Interview, total: int) -> None:
    """The server's own fields of an interview (set before it is saved)."""
    interview.alarm_score = total
    interview.child_at_time = child_at_time(case)
    interview.meets_definition = meets_definition(
        interview.acts, interview.means, interview.purposes, interview.child_at_time
    )


def _write_alarms(*, actor, interview: Interview, remove, add) -> None:
    for tick in remove:
        tick._history_user = actor
        tick.delete()
    for alarm in add:
        tick = InterviewAlarm(interview=interview, alarm=alarm, points=alarm.points)
        tick._history_user = actor
        tick.save()


def _finish(*, actor, case: VictimCase, interview: Interview, action: str) -> None:
    """The alert and the log of a saved interview (last in its transaction)."""
    if interview.alarm_score >= settings.CASES_HOME_ALARM_THRESHOLD:
        # Once per interview: the notification's subject key makes a repeat a no-op (alerts/case_alerts.py).
        events.publish("case.home_alarm", id=case.pk, interview=interview.pk)
    record_event(
        actor=actor,
        action=action,
        obj=case,
        station=case.station,
        details={
            "number": case.number,
            "interview": interview.pk,
            "version": interview.version,
            "meets_definition": interview.meets_definition,
            "child_at_time": interview.child_at_time,
            "alarm_score": interview.alarm_score,
        },
    )


def _content(data: InterviewData) -> dict:
    """The request's meaningful content for the idempotency fingerprint (plain JSON values)."""
    content = asdict(data)
    content["acts"], content["means"] = sorted(data.acts or []), sorted(data.means or [])
    content["purposes"], content["alarms"] = sorted(data.purposes or []), sorted(data.alarms or [])
    return content


def interview_create(
    *, actor, case: VictimCase, data: InterviewData, idempotency_key: str | None = None
) -> tuple[Interview, bool]:
    """Record an interview of `case`. Returns (interview, created); a repeated idempotency key with the same
    content returns the first interview. PermissionDenied without `change` on the case; TransitionError on a
    closed case; ValidationError naming each bad field."""
    key = idempotency.clean_key(idempotency_key)
    if not policies.may_change(actor, case):
        raise PermissionDenied(policies.message(policies.CHANGE))
    content = {"case": case.pk, **_content(data)}
    with transaction.atomic():
        if key:
            first = idempotency.previous(user=actor, key=key, object_type="case_interview", content=content)
            if first is not None:
                return Interview.objects.get(pk=first), False
        case = _open_case(case)
        checked = _check(actor=actor, case=case, data=data)
        interview = Interview(case=case, conducted_by=actor, created_by=actor, **checked["values"])
        recruiter, created = _recruiter_appearance(
            actor=actor, case=case, current=None, wanted=checked["recruiter"], on=interview.conducted_on
        )
        interview.recruiter = recruiter
        _remove, add, total = _alarm_plan([], checked["alarms"])
        _derive(case=case, interview=interview, total=total)
        interview._history_user = actor
        interview.save()
        _write_route(actor=actor, interview=interview, route=checked["route"], replace=False)
        _write_alarms(actor=actor, interview=interview, remove=[], add=add)
        if created:
            people_services.appearances_recorded(created=[recruiter], renamed=[])
        if key:
            idempotency.remember(
                user=actor, key=key, object_type="case_interview", object_id=interview.pk, content=content
            )
        _finish(actor=actor, case=case, interview=interview, action="case.interview_create")
    return interview, True


def interview_update(*, actor, interview: Interview, data: InterviewData, expected_version: int) -> Interview:
    """Save an edit made on version `expected_version` as the next version (kept in the history). A stale
    version is refused with StaleVersionError, nothing written."""
    case = interview.case
    if not policies.may_change(actor, case):
        raise PermissionDenied(policies.message(policies.CHANGE))
    with transaction.atomic():
        case = _open_case(case)
        current = (
            Interview.objects.select_for_update(of=("self",))
            .select_related("recruiter")
            .get(pk=interview.pk, case=case)
        )
        if current.version != expected_version:
            raise StaleVersionError(current.version)
        ticks = list(current.alarm_ticks.select_related("alarm"))
        checked = _check(actor=actor, case=case, data=data, keep_alarms={t.alarm.code for t in ticks})
        for name, value in checked["values"].items():
            setattr(current, name, value)
        recruiter, created = _recruiter_appearance(
            actor=actor,
            case=case,
            current=current.recruiter,
            wanted=checked["recruiter"],
            on=current.conducted_on,
        )
        current.recruiter = recruiter
        remove, add, total = _alarm_plan(ticks, checked["alarms"])
        _derive(case=case, interview=current, total=total)
        current.version += 1
        current._history_user = actor
        current.save()
        _write_route(actor=actor, interview=current, route=checked["route"], replace=True)
        _write_alarms(actor=actor, interview=current, remove=remove, add=add)
        if created:
            people_services.appearances_recorded(created=[recruiter], renamed=[])
        _finish(actor=actor, case=case, interview=current, action="case.interview_change")
    return current


# --- the home-situation alarm catalogue (the Django admin) -----------------------------------------------

HOME_ALARM_FIELDS = ("country", "code", "text", "points", "active", "position")


def home_alarm_update(*, actor, alarm: HomeAlarm, data: dict) -> HomeAlarm:
    """Add an alarm to a country's catalogue (unsaved `alarm`) or change one (points, wording, active), from
    the admin. The access log keeps the new alarm's values (`home_alarm.create`) or old and new values of
    each changed field (`home_alarm.change`); interviews keep the points they were ticked with."""
    from core.services import model_update, plain

    unknown = set(data) - set(HOME_ALARM_FIELDS)
    if unknown:
        raise ValidationError(_("Cannot change %(fields)s here.") % {"fields": ", ".join(sorted(unknown))})
    with transaction.atomic():
        if alarm.pk is None:
            model_update(alarm, data)
            alarm.full_clean()
            alarm._history_user = actor
            alarm.save()
            values = {name: plain(getattr(alarm, name)) for name in HOME_ALARM_FIELDS}
            record_event(actor=actor, action="home_alarm.create", obj=alarm, details=values)
            return alarm
        alarm = HomeAlarm.objects.select_for_update().get(pk=alarm.pk)
        changes = model_update(alarm, data)
        if changes:
            alarm.full_clean()
            alarm._history_user = actor
            alarm.save(update_fields=list(changes))
            record_event(
                actor=actor,
                action="home_alarm.change",
                obj=alarm,
                details={"code": alarm.code, "country": plain(alarm.country), **changes},
            )
        return alarm
