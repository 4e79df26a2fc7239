"""Names in any script and spelling, phones in any format (people/names.py, people/search.py)."""

import pytest
from django.db.models import Q

from accounts.roles import Action
from people import names, search
from people.models import Person
from people.selectors import appearance_condition

from .factories import make_interception, person


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Sita Tamang", "sita tamang"),
        ("Seeta Tamaang", "sita tamang"),
        ("Tamang Sita", "sita tamang"),
        ("  SÍTA   tamang ", "sita tamang"),
        ("सीता तामाङ", "sita tamang"),
        ("Bishnu Shrestha", "bisnu sresta"),
        ("Vishnu Shreshtha", "bisnu sresta"),
        ("Pandey", "pande"),
        ("पाण्डे", "pande"),
        ("Ram Bahadur Thapa", "bahadur ram tapa"),
    ],
)
def test_first_key(name, expected):
    assert names.key(name) == expected


def test_middle_variants_put_in_or_leave_out_a_middle_name():
    assert "kumari sita tamang" in names.middle_variants("sita tamang")
    assert "bahadur ram tapa" in names.middle_variants("ram tapa")
    assert names.middle_variants("kumari sita tamang") == ("sita tamang",)
    # Two words always stay: "Maya Tamang" is not "Tamang".
    assert names.middle_variants("maia tamang") == tuple(
        k for k in names.middle_variants("maia tamang") if len(k.split()) == 3
    )
    assert "sita tamang" not in names.middle_variants("sita tamang")


def test_devanagari_keeps_several_romanisations():
    # The inherent vowels people do not write ("Shabnam", "Aarti", "Kamla") are among the candidates.
    assert "sabnam" in names.keys("शबनम")
    assert "arti" in names.keys("आरती")
    assert set(names.keys("कमला")) >= {"kamala", "kamla"}
    assert names.keys("") == () and names.keys("123 !") == ()


def test_names_find_each_other_in_any_script_and_spelling(db, bhw, monitor):
    spellings = ["Sita Tamang", "Seeta Tamaang", "Tamang Sita", "सीता तामाङ"]
    for spelling in spellings:
        make_interception(monitor, bhw, people=[person(spelling, gender="female", age=17)])
    make_interception(monitor, bhw, people=[person("Bikash Thapa", gender="male", age=30)])
    identity_of = dict(Person.objects.values_list("full_name", "identity_id"))
    condition = appearance_condition(monitor, Action.VIEW_SENSITIVE)
    for spelling in spellings:
        found = [identity for identity, _ in search.find(q=spelling, condition=condition)]
        assert sorted(found) == sorted(identity_of[s] for s in spellings), spelling
    assert identity_of["Bikash Thapa"] not in [i for i, _ in search.find(q="Sita Tamang", condition=Q())]


def test_a_typo_and_a_dropped_middle_name_still_find(db, bhw, monitor):
    make_interception(monitor, bhw, people=[person("Sita Kumari Tamang", gender="female", age=17)])
    sita = Person.objects.get(source="interception").identity_id
    assert [i for i, _ in search.find(q="Sita Tamang", condition=Q())] == [sita]
    assert [i for i, _ in search.find(q="Sitq Tamang", condition=Q())] == [sita]


def test_a_phone_in_three_formats_is_one_phone(db, bhw, monitor):
    make_interception(
        monitor, bhw, people=[person("Sita Tamang", gender="female", age=17, phone="+977 980-0000001")]
    )
    make_interception(
        monitor, bhw, people=[person("Gita Tamang", gender="female", age=19, phone="9800000001")]
    )
    make_interception(monitor, bhw, people=[person("Rita Rai", gender="female", age=20, phone="9800000002")])
    stored = set(
        Person.objects.filter(
            source="interception", full_name__in=["Sita Tamang", "Gita Tamang"]
        ).values_list("phone", flat=True)
    )
    assert stored == {"+9779800000001"}
    expected = sorted(
        Person.objects.filter(
            source="interception", full_name__in=["Sita Tamang", "Gita Tamang"]
        ).values_list("identity_id", flat=True)
    )
    condition = appearance_condition(monitor, Action.VIEW_SENSITIVE)
    for typed in ("+977 980-0000001", "9800000001", "009779800000001"):
        assert sorted(i for i, _ in search.find(q=typed, condition=condition)) == expected, typed


def test_search_sees_only_the_condition(db, bhw, brg, monitor, other_monitor):
    make_interception(
        other_monitor, brg, people=[person("Sita Tamang", gender="female", age=17, phone="9800000001")]
    )
    condition = appearance_condition(monitor, Action.VIEW_SENSITIVE)
    assert search.find(q="Sita Tamang", condition=condition) == []
    assert search.find(q="9800000001", condition=condition) == []
    assert search.find(q="Sita Tamang", condition=None) == []
    assert len(search.find(q="Sita Tamang", condition=appearance_condition(other_monitor))) == 1


def test_the_trigram_threshold_is_put_back(db):
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT set_config('pg_trgm.similarity_threshold', '0.3', true)")
        search.find(q="Sita Tamang", condition=Q())
        cur.execute("SELECT current_setting('pg_trgm.similarity_threshold')")
        assert float(cur.fetchone()[0]) == pytest.approx(0.3)
