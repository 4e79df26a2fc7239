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


def _word_variants(word: str) -> str:
    for pattern, replacement in _VARIANTS:
        word = word.replace(pattern, replacement)
    word = _DOUBLED.sub(r"\1", word)
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


def _romanise(text: str, *, drop_final_a: bool) -> str:
    out = []
    for part in re.split(r"(\s+)", text):
        if not _DEVANAGARI_WORD.fullmatch(part or "x"):
            out.append(part)
            continue
        latin = sanscript.transliterate(part, sanscript.DEVANAGARI, sanscript.IAST)
        if drop_final_a and _ends_in_inherent_vowel(part) and latin.endswith("a") and len(latin) > 2:
            latin = latin[:-1]
        for letter, replacement in _IAST:
            latin = latin.replace(letter, replacement)
        out.append(latin)
    return "".join(out)


@lru_cache(maxsize=4096)
def keys(name: str) -> tuple[str, ...]:
    """The search keys of one name, best first (empty for a name with no letters)."""
    name = unicodedata.normalize("NFC", (name or "").strip())
    if not name:
        return ()
    if _DEVANAGARI.search(name):
        candidates = [_romanise(name, drop_final_a=True), _romanise(name, drop_final_a=False)]
    else:
        candidates = [name]
    found: list[str] = []
    for candidate in candidates:
        key = _key_of_latin(candidate)
        if key and key not in found:
            found.append(key)
    return tuple(found)


def key(name: str) -> str:
    """The first (best) key of a name, "" for none."""
    found = keys(name)
    return found[0] if found else ""
