"""Match suggestions (people/matching.py): the scorer, the scoped candidates, the stored suggestions."""

import pytest
from django.db.models import Q

from people import matching
from people.models import MatchStatus, MatchSuggestion, Person
from people.selectors import appearance_condition

from .factories import make_interception, person

pytestmark = pytest.mark.django_db


def profile(name, phone="", birth_year=None, gender="unknown", district=""):
    from people import names, phones

    return matching.Profile(
        keys=names.keys(name),
        phones=frozenset([phones.normalise(phone)] if phone else []),
        birth_year=birth_year,
        gender=gender,
        district=district,
    )


def test_score_orders_a_true_match_above_a_similar_name_non_match():
    query = profile("Seeta Tamaang", phone="9800000001", birth_year=2005, gender="female")
    same = profile("Sita Tamang", phone="+977 980-0000001", birth_year=2006, gender="female")
    other = profile("Gita Tamang", phone="9800000999", birth_year=1980, gender="female")
    brother = profile("Sita Tamang", birth_year=2005, gender="male")
    true_score, reasons = matching.score(query, same)
    assert reasons["phone"] is True and reasons["age_gap"] == 1
    assert true_score >= 0.9
    assert matching.score(query, other)[0] < matching.config()["suggest_threshold"] < true_score
    # Different known genders weigh strongly against a match with the very same name.
    assert matching.score(query, brother)[0] < true_score - 0.2


def test_score_across_scripts_and_word_order():
    latin = profile("Sita Tamang", birth_year=2005)
    assert matching.score(latin, profile("सीता तामाङ", birth_year=2004))[0] >= 0.8
    assert matching.score(latin, profile("Tamang Sita"))[0] >= 0.8


def test_profile_from_form_normalises_phone_and_age():
    import datetime

    p = matching.profile_from_form(
        name="Seeta Tamaang",
        phone="+977 980-0000001",
        age=17,
        recorded_on=datetime.date(2024, 5, 1),
        gender="female",
    )
    assert p.phones == frozenset({"+9779800000001"})
    assert p.birth_year == 2007
    assert p.keys == ("sita tamang",)


def test_suggest_respects_the_condition(bhw, brg, monitor, other_monitor):
    make_interception(
        monitor, bhw, people=[person("Sita Tamang", gender="female", age=17, phone="9800000001")]
    )
    make_interception(
        other_monitor, brg, people=[person("Rita Gurung", gender="female", age=30, phone="9800000002")]
    )
    seen = Person.objects.get(source="interception", full_name="Sita Tamang")
    hidden = Person.objects.get(source="interception", full_name="Rita Gurung")

    everyone = matching.suggest(matching.profile_from_form(name="Seeta Tamaang"), condition=Q())
    assert [s.identity_id for s in everyone] == [seen.identity_id]

    # For the BHW monitor, the BRG appearance is never a candidate, neither by name nor by its phone.
    condition = appearance_condition(monitor)
    by_name = matching.suggest(matching.profile_from_form(name="Rita Gurung"), condition=condition)
    assert by_name == []
    by_phone = matching.suggest(
        matching.profile_from_form(name="Sita Tamang", phone="9800000002"), condition=condition
    )
    assert [s.identity_id for s in by_phone] == [seen.identity_id]
    assert "phone" in by_phone[0].reasons and by_phone[0].reasons["phone"] is False
    assert matching.suggest(matching.profile_from_form(name="Sita Tamang"), condition=None) == []
    # The other station's user gets the BRG one, and the BHW one is not theirs to see.
    mine = matching.suggest(
        matching.profile_from_form(name="Rita Gurung", phone="9800000002"),
        condition=appearance_condition(other_monitor),
    )
    assert [s.identity_id for s in mine] == [hidden.identity_id]
    assert mine[0].reasons["phone"] is True


def test_suggest_leaves_out_excluded_and_below_threshold(bhw, monitor):
    make_interception(monitor, bhw, people=[person("Sita Tamang", gender="female", age=17)])
    make_interception(monitor, bhw, people=[person("Bikash Thapa", gender="male", age=40)])
    sita = Person.objects.get(source="interception", full_name="Sita Tamang")
    found = matching.suggest(matching.profile_from_form(name="Sita Tamang"), condition=Q())
    assert [s.identity_id for s in found] == [sita.identity_id]
    assert (
        matching.suggest(
            matching.profile_from_form(name="Sita Tamang"), condition=Q(), exclude=[sita.identity_id]
        )
        == []
    )


def test_store_suggestions_is_idempotent_and_never_resuggests_a_rejected_pair(bhw, brg, monitor):
    make_interception(
        monitor, bhw, people=[person("Sita Tamang", gender="female", age=17, phone="9800000001")]
    )
    make_interception(monitor, bhw, people=[person("Seeta Tamaang", gender="female", age=17)])
    make_interception(monitor, bhw, people=[person("Sitaa Tamang", gender="female", age=18)])
    first, second, third = Person.objects.filter(source="interception").order_by("id")
    assert matching.store_suggestions(second.pk) == 2
    assert MatchSuggestion.objects.count() == 2
    for row in MatchSuggestion.objects.all():
        assert row.identity_id < row.candidate_id and row.status == MatchStatus.PENDING
    assert matching.store_suggestions(second.pk) == 0
    assert MatchSuggestion.objects.count() == 2

    rejected = MatchSuggestion.objects.get(identity=first.identity, candidate=second.identity)
    rejected.status = MatchStatus.REJECTED
    rejected.score = 0.123
    rejected.save()
    assert matching.store_suggestions(first.pk) == 1  # only the pair with the third is new
    rejected.refresh_from_db()
    assert rejected.status == MatchStatus.REJECTED and rejected.score == 0.123
    assert MatchSuggestion.objects.count() == 3
    assert matching.store_suggestions(second.pk) == 0


def test_store_suggestions_updates_a_pending_pair(bhw, monitor):
    make_interception(monitor, bhw, people=[person("Sita Tamang", gender="female", age=17)])
    make_interception(monitor, bhw, people=[person("Seeta Tamaang", gender="female", age=17)])
    first, second = Person.objects.filter(source="interception").order_by("id")
    matching.store_suggestions(second.pk)
    row = MatchSuggestion.objects.get()
    row.score = 0.61
    row.save()
    assert matching.store_suggestions(second.pk) == 1
    row.refresh_from_db()
    assert row.score > 0.8 and row.reasons["name"] == 1.0


def test_store_suggestions_ignores_merged_identities(bhw, monitor):
    make_interception(monitor, bhw, people=[person("Sita Tamang", gender="female", age=17)])
    make_interception(monitor, bhw, people=[person("Seeta Tamaang", gender="female", age=17)])
    first, second = Person.objects.filter(source="interception").order_by("id")
    other = first.identity
    other.merged_into = second.identity
    other.save()
    assert matching.store_suggestions(first.pk) == 0


def test_suggest_runs_a_few_queries_whatever_the_candidates(
    bhw, monitor, django_assert_max_num_queries, settings
):
    settings.PEOPLE_MATCHING = {**settings.PEOPLE_MATCHING, "namesakes": 10}
    for i in range(12):
        make_interception(
            monitor,
            bhw,
            people=[person("Sita Tamang", gender="female", age=17 + i, phone=f"98000000{i:02d}")],
        )
    profile = matching.profile_from_form(name="Sita Tamaang", phone="9800000003", age=20, gender="female")
    # The same key (12 namesakes: no fuzzy tier), the phone, the candidates' appearances.
    with django_assert_max_num_queries(4):
        found = matching.suggest(profile, condition=appearance_condition(monitor), limit=5)
    assert len(found) == 5
    assert found[0].reasons["phone"] is True


def test_an_age_far_off_or_another_district_counts_against_a_namesake():
    query = profile("Sita Tamang", birth_year=2000, gender="female", district="NP-BHW")
    unknown = profile("Sita Tamang", gender="female")
    # Five years apart: the reviewer sees the namesake of unknown age first.
    older = profile("Sita Tamang", birth_year=1995, gender="female")
    assert matching.score(query, older)[0] < matching.score(query, unknown)[0]
    # A year off (a birthday not yet reached) still counts for the match.
    assert (
        matching.score(query, profile("Sita Tamang", birth_year=2001, gender="female"))[0]
        > (matching.score(query, unknown)[0])
    )
    elsewhere = profile("Sita Tamang", gender="female", district="NP-KTM")
    assert matching.score(query, elsewhere)[0] < matching.score(query, unknown)[0]


def test_a_dropped_middle_name_is_nearly_the_same_name():
    full = profile("Sita Kumari Tamang", birth_year=2000, gender="female")
    short = profile("Sita Tamang", birth_year=2000, gender="female")
    assert matching.name_similarity(full.keys, short.keys) >= 0.95
    # ... and still below the very same name, so a namesake of the full name comes first when all else ties.
    assert matching.score(full, short)[0] < matching.score(full, full)[0]


def test_a_name_without_its_middle_name_is_a_candidate_among_many_namesakes(bhw, monitor, settings):
    # Enough namesakes of "Sita Tamang" that the fuzzy tiers are skipped: "Sita Kumari Tamang" (the same
    # girl, her middle name left out today) is still among the candidates, through the middle-name tier.
    settings.PEOPLE_MATCHING = {**settings.PEOPLE_MATCHING, "namesakes": 2}
    make_interception(monitor, bhw, people=[person("Sita Tamang", gender="female", age=30)])
    make_interception(monitor, bhw, people=[person("Sita Tamang", gender="female", age=40)])
    make_interception(monitor, bhw, people=[person("Sita Kumari Tamang", gender="female", age=17)])
    her = Person.objects.get(source="interception", full_name="Sita Kumari Tamang").identity_id
    found = matching.suggest(
        matching.profile_from_form(name="Sita Tamang", age=17, gender="female"), condition=Q()
    )
    assert found[0].identity_id == her
