"""SMS groundwork: phone numbers, signed join links and QR codes."""

from __future__ import annotations

import time

import pytest
from itsdangerous import URLSafeTimedSerializer

from server.errors import ApiError
from sms.links import join_token, join_url, meeting_from_token
from sms.phones import mask_phone, normalize_phone
from sms.qr import qr_svg

SECRET = "test-secret"


@pytest.mark.parametrize(
    "typed",
    [
        "090-1234-5678",
        "09012345678",
        "０９０－１２３４－５６７８",
        "+81 90 1234 5678",
        " 090 1234 5678 ",
    ],
)
def test_the_ways_hosts_type_a_mobile_number_become_one_e164_number(typed):
    assert normalize_phone(typed) == "+819012345678"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("03-1234-5678", "phone_not_mobile"),  # Tokyo landline: no SMS
        ("050-1234-5678", "phone_not_mobile"),  # IP phone
        ("090-1234", "invalid_phone"),  # too short
        ("hello", "invalid_phone"),
        ("", "invalid_phone"),
        ("+1 415 555 0100", "phone_country_not_allowed"),  # outside the allowlist
        ("+44 7911 123456", "phone_country_not_allowed"),
    ],
)
def test_numbers_sms_cannot_or_may_not_reach_are_refused_before_sending(typed, code):
    with pytest.raises(ApiError) as refused:
        normalize_phone(typed)
    assert refused.value.code == code
    assert refused.value.status == 422


def test_other_countries_can_be_allowed():
    assert normalize_phone("+1 415 555 0100", countries=("JP", "US")) == "+14155550100"


@pytest.mark.parametrize(
    ("e164", "masked"),
    [("+819012345678", "090-****-5678"), ("+817012345678", "070-****-5678")],
)
def test_numbers_are_shown_masked(e164, masked):
    assert mask_phone(e164) == masked


def test_a_join_link_names_its_meeting_and_is_short_enough_for_sms():
    url = join_url("https://support.example.com", SECRET, 42)
    token = url.rsplit("/", 1)[1]
    assert url.startswith("https://support.example.com/j/")
    assert len(url) < 80
    assert meeting_from_token(SECRET, token) == 42


def test_forged_expired_and_foreign_links_are_refused():
    token = join_token(SECRET, 42)
    with pytest.raises(ApiError) as forged:
        meeting_from_token(SECRET, token[:-2] + "xx")
    assert forged.value.code == "link_invalid"
    with pytest.raises(ApiError) as other_key:
        meeting_from_token("another-secret", token)
    assert other_key.value.code == "link_invalid"
    # A token signed for another purpose (a guest token) is not a join link.
    guest = URLSafeTimedSerializer(SECRET, salt="tsunagu.guest").dumps(42)
    with pytest.raises(ApiError) as wrong_purpose:
        meeting_from_token(SECRET, guest)
    assert wrong_purpose.value.code == "link_invalid"
    old = URLSafeTimedSerializer(SECRET, salt="tsunagu.join-link")
    stale = old.dumps(42)
    time.sleep(1.1)
    with pytest.raises(ApiError) as expired:
        meeting_from_token(SECRET, stale, minutes=0)  # any age over 0 s
    assert (expired.value.status, expired.value.code) == (410, "link_expired")


def test_a_qr_code_is_an_svg():
    svg = qr_svg("https://support.example.com/join")
    assert svg.startswith(b"<?xml") or svg.startswith(b"<svg")
    assert b"<path" in svg
