"""What goes into an export cell: text that a spreadsheet program shows as text, never runs as a formula.

OWASP's rule for CSV injection: a value starting with `=`, `+`, `-`, `@`, tab or carriage return (and their
full-width forms, which some spreadsheet programs read the same way) is written as plain text. In CSV it
gets a leading `'`; in XLSX the cell is typed as a string (never a formula) and carries Excel's own
"quote prefix" flag, so the text stays exactly as typed and editing the cell does not turn it into a
formula. Control characters, lone surrogates and the two non-characters XML forbids are replaced by U+FFFD
(tab, newline and carriage return inside the text are kept). Cells are cut at Excel's limit of 32,767
characters. Nothing here can raise on any `str`, so a hostile name cannot make an export fail.
"""

import re
from dataclasses import dataclass
from itertools import chain

MAX_CELL_CHARS = 32_767  # Excel's limit per cell; longer text is cut (LibreOffice and Excel would cut it)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
REPLACEMENT = "\ufffd"
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def cell_text(value: str) -> tuple[str, bool]:
    """(the text to write, whether it must be marked as text): control characters replaced, cut to the
    cell limit (leaving room for the CSV prefix)."""
    text = _UNSAFE.sub(REPLACEMENT, value)
    risky = text.startswith(FORMULA_START)
    return text[: MAX_CELL_CHARS - 1 if risky else MAX_CELL_CHARS], risky


def csv_value(value):
    """A value for the CSV writer: risky text prefixed with `'`; numbers, booleans and None as they are."""
    if not isinstance(value, str):
        return value
    text, risky = cell_text(value)
    return "'" + text if risky else text


_ASCII_UNSAFE = bytes(c for c in range(128) if _UNSAFE.match(chr(c)))  # what _UNSAFE finds in ASCII
_RISKY_FIRST = frozenset(FORMULA_START)  # each a single character


def is_risky(text: str) -> bool:
    """Whether `text` would start a formula (what `cell_text` reports), for text already made safe."""
    return text[:1] in _RISKY_FIRST


_RISKY_START = re.compile("\x00[" + re.escape("".join(FORMULA_START)) + "]")  # a text starting a formula


@dataclass(frozen=True)
class Scan:
    """What one look at the text cells of many rows found."""

    clean: bool  # no text needs a character replaced or a cut: `cell_text` would return it unchanged
    plain: bool  # clean, and no text starts like a formula
    text: str  # every cell as text, each after a NUL (no clean text holds one); "" when not clean


def scan(rows) -> Scan:
    """Look at every text cell of `rows` at once: a few searches over their joined text (a chunk of
    ordinary text costs a few calls, not one per cell). As strict as `cell_text`: the same characters, the
    same limit; when not `clean`, use `cell_text` on each cell."""
    # Every cell as text (C-level, no per-cell Python): numbers and booleans become digits and words,
    # which hold nothing unsafe; a negative number looks like a formula and only costs the slow path.
    texts = list(map(str, chain.from_iterable(rows)))
    dirty = Scan(clean=False, plain=False, text="")
    if max(map(len, texts), default=0) >= MAX_CELL_CHARS:
        return dirty
    joined = "\x00" + "\x00".join(texts)
    if joined.isascii():  # the common case: a byte-level check, much faster than the regex
        raw = joined.encode("ascii")
        separators = max(len(texts), 1)  # the NULs put in above
        if len(raw.translate(None, _ASCII_UNSAFE)) != len(raw) - separators:
            return dirty
    elif _UNSAFE.search("".join(texts)) is not None:
        return dirty
    return Scan(clean=True, plain=_RISKY_START.search(joined) is None, text=joined)


def csv_rows(rows) -> list:
    """`csv_value` of every cell of every row."""
    found = scan(rows)
    if found.plain:
        return rows
    if found.clean:
        return [
            [("'" + v if v[:1] in _RISKY_FIRST else v) if isinstance(v, str) else v for v in r] for r in rows
        ]
    return [[csv_value(v) for v in r] for r in rows]
