"""Names in any script to search keys (docs/people.md "Search keys").

A name typed as "Sita Tamang", "Seeta Tamaang", "Tamang Sita" or "सीता तामाङ" should find the others. Each
name becomes a few *keys*: Latin letters a-z and spaces, with case and accents folded, the common spelling
variants of Nepali and Indian names written one way (ee → i, aa → a, sh → s, v → b, doubled letters once),
and the words in alphabetical order (so the order a name was written in does not matter). Devanagari is
romanised with `indic-transliteration` (IAST), then folded the same way; because the romanisation of a
Devanagari name is not always the spelling people type, a Devanagari name keeps several candidates (with and
without the final inherent vowel).

Keys are stored per appearance (`people.NameKey`) and indexed with pg_trgm (GIN); the query is keyed the
same way, so both sides meet in the same alphabet.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from indic_transliteration import sanscript

_DEVANAGARI = re.compile(r"[\u0900-\u097F]")
_DEVANAGARI_WORD = re.compile(r"[\u0900-\u097F]+")
_VIRAMA = "\u094d"
_CONSONANTS = {chr(c) for c in range(0x0915, 0x093A)} | {chr(c) for c in range(0x0958, 0x0960)}
_VOWEL_SIGNS = {chr(c) for c in range(0x093E, 0x094D)} | {"\u0962", "\u0963"}

# IAST letters that fold badly when the accent is simply dropped: written the way Nepali names are
# spelled in Latin letters.
_IAST = [
    ("jñ", "gy"),
    ("kṣ", "ksh"),
    ("ṅ", "ng"),
    ("ñ", "n"),
    ("ṃ", "n"),
    ("m̐", "n"),
    ("ś", "sh"),
    ("ṣ", "sh"),
    ("ṛ", "ri"),
    ("ṝ", "ri"),
    ("ḷ", "li"),
    ("ḥ", ""),
]

# Spelling variants of one sound, in order (longer patterns first). Applied to each folded word.
_VARIANTS = [
    ("chh", "c"),
    ("ch", "c"),
    ("sh", "s"),
    ("kh", "k"),
    ("gh", "g"),
    ("jh", "j"),
    ("th", "t"),
    ("dh", "d"),
    ("ph", "p"),
    ("bh", "b"),
    ("f", "p"),
    ("x", "ks"),
    ("q", "k"),
    ("z", "j"),
    ("w", "b"),
    ("v", "b"),
    ("ee", "i"),
    ("oo", "u"),
    ("ou", "au"),
    ("y", "i"),
]
_DOUBLED = re.compile(r"(.)\1+")


def fold(text: str) -> str:
    """Lower case, accents dropped, anything but a-z as a space, spaces collapsed."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z]+", " ", text).split())


@lru_cache(maxsize=65536)
def _word_variants(word: str) -> str:
    for pattern, replacement in _VARIANTS:
        word = word.replace(pattern, replacement)
    word = _DOUBLED.sub(r"\1", word)
    # "Pandey", "Pande"; "Sheikh", "Shekh": the same vowel.
    if word.endswith("ei") and len(word) > 3:
        word = word[:-2] + "e"
    word = word.replace("eik", "ek")
    # A final "h" is silent in most Latin spellings ("Shah", "Sah"); "ah" and "a" are one ending.
    if len(word) > 2 and word.endswith("h"):
        word = word[:-1]
    return word


def _key_of_latin(text: str) -> str:
    words = [_word_variants(w) for w in fold(text).split()]
    return " ".join(sorted(w for w in words if w))


def _ends_in_inherent_vowel(word: str) -> bool:
    """A Devanagari word whose last letter is a consonant with no vowel sign or virama (its final "a" is
    usually not pronounced: राम is "Ram"), unless that consonant closes a cluster (कृष्ण is "Krishna")."""
    if not word or word[-1] not in _CONSONANTS:
        return False
    return not (len(word) >= 3 and word[-2] == _VIRAMA)


_INDEPENDENT_VOWELS = {chr(c) for c in range(0x0904, 0x0915)}


def _drop_medial_schwa(word: str) -> str:
    """Hindi and Nepali leave out an inherent "a" between a vowel and a consonant that has a vowel of its
    own: शबनम is "Shabnam", आरती "Aarti", इमरान "Imran" (never two in a row, never after the first letter
    alone). Marks those consonants with a virama, so the romanisation drops the "a"."""
    out = list(word)
    i = 1
    while i < len(out) - 2:
        here, after, after2 = out[i], out[i + 1], out[i + 2]
        before = out[i - 1]
        voiced_before = before in _VOWEL_SIGNS or before in _INDEPENDENT_VOWELS or before in _CONSONANTS
        if here in _CONSONANTS and voiced_before and after in _CONSONANTS and after2 != _VIRAMA:
            out.insert(i + 1, _VIRAMA)
            i += 3  # no two deletions in a row
            continue
        i += 1
    return "".join(out)


def _romanise(text: str, *, drop_final_a: bool, drop_medial_a: bool = False) -> str:
    out = []
    for part in re.split(r"(\s+)", text):
        if not _DEVANAGARI_WORD.fullmatch(part or "x"):
            out.append(part)
            continue
        out.append(_romanise_word(part, drop_final_a, drop_medial_a))
    return "".join(out)


@lru_cache(maxsize=8192)
def _romanise_word(word: str, drop_final_a: bool, drop_medial_a: bool) -> str:
    """One Devanagari word in Latin letters (cached: names share their words, and transliteration is slow)."""
    latin = sanscript.transliterate(
        _drop_medial_schwa(word) if drop_medial_a else word, sanscript.DEVANAGARI, sanscript.IAST
    )
    if drop_final_a and _ends_in_inherent_vowel(word) and latin.endswith("a") and len(latin) > 2:
        latin = latin[:-1]
    for letter, replacement in _IAST:
        latin = latin.replace(letter, replacement)
    return latin


@lru_cache(maxsize=4096)
def keys(name: str) -> tuple[str, ...]:
    """The search keys of one name, best first (empty for a name with no letters)."""
    name = unicodedata.normalize("NFC", (name or "").strip())
    if not name:
        return ()
    if _DEVANAGARI.search(name):
        candidates = [
            _romanise(name, drop_final_a=True),
            _romanise(name, drop_final_a=True, drop_medial_a=True),
            _romanise(name, drop_final_a=False),
        ]
    else:
        candidates = [name]
    found: list[str] = []
    for candidate in candidates:
        key = _key_of_latin(candidate)
        if key and key not in found:
            found.append(key)
    return tuple(found)


# Middle names of Nepal and northern India, written as keys: one record gives "Sita Kumari Tamang", the next
# "Sita Tamang"; one "Ram Bahadur Thapa", the next "Ram Thapa". A name with or without one of them is the
# same name to the first (exact) tier of the search (people/search.py `similar_appearances`).
MIDDLE_NAMES = tuple(
    _key_of_latin(word)
    for word in (
        "Kumari", "Devi", "Maya", "Laxmi",
        "Bahadur", "Kumar", "Prasad", "Raj", "Lal", "Nath", "Chandra", "Man",
    )
)  # fmt: skip


@lru_cache(maxsize=4096)
def middle_variants(name_key: str) -> tuple[str, ...]:
    """The keys of the same name with a middle name left out or put in (never the key itself): for a key
    of two words, each middle name added; for three words or more, each middle word left out (at least
    two words stay)."""
    words = name_key.split()
    found: list[str] = []
    if len(words) == 2:
        found = [" ".join(sorted([*words, m])) for m in MIDDLE_NAMES if m not in words]
    elif len(words) >= 3:
        for i, word in enumerate(words):
            if word in MIDDLE_NAMES:
                found.append(" ".join(words[:i] + words[i + 1 :]))
    return tuple(k for k in dict.fromkeys(found) if k != name_key)


def key(name: str) -> str:
    """The first (best) key of a name, "" for none."""
    found = keys(name)
    return found[0] if found else ""
