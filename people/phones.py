"""Phone numbers: parsed with `phonenumbers` (the station's country is the default region), stored in
E.164, shown in national format on pages (international when the number is from another country), and as
E.164 in the API and exports (docs/places.md "Phones")."""

from __future__ import annotations

import re

import phonenumbers
from django.utils.translation import gettext as _

from people import countries

DEFAULT_REGION = "NP"
# What a typed phone may contain besides digits: spaces, +, brackets, dashes, dots, slashes.
_ALLOWED = re.compile(r"^[\d\s+()\-./]*$")


class PhoneError(ValueError):
    """Text that is not a phone number; `str(error)` is the message for the person's phone field."""


def parse(text: str, *, region: str | None = DEFAULT_REGION) -> str:
    """The E.164 form of `text` ("" for empty text). Raises PhoneError for letters, too few digits or a
    number that does not exist in its country's numbering plan."""
    text = (text or "").strip()
    if not text:
        return ""
    if not _ALLOWED.match(text):
        raise PhoneError(_("A phone number has only digits, spaces, dashes and a leading +."))
    digits = re.sub(r"\D", "", text)
    if len(digits) < 6:
        raise PhoneError(_("This phone number is too short."))
    if len(digits) > 15:
        raise PhoneError(_("This phone number is too long."))
    try:
        number = phonenumbers.parse(text, (region or DEFAULT_REGION).upper())
    except phonenumbers.NumberParseException as error:
        raise PhoneError(_("This is not a phone number.")) from error
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(
            _("This is not a valid phone number for %(region)s; give it with its country code (+…).")
            % {"region": countries.name((region or DEFAULT_REGION).upper())}  # "Nepal", "नेपाल"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise(text: str, *, region: str | None = DEFAULT_REGION) -> str:
    """E.164 when `text` is a phone number, otherwise the text as given (stripped): for comparing and for
    data that was stored before phones were checked."""
    try:
        return parse(text, region=region)
    except PhoneError:
        return (text or "").strip()


def display(value: str, *, region: str | None = DEFAULT_REGION) -> str:
    """A stored phone for a page: national format ("981-1111111") when the number belongs to `region`,
    international ("+91 98765 43210") otherwise; a value that does not parse is shown as stored."""
    if not value:
        return value
    try:
        number = phonenumbers.parse(value, (region or DEFAULT_REGION).upper())
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_valid_number(number):
        return value
    same = phonenumbers.region_code_for_number(number) == (region or DEFAULT_REGION).upper()
    kind = phonenumbers.PhoneNumberFormat.NATIONAL if same else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, kind)
