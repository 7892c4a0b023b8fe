"""Phone numbers the host types: normalised to E.164, checked before any
SMS is paid for, and shown masked."""

from __future__ import annotations

import re
from collections.abc import Iterable

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from server.web.errors import ApiError

# A number SMS can reach. FIXED_LINE_OR_MOBILE is what phonenumbers says for
# countries whose ranges do not tell the two apart (the US, for one).
SMS_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalize_phone(raw: str, *, region: str = "JP", countries: Iterable[str] = ("JP",)) -> str:
    """``090-1234-5678``, ``09012345678``, full-width digits or
    ``+81 90 1234 5678`` -> ``+819012345678``; or a 422 saying what is wrong."""
    text = raw.strip()
    if not text or len(text) > 40:
        raise ApiError(422, "invalid_phone")
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        raise ApiError(422, "invalid_phone") from None
    if not phonenumbers.is_valid_number(number):
        raise ApiError(422, "invalid_phone")
    country = phonenumbers.region_code_for_number(number)
    if country not in set(countries):
        raise ApiError(422, "phone_country_not_allowed", params={"country": country or "?"})
    if phonenumbers.number_type(number) not in SMS_TYPES:
        # e.g. a Japanese landline (03-...) or an IP phone (050-...): no SMS.
        raise ApiError(422, "phone_not_mobile")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    """``+819012345678`` -> ``090-****-5678``: enough for a host to recognise
    the number, not enough to read it off the screen."""
    number = phonenumbers.parse(e164)
    national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    groups = re.split(r"([^0-9]+)", national)
    digit_groups = [i for i, g in enumerate(groups) if g.isdigit()]
    if len(digit_groups) < 3:
        return national[:3] + "*" * max(0, len(national) - 7) + national[-4:]
    for index in digit_groups[1:-1]:
        groups[index] = "*" * len(groups[index])
    return "".join(groups)
