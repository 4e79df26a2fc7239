"""Every read of legal cases, already scoped to the user (docs/prosecution.md "Who sees what").

A user sees a legal case when a role of theirs grants `view` on legal cases at its station (its legal
officers and station managers, and country directors), or when it was shared with them (a grant on that one
case). Names, narratives and the trafficker profile need `view_sensitive` as well; without it they are
masked the same way in pages, API and exports (`can_see_sensitive`). Case managers do not see legal cases:
they see the legal status of their victims' cases on the case file (`victim_legal_summary`).

`access_legal_case(user, pk, action)` is the one way to get a legal case for a response: it fetches within
the scope, checks the policy and writes the read to the access log.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet, Value
from django.http import Http404

from accounts.access import NEVER, Grants, predicate
from accounts.roles import Action
from audit.services import record_denied, record_event

from . import policies
from .models import LegalCase, LegalCaseGroupObjectPermission, LegalCaseUserObjectPermission

LEGAL_CASE = "legal_case"
GRANTS = Grants(LegalCaseUserObjectPermission, LegalCaseGroupObjectPermission, "legalcase")


def legal_case_condition(user, action: str = Action.VIEW) -> Q | None:
    """The condition under which `user` may do `action` on a legal case row, or None when on none."""
    condition = predicate(user, LEGAL_CASE, action, grants=GRANTS)
    return None if condition is NEVER else condition


def legal_case_scope(user, action: str = Action.VIEW) -> QuerySet[LegalCase]:
    condition = legal_case_condition(user, action)
    return LegalCase.objects.none() if condition is None else LegalCase.objects.filter(condition)


def with_access_flags(qs: QuerySet[LegalCase], user) -> QuerySet[LegalCase]:
    """Mark each legal case with `can_see_sensitive`, in the same query."""
    condition = legal_case_condition(user, Action.VIEW_SENSITIVE)
    flag = (
        Value(False, output_field=BooleanField())
        if condition is None
        else ExpressionWrapper(condition, output_field=BooleanField())
    )
    return qs.annotate(can_see_sensitive=flag)


def denied(user, pk, action: str, *, station=None) -> None:
    record_denied(actor=user, object_type="legalcase", object_id=pk, action=action, station=station)


def _fetch(user, pk) -> LegalCase:
    try:
        return (
            with_access_flags(legal_case_scope(user), user)
            .select_related("station", "district")
            .get(pk=int(pk))
        )
    except (LegalCase.DoesNotExist, ValueError, TypeError, OverflowError):
        denied(user, pk, Action.VIEW)
        raise Http404("No such legal case.") from None


def access_legal_case(user, pk, action: str = policies.VIEW, *, purpose: str = "view") -> LegalCase:
    """The one way to get a legal case for a response: fetch it within the user's scope, check the policy
    for `action`, log the read (`legal_case.view`, naming the interceptions it comes from), return it.
    Out of reach: 404, logged as denied; visible but not allowed: PermissionDenied (API 403, pages 404)."""
    legal_case = _fetch(user, pk)
    if not policies.allows(user, action, legal_case):
        denied(user, pk, action, station=legal_case.station)
        raise PermissionDenied(policies.message(action))
    details = {
        "number": legal_case.number,
        "purpose": purpose,
        "sensitive": bool(legal_case.can_see_sensitive),
    }
    interceptions = sorted(legal_case.interceptions.values_list("pk", flat=True))
    if interceptions:
        details["interceptions"] = interceptions
    record_event(
        actor=user, action="legal_case.view", obj=legal_case, station=legal_case.station, details=details
    )
    return legal_case


def reload(legal_case: LegalCase) -> LegalCase:
    """The legal case again after a write in the same request, with the same access flag."""
    fresh = LegalCase.objects.select_related("station", "district").get(pk=legal_case.pk)
    fresh.can_see_sensitive = legal_case.can_see_sensitive
    return fresh


# --- trafficker profiles and recidivism ---

from dataclasses import dataclass, field  # noqa: E402

from people.models import Identity  # noqa: E402

from .models import PriorRecord, Suspect, TraffickerProfile  # noqa: E402


@dataclass
class ProfileAccess:
    """A trafficker profile as `access_profile` hands it to a response: the identity, its profile (None
    until someone fills it), the legal cases the reader may see on which the identity is a suspect (each
    with `can_see_sensitive`), whether the reader may see the profile's texts and amounts (`sensitive`:
    view_sensitive on one of those legal cases), and the legal case through which the reader may edit it
    (`work_case`: `policies.may_change` on it; None when they may not)."""

    identity: Identity
    profile: TraffickerProfile | None
    legal_cases: list[LegalCase]
    sensitive: bool
    work_case: LegalCase | None
    suspects: list = field(default_factory=list)


def _identity_pk(value) -> int | None:
    try:
        pk = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return pk if 0 < pk < 2**63 else None


def profile_legal_cases(user, identity_pk: int) -> QuerySet[LegalCase]:
    """The legal cases `user` may see on which identity `identity_pk` is a suspect, newest first, with
    `can_see_sensitive`."""
    on_cases = Suspect.objects.filter(person__identity_id=identity_pk).values("legal_case_id")
    return (
        with_access_flags(legal_case_scope(user), user)
        .filter(pk__in=on_cases)
        .select_related("station")
        .order_by("-opened_on", "-id")
    )


def work_case_for(user, legal_cases) -> LegalCase | None:
    """The first of `legal_cases` on which `user` may work (`policies.may_change`): the station's rights
    are read once per station."""
    rights: dict[int, frozenset] = {}
    for legal_case in legal_cases:
        if legal_case.station_id not in rights:
            rights[legal_case.station_id] = policies.rights_at(user, legal_case.station)
        if policies.may_change(user, legal_case, rights=rights[legal_case.station_id]):
            return legal_case
    return None


def access_profile(user, identity_pk, action: str = policies.VIEW, *, purpose: str = "view") -> ProfileAccess:
    """The one way to get a trafficker profile for a response. The reader must see (`view`) at least one
    legal case on which the identity is a suspect, else 404 (an identity that exists is logged as denied);
    `change` needs `policies.may_change` on one of them, else PermissionDenied (API 403, pages 404). The
    read is logged as `legal_case.profile_view` naming the identity and the legal cases it drew on."""
    pk = _identity_pk(identity_pk)
    legal_cases = list(profile_legal_cases(user, pk)) if pk is not None else []
    if not legal_cases:
        if pk is not None and Identity.objects.filter(pk=pk).exists():
            record_denied(actor=user, object_type="identity", object_id=pk, action=action)
        raise Http404("No such profile.")
    work_case = work_case_for(user, legal_cases)
    if action != policies.VIEW and (action != policies.CHANGE or work_case is None):
        record_denied(actor=user, object_type="identity", object_id=pk, action=action)
        raise PermissionDenied(policies.message(policies.CHANGE))
    identity = Identity.objects.get(pk=pk)
    profile = profile_of_identity(pk)
    sensitive = any(c.can_see_sensitive for c in legal_cases)
    suspects = list(
        Suspect.objects.filter(person__identity_id=pk, legal_case__in=[c.pk for c in legal_cases])
        .select_related("person")
        .order_by("-legal_case__opened_on", "-id")
    )
    record_event(
        actor=user,
        action="legal_case.profile_view",
        object_type="identity",
        object_id=pk,
        stations=[c.station for c in legal_cases],
        details={
            "purpose": purpose,
            "sensitive": sensitive,
            "legal_cases": sorted(c.pk for c in legal_cases),
            "profile": profile.pk if profile else None,
        },
    )
    return ProfileAccess(
        identity=identity,
        profile=profile,
        legal_cases=legal_cases,
        sensitive=sensitive,
        work_case=work_case,
        suspects=suspects,
    )


# --- the legal case: list, completeness, the page's lists ---------------------------------------------

from dataclasses import dataclass  # noqa: E402


@dataclass(frozen=True)
class LegalCaseFilters:
    """The filters of the legal-case list (page and API): a stage code, a station code."""

    stage: str | None = None
    station: str | None = None

    def as_details(self) -> dict:
        """The filters for the access log (codes only)."""
        return {k: v for k, v in self.__dict__.items() if v not in (None, "")}

    def apply(self, qs: QuerySet) -> QuerySet:
        from django.db.models import Subquery

        from accounts.models import Station

        if self.stage:
            qs = qs.filter(stage=self.stage)
        if self.station:
            station_id = Station.objects.filter(code=self.station.upper()).values("pk")[:1]
            qs = qs.filter(station_id=Subquery(station_id))
        return qs


NEWEST_KEYSET = ("opened_on", "id")


def legal_case_rows(*, user, filters: LegalCaseFilters | None = None) -> QuerySet[LegalCase]:
    """The legal cases `user` may see, filtered, unordered and without joins (the ids a page picks)."""
    return (filters or LegalCaseFilters()).apply(legal_case_scope(user))


def legal_case_list_rows(ids, *, user) -> QuerySet[LegalCase]:
    """The rows of one page, with their station and the access flag, in one query."""
    return with_access_flags(LegalCase.objects.filter(pk__in=list(ids)), user).select_related("station")


def log_legal_case_list(user, rows, *, filters: LegalCaseFilters, page: int, count=None, api=False):
    """Log one list response: one `legal_case.list` event naming every legal case shown."""
    rows = list(rows)
    details = {"filters": filters.as_details(), "page": page}
    if count is not None:
        details["count"] = count
    if api:
        details["api"] = True
    record_event(
        actor=user,
        action="legal_case.list",
        object_type="legalcase",
        object_ids=[row.pk for row in rows],
        stations=[row.station for row in rows],
        details=details,
    )
    return rows


def legal_case_page(*, user, filters: LegalCaseFilters, page_number=None, per_page: int = 50, after=None):
    """One page of the list, newest first, its read logged: the ids first, then the page's rows, then one
    access-log event (core/pagination.py)."""
    from core.pagination import CappedPaginator

    ordered = legal_case_rows(user=user, filters=filters).order_by("-opened_on", "-id")
    paginator = CappedPaginator(
        ordered, per_page, fetch=lambda ids: legal_case_list_rows(ids, user=user), keyset_fields=NEWEST_KEYSET
    )
    page = paginator.page_after(after) if after else paginator.get_page(page_number)
    page.object_list = log_legal_case_list(
        user, page.object_list, filters=filters, page=page.number, count=paginator.count
    )
    return page


def legal_station_choices(user) -> list[tuple[str, str]]:
    """(code, name) of every station where `user` may view legal cases (the list's station filter)."""
    from accounts.access import stations_for

    return [
        tuple(r)
        for r in stations_for(user, LEGAL_CASE, Action.VIEW).order_by("code").values_list("code", "name")
    ]


def stations_to_open_legal_cases_at(user):
    """The stations where `user` may open a legal case (`add` and `view_sensitive` on legal cases)."""
    from accounts.access import stations_for

    return (
        stations_for(user, LEGAL_CASE, Action.ADD)
        .filter(pk__in=stations_for(user, LEGAL_CASE, Action.VIEW_SENSITIVE).values("pk"))
        .order_by("code")
    )


def interceptions_by_number(user, numbers) -> dict[str, int]:
    """{number: id} of the interceptions among `numbers` that `user` may see (one query)."""
    from interception.selectors import interception_scope

    wanted = [n.strip().upper() for n in numbers if n.strip()]
    if not wanted:
        return {}
    return dict(interception_scope(user).filter(number__in=wanted).values_list("number", "pk"))


def case_files_by_number(user, numbers) -> dict[str, int]:
    """{number: id} of the victim case files among `numbers` that `user` may see (one query)."""
    from cases.selectors import case_scope

    wanted = [n.strip().upper() for n in numbers if n.strip()]
    if not wanted:
        return {}
    return dict(case_scope(user).filter(number__in=wanted).values_list("number", "pk"))


def interception_numbers(user, ids) -> list[str]:
    """The numbers of the interceptions among `ids` that `user` may see (pre-filling the opening form)."""
    from interception.selectors import interception_scope

    ids = [int(i) for i in ids]
    return list(interception_scope(user).filter(pk__in=ids).order_by("id").values_list("number", flat=True))


def case_file_numbers(user, ids) -> list[str]:
    from cases.selectors import case_scope

    ids = [int(i) for i in ids]
    return list(case_scope(user).filter(pk__in=ids).order_by("id").values_list("number", flat=True))


def interceptions_of(legal_case: LegalCase):
    """(id, number) of the interceptions a legal case comes from (one query; the case's read is logged
    naming them)."""
    return list(legal_case.interceptions.order_by("id").values_list("pk", "number"))


def legal_case_parts(legal_case: LegalCase) -> dict:
    """What the legal case page's parts show, one query per list: suspects (with their appearance),
    court cases (court), charges (suspect's appearance, court case, statute, convicted-under), victims
    (case file and its person), hearings (court, court case) and comments (author; deleted ones too,
    marked by `deleted_at`)."""
    from .models import Charge, Comment, CourtCase, Hearing, LegalCaseVictim, Suspect

    pk = legal_case.pk
    return {
        "suspects": list(
            Suspect.objects.filter(legal_case_id=pk)
            .select_related("person", "arrest_recorded_by", "arrest_verified_by")
            .order_by("id")
        ),
        "court_cases": list(
            CourtCase.objects.filter(legal_case_id=pk).select_related("court").order_by("id")
        ),
        "charges": list(
            Charge.objects.filter(legal_case_id=pk)
            .select_related("suspect__person", "court_case__court", "statute", "convicted_under")
            .order_by("id")
        ),
        "victims": list(
            LegalCaseVictim.objects.filter(legal_case_id=pk)
            .select_related("victim_case__person", "victim_case__station")
            .order_by("id")
        ),
        "hearings": list(
            Hearing.objects.filter(legal_case_id=pk)
            .select_related("court", "court_case__court")
            .order_by("held_on", "id")
        ),
        "comments": list(
            Comment.objects.filter(legal_case_id=pk)
            .select_related("author", "deleted_by")
            .order_by("created_at", "id")
        ),
    }


def _arrest_known(suspect) -> bool:
    return suspect.arrest_status != "not_arrested" or suspect.arrest_recorded_by_id is not None


def completeness(legal_case: LegalCase, *, parts: dict | None = None) -> dict:
    """Tiny Hands' data-completeness count: {filled, total, missing: [labels], missing_codes: [codes]} over
    what a prosecution needs (docs/prosecution.md). From the page's lists when given (no query), else one
    query of counts."""
    from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
    from django.db.models.functions import Coalesce
    from django.utils.translation import gettext as _

    from .models import Charge, CourtCase, Hearing, LegalCaseVictim, Suspect

    if parts is not None:
        suspects = parts["suspects"]
        charged = {c.suspect_id for c in parts["charges"]}
        n_suspects = len(suspects)
        n_arrest_unknown = sum(1 for s in suspects if not _arrest_known(s))
        n_uncharged = sum(1 for s in suspects if s.pk not in charged)
        n_court_cases, n_hearings, n_victims = (
            len(parts["court_cases"]),
            len(parts["hearings"]),
            len(parts["victims"]),
        )
    else:

        def count(qs):
            return Coalesce(
                Subquery(
                    qs.filter(legal_case_id=OuterRef("pk"))
                    .order_by()
                    .values("legal_case_id")
                    .annotate(n=Count("pk"))
                    .values("n")[:1],
                    output_field=IntegerField(),
                ),
                0,
            )

        suspects_qs = Suspect.objects.all()
        row = (
            LegalCase.objects.filter(pk=legal_case.pk)
            .annotate(
                n_suspects=count(suspects_qs),
                n_arrest_unknown=count(
                    suspects_qs.filter(arrest_status="not_arrested", arrest_recorded_by__isnull=True)
                ),
                n_uncharged=count(
                    suspects_qs.exclude(Exists(Charge.objects.filter(suspect_id=OuterRef("pk"))))
                ),
                n_court_cases=count(CourtCase.objects.all()),
                n_hearings=count(Hearing.objects.all()),
                n_victims=count(LegalCaseVictim.objects.all()),
            )
            .values(
                "n_suspects", "n_arrest_unknown", "n_uncharged", "n_court_cases", "n_hearings", "n_victims"
            )
            .get()
        )
        n_suspects, n_arrest_unknown, n_uncharged = (
            row["n_suspects"],
            row["n_arrest_unknown"],
            row["n_uncharged"],
        )
        n_court_cases, n_hearings, n_victims = row["n_court_cases"], row["n_hearings"], row["n_victims"]
    checks = [
        ("complaint_number", _("Complaint / FIR number"), bool(legal_case.complaint_number)),
        ("complaint_filed_on", _("Date the complaint was filed"), legal_case.complaint_filed_on is not None),
        ("police_station", _("Police station"), bool(legal_case.police_station)),
        ("district", _("District"), bool(legal_case.district_id or legal_case.district_text)),
        ("victims", _("At least one victim linked"), n_victims > 0),
        ("suspects", _("At least one suspect"), n_suspects > 0),
        ("arrest_status", _("Arrest status of every suspect"), n_suspects > 0 and n_arrest_unknown == 0),
        ("court_case", _("A court case"), n_court_cases > 0),
        ("charges", _("A charge for every suspect"), n_suspects > 0 and n_uncharged == 0),
        ("hearing", _("A hearing"), n_hearings > 0),
    ]
    missing = [(code, str(label)) for code, label, ok in checks if not ok]
    return {
        "filled": len(checks) - len(missing),
        "total": len(checks),
        "missing": [label for _code, label in missing],
        "missing_codes": [code for code, _label in missing],
    }


# --- suspects and charges -------------------------------------------------------------------------------


def suspects_of(legal_case: LegalCase):
    """The legal case's suspects, with their appearance and who recorded and verified the arrest."""
    from .models import Suspect

    return Suspect.objects.filter(legal_case=legal_case).select_related(
        "person", "arrest_recorded_by", "arrest_verified_by"
    )


def suspect_of(legal_case: LegalCase, pk):
    """One suspect of the legal case (404 when it is not one of its suspects)."""
    from .models import Suspect

    try:
        return suspects_of(legal_case).get(pk=int(pk))
    except (ValueError, TypeError, OverflowError, Suspect.DoesNotExist):
        raise Http404("No such suspect.") from None


def court_cases_of(legal_case: LegalCase):
    from .models import CourtCase

    return CourtCase.objects.filter(legal_case=legal_case).select_related("court")


def court_case_of(legal_case: LegalCase, pk):
    from .models import CourtCase

    try:
        return court_cases_of(legal_case).get(pk=int(pk))
    except (ValueError, TypeError, OverflowError, CourtCase.DoesNotExist):
        raise Http404("No such court case.") from None


def charges_of(legal_case: LegalCase):
    """The legal case's charges, with statute, what it was convicted under, suspect, court and appeals."""
    from .models import Charge

    return (
        Charge.objects.filter(legal_case=legal_case)
        .select_related("statute", "convicted_under", "suspect__person", "court_case__court")
        .prefetch_related("appeals__court")
    )


def charge_of(legal_case: LegalCase, pk):
    from .models import Charge

    try:
        return charges_of(legal_case).get(pk=int(pk))
    except (ValueError, TypeError, OverflowError, Charge.DoesNotExist):
        raise Http404("No such charge.") from None


def statute_catalogue(country_code: str):
    """The active statutes of a country (no personal data: any signed-in user may read them)."""
    from .models import Statute

    return Statute.objects.filter(country__code=(country_code or "").upper()[:2], active=True).order_by(
        "position", "code"
    )


def courts_of(legal_case: LegalCase):
    from .models import Court

    return Court.objects.filter(country_id=legal_case.station.country_id, active=True)


def suspect_candidates(user, legal_case: LegalCase):
    """The appearances a suspect may be picked from, as `user` may read them with names: the suspects of
    the legal case's interceptions, and the recruiters named in the victim interviews of its linked case
    files (and of the case files of its interceptions). Identities already suspects here are left out."""
    from cases.models import Interview, VictimCase
    from interception.models import Interceptee, IntercepteeRole
    from people.selectors import appearance_scope

    from .models import LegalCaseVictim, Suspect

    interceptions = legal_case.interceptions.values("pk")
    case_files = VictimCase.objects.filter(
        Q(pk__in=LegalCaseVictim.objects.filter(legal_case=legal_case).values("victim_case_id"))
        | Q(interception__in=interceptions)
    ).values("pk")
    picked = Q(
        pk__in=Interceptee.objects.filter(
            interception__in=interceptions, role=IntercepteeRole.SUSPECT
        ).values("person_id")
    ) | Q(
        pk__in=Interview.objects.filter(case__in=case_files, recruiter__isnull=False).values("recruiter_id")
    )
    already = Suspect.objects.filter(legal_case=legal_case).values("person__identity_id")
    return (
        appearance_scope(user, Action.VIEW_SENSITIVE)
        .filter(picked)
        .exclude(identity_id__in=already)
        .order_by("full_name", "id")
    )


def visible_appearance_of_identity(user, identity_id):
    """The most recent appearance of `identity_id` that `user` may see (with `can_see_sensitive`), or
    None: a known identity is one the user sees at least one appearance of."""
    from people.selectors import appearance_scope, with_sensitive_flag

    try:
        identity_id = int(identity_id)
    except (TypeError, ValueError, OverflowError):
        return None
    return (
        with_sensitive_flag(appearance_scope(user), user)
        .filter(identity_id=identity_id, identity__merged_into__isnull=True)
        .order_by("-can_see_sensitive", "-recorded_on", "-id")
        .first()
    )


def profile_demographics(access: ProfileAccess) -> dict:
    """Age, gender and nationality of the identity from the suspect appearances `access` drew on (newest
    first; shown, not stored: not sensitive, as on every person), and the names recorded there, masked
    on the legal cases the reader may not read names of."""
    from people import countries
    from people.masking import mask

    sensitive = {c.pk: bool(c.can_see_sensitive) for c in access.legal_cases}
    names: list[str] = []
    for s in access.suspects:
        name = mask(s.person.full_name, sensitive.get(s.legal_case_id, False))
        if name and name not in names:
            names.append(name)
    persons = [s.person for s in access.suspects]
    gender = next((p.gender for p in persons if p.gender and p.gender != "unknown"), "")
    age = next((p.age for p in persons if p.age is not None), None)
    nationality = next((str(p.nationality) for p in persons if p.nationality), "")
    from people.models import Gender

    return {
        "names": names,
        "gender": gender,
        "gender_label": str(Gender(gender).label) if gender else "",
        "age": age,
        "nationality": nationality,
        "nationality_name": countries.name(nationality) if nationality else "",
    }


# --- victims, hearings and comments -----------------------------------------------------------------------


def _history_count(model):
    """How many history rows each row has: the version of a sub-record without a version column."""
    from django.db.models import Count, IntegerField, OuterRef, Subquery

    history = model.history.model
    return Subquery(
        history.objects.filter(id=OuterRef("pk")).order_by().values("id").annotate(n=Count("*")).values("n"),
        output_field=IntegerField(),
    )


def victims_of(legal_case: LegalCase):
    """The victims of a legal case with their case file and its person (one query), with `version`."""
    from .models import LegalCaseVictim

    return (
        LegalCaseVictim.objects.filter(legal_case=legal_case)
        .select_related("victim_case", "victim_case__person", "victim_case__station")
        .annotate(version=_history_count(LegalCaseVictim))
        .order_by("id")
    )


def victim_of(legal_case: LegalCase, pk):
    victim = victims_of(legal_case).filter(pk=pk).first()
    if victim is None:
        raise Http404("No such victim in this legal case.")
    return victim


def victim_case_choices(user, legal_case: LegalCase):
    """Case files the user may see that come from the legal case's interceptions and are not linked yet."""
    from cases.selectors import case_scope

    return (
        case_scope(user)
        .filter(interception__in=legal_case.interceptions.values("pk"))
        .exclude(legal_links__legal_case=legal_case)
        .select_related("person")
        .order_by("number")
    )


def hearings_of(legal_case: LegalCase):
    """The hearings of a legal case by date (court, court case selected; `version`)."""
    from .models import Hearing

    return (
        Hearing.objects.filter(legal_case=legal_case)
        .select_related("court", "court_case", "court_case__court")
        .annotate(version=_history_count(Hearing))
        .order_by("held_on", "id")
    )


def hearing_of(legal_case: LegalCase, pk):
    hearing = hearings_of(legal_case).filter(pk=pk).first()
    if hearing is None:
        raise Http404("No such hearing in this legal case.")
    return hearing


def comments_of(legal_case: LegalCase):
    """The comments of a legal case, oldest first (author and who deleted it selected)."""
    from .models import Comment

    return (
        Comment.objects.filter(legal_case=legal_case)
        .select_related("author", "deleted_by")
        .order_by("created_at", "id")
    )


def comment_of(legal_case: LegalCase, pk):
    comment = comments_of(legal_case).filter(pk=pk).first()
    if comment is None:
        raise Http404("No such comment in this legal case.")
    comment.legal_case = legal_case
    return comment


def upcoming_hearings(user, *, since, until=None, limit: int = 500):
    """The hearings of the legal cases in the user's scope from `since` on (to `until`), by date: one
    query with the legal case, its station and the court."""
    from .models import Hearing

    condition = legal_case_condition(user)
    if condition is None:
        return Hearing.objects.none()
    scope = LegalCase.objects.filter(condition).values("pk")
    rows = Hearing.objects.filter(legal_case__in=scope, held_on__gte=since)
    if until is not None:
        rows = rows.filter(held_on__lte=until)
    return rows.select_related("legal_case", "legal_case__station", "court", "court_case").order_by(
        "held_on", "legal_case__number", "id"
    )[:limit]


def log_hearing_list(user, rows, *, since, api: bool = False) -> list:
    """Log one upcoming-hearings response: one event naming every legal case shown."""
    rows = list(rows)
    cases = {row.legal_case_id: row.legal_case for row in rows}
    details = {"since": since.isoformat(), "hearings": len(rows)}
    if api:
        details["api"] = True
    record_event(
        actor=user,
        action="legal_case.hearings",
        object_type="legalcase",
        object_ids=sorted(cases),
        stations=[c.station for c in cases.values()],
        details=details,
    )
    return rows


def with_detail(legal_case: LegalCase) -> LegalCase:
    """The legal case with what its API detail shows: the ids of its interceptions and victims' case
    files, where its stage may move, and its completeness (three queries)."""
    from .models import LegalCaseVictim
    from .services.cases import next_stages

    legal_case.interception_ids = sorted(legal_case.interceptions.values_list("pk", flat=True))
    legal_case.victim_case_ids = sorted(
        LegalCaseVictim.objects.filter(legal_case_id=legal_case.pk).values_list("victim_case_id", flat=True)
    )
    legal_case.next_stages = next_stages(legal_case)
    legal_case.completeness = completeness(legal_case)
    return legal_case


def profile_of_identity(identity_pk: int) -> TraffickerProfile | None:
    """The identity's profile (for a response already checked by `access_profile`), or None."""
    return (
        TraffickerProfile.objects.filter(identity_id=identity_pk)
        .select_related("station", "home_district__parent")
        .first()
    )


def prior_records_of(profile: TraffickerProfile | None):
    """The prior records of a profile `access_profile` returned, newest first."""
    if profile is None:
        return PriorRecord.objects.none()
    return PriorRecord.objects.filter(profile=profile).order_by("-occurred_on", "-id")
