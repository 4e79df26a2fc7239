"""Nepali in templates (docs/i18n.md): Bikram Sambat dates beside Gregorian ones, and lang="ne" on text
written in Devanagari, so screen readers and fonts treat it as Nepali whatever the page's language."""

import datetime
import re
from functools import lru_cache

from django import template
from django.utils.dateformat import format as date_format
from django.utils.html import conditional_escape, format_html
from django.utils.translation import get_language, pgettext
from nepali.datetime import nepalidate

register = template.Library()

DEVANAGARI = re.compile(r"[\u0900-\u097F\uA8E0-\uA8FF]")
NE_DIGITS = str.maketrans("0123456789", "०१२३४५६७८९")


def _date(value) -> datetime.date | None:
    """The calendar date of `value` as shown: a datetime keeps its own time zone (pass it through the
    `timezone` filter first for station time)."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return None


def bikram_sambat(value) -> str:
    """ "2083-08-14 BS" for 2026-11-30 (in Nepali: "२०८३-०८-१४ वि.सं."); "" for no date or one outside the
    range the `nepali` package converts (1975–2100 BS)."""
    day = _date(value)
    if day is None:
        return ""
    text = _bs_digits(day)
    if not text:
        return ""
    if get_language() == "ne":
        text = text.translate(NE_DIGITS)
    # Translators: the abbreviation of Bikram Sambat, Nepal's calendar, after a date.
    era = pgettext("calendar", "BS")
    return f"{text} {era}"


@lru_cache(maxsize=4096)
def _bs_digits(day: datetime.date) -> str:
    """ "2083-08-14" for 2026-11-30, or "" out of range. The conversion walks the calendar from its start
    (about 80 µs); a list shows the same few days again and again, so the answers are kept."""
    try:
        bs = nepalidate.from_date(day)
    except (ValueError, KeyError, IndexError, OverflowError):
        return ""
    return f"{bs.year:04d}-{bs.month:02d}-{bs.day:02d}"


@register.filter
def bs_date(value) -> str:
    """The Bikram Sambat date alone: {{ day|bs_date }} → "2083-08-14 BS"."""
    return bikram_sambat(value)


@register.filter
def with_bs(value, fmt: str = "Y-m-d") -> str:
    """The Gregorian date with the Bikram Sambat date beside it: "2026-11-30 (2083-08-14 BS)"."""
    day = _date(value)
    if day is None:
        return ""
    bs = bikram_sambat(value)
    shown = date_format(value, fmt)
    return f"{shown} ({bs})" if bs else shown


def has_devanagari(text) -> bool:
    return bool(text) and bool(DEVANAGARI.search(str(text)))


@register.filter(is_safe=True, needs_autoescape=True)
def lang_ne(value, autoescape=True):
    """Wrap text containing Devanagari in <span lang="ne">; other text is returned escaped, unchanged."""
    if value is None or value == "":
        return value
    if has_devanagari(value):
        return format_html('<span lang="ne">{}</span>', conditional_escape(value) if autoescape else value)
    return conditional_escape(value) if autoescape else value


def red_flag_text(flag) -> str:
    """A red flag's text in the active language: the catalogue's Nepali text when the language is Nepali and
    the flag has one, else the English text."""
    if get_language() == "ne" and getattr(flag, "text_ne", ""):
        return flag.text_ne
    return flag.text


@register.filter
def flag_text(flag) -> str:
    return red_flag_text(flag)
