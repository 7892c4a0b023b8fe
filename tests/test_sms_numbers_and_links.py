"""SMS building blocks: phone numbers, the body and its cost, signed join
links, QR codes, and the settings that turn Twilio on."""

from __future__ import annotations

import time

import pytest
from itsdangerous import URLSafeTimedSerializer

from server.settings import Settings, SettingsError
from server.web.errors import ApiError
from sms.body import compose, segments
from sms.links import join_token, join_url, link_id_from_token, signed_link_id
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


def test_a_join_link_names_its_link_row_and_is_short_enough_for_sms():
    url = join_url("https://support.example.com", SECRET, 42)
    token = url.rsplit("/", 1)[1]
    assert url.startswith("https://support.example.com/j/")
    assert len(url) < 80
    assert link_id_from_token(SECRET, token) == 42


def test_forged_expired_and_foreign_links_are_refused():
    token = join_token(SECRET, 42)
    with pytest.raises(ApiError) as forged:
        link_id_from_token(SECRET, token[:-2] + "xx")
    assert forged.value.code == "link_invalid"
    with pytest.raises(ApiError) as other_key:
        link_id_from_token("another-secret", token)
    assert other_key.value.code == "link_invalid"
    # A token signed for another purpose (a guest token) is not a join link.
    guest = URLSafeTimedSerializer(SECRET, salt="tsunagu.guest").dumps(42)
    with pytest.raises(ApiError) as wrong_purpose:
        link_id_from_token(SECRET, guest)
    assert wrong_purpose.value.code == "link_invalid"
    old = URLSafeTimedSerializer(SECRET, salt="tsunagu.join-link")
    stale = old.dumps(42)
    time.sleep(1.1)
    with pytest.raises(ApiError) as expired:
        link_id_from_token(SECRET, stale, minutes=0)  # any age over 0 s
    assert (expired.value.status, expired.value.code) == (410, "link_expired")
    # Genuine but old: still ours, so a guest already in can be let back in.
    assert signed_link_id(SECRET, stale) == 42
    with pytest.raises(ApiError):
        signed_link_id(SECRET, token[:-2] + "xx")
    with pytest.raises(ApiError):
        signed_link_id(SECRET, "x" * 500)


def test_a_qr_code_is_an_svg():
    svg = qr_svg("https://support.example.com/join")
    assert svg.startswith(b"<?xml") or svg.startswith(b"<svg")
    assert b"<path" in svg


@pytest.mark.parametrize(
    ("body", "count"),
    [
        ("a" * 160, 1),  # GSM 7-bit: 160 in one
        ("a" * 161, 2),  # 153 per part once split
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("{" * 80, 1),  # extension characters take two septets
        ("{" * 81, 2),
        ("あ" * 70, 1),  # UCS-2: 70 in one
        ("あ" * 71, 2),  # 67 per part once split
        ("あ" * 134, 2),
        ("あ" * 135, 3),
        ("a" * 69 + "😀", 2),  # an emoji is two UTF-16 units
    ],
)
def test_segments_are_counted_as_carriers_bill_them(body, count):
    assert segments(body) == count


def test_the_body_names_the_sender_and_carries_the_link_and_its_validity():
    link = "https://support.example.jp/j/MQ.aAbBcC.0123456789abcdefghijklmnopq"
    body = compose("山田商事", link, 30)
    assert body.startswith("【山田商事】")
    assert "30分有効" in body
    assert body.endswith(link)
    assert segments(body) == 2  # what the console shows the host
    assert compose("", link, 30).startswith("【つなぐ】")


def test_without_twilio_credentials_sms_go_to_the_outbox(settings_env):
    assert not Settings.from_env(settings_env()).sms_enabled


def test_twilio_needs_all_its_settings_and_a_public_url(settings_env):
    full = settings_env(
        TWILIO_ACCOUNT_SID="AC123",
        TWILIO_AUTH_TOKEN="secret",
        TWILIO_FROM="+15005550006",
        TSUNAGU_PUBLIC_URL="https://support.example.jp",
    )
    assert Settings.from_env(full).sms_enabled
    with pytest.raises(SettingsError, match="TWILIO_AUTH_TOKEN"):
        Settings.from_env({k: v for k, v in full.items() if k != "TWILIO_AUTH_TOKEN"})
    with pytest.raises(SettingsError, match="TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID"):
        Settings.from_env({k: v for k, v in full.items() if k != "TWILIO_FROM"})
    with pytest.raises(SettingsError, match="TSUNAGU_PUBLIC_URL"):
        Settings.from_env({k: v for k, v in full.items() if k != "TSUNAGU_PUBLIC_URL"})


def test_sms_countries_are_read_as_region_codes(settings_env):
    settings = Settings.from_env(settings_env(TSUNAGU_SMS_COUNTRIES="jp, us"))
    assert settings.sms_countries == ("JP", "US")
    assert settings.sms_region == "JP"
    with pytest.raises(SettingsError, match="unknown: XX"):
        Settings.from_env(settings_env(TSUNAGU_SMS_COUNTRIES="JP,XX"))
