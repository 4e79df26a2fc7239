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
