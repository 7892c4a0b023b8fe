"""ICE servers for video: STUN as configured, TURN with coturn's REST credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from server.live.ice import ice_servers, turn_credentials
from server.settings import Settings, SettingsError


def test_nothing_external_by_default(settings_env):
    settings = Settings.from_env(settings_env())
    assert ice_servers(settings, "guest-1") == []
    assert settings.video_audio is False


def test_turn_credentials_follow_coturns_rest_scheme(settings_env):
    settings = Settings.from_env(
        settings_env(
            TSUNAGU_STUN_URLS="stun:stun.example.jp:3478",
            TSUNAGU_TURN_URLS="turn:turn.example.jp:3478?transport=udp, turns:turn.example.jp:5349",
            TSUNAGU_TURN_SECRET="north",
            TSUNAGU_TURN_TTL="3600",
        )
    )

    stun, turn = ice_servers(settings, "guest-17", now=1_800_000_000)

    assert stun == {"urls": ["stun:stun.example.jp:3478"]}
    assert turn["urls"] == [
        "turn:turn.example.jp:3478?transport=udp",
        "turns:turn.example.jp:5349",
    ]
    # username "<expiry unix time>:<participant id>", password
    # base64(HMAC-SHA1(secret, username)): what coturn's use-auth-secret checks.
    assert turn["username"] == "1800003600:guest-17"
    expected = hmac.new(b"north", b"1800003600:guest-17", hashlib.sha1).digest()
    assert base64.b64decode(turn["credential"]) == expected
    assert len(expected) == 20


def test_each_participant_gets_their_own_credential():
    assert turn_credentials("s", "host-1", 100) != turn_credentials("s", "guest-2", 100)
    assert turn_credentials("s", "host-1", 100) != turn_credentials("s", "host-1", 101)


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"TSUNAGU_TURN_URLS": "turn:t.example:3478"}, "TSUNAGU_TURN_SECRET"),
        ({"TSUNAGU_STUN_URLS": "http://stun.example"}, "TSUNAGU_STUN_URLS"),
        ({"TSUNAGU_TURN_URLS": "stun:t.example", "TSUNAGU_TURN_SECRET": "x"}, "TSUNAGU_TURN_URLS"),
        ({"TSUNAGU_VIDEO_AUDIO": "maybe"}, "TSUNAGU_VIDEO_AUDIO"),
        # The README's bounds: 10 minutes to 7 days.
        ({"TSUNAGU_TURN_TTL": "599"}, "TSUNAGU_TURN_TTL"),
        ({"TSUNAGU_TURN_TTL": str(7 * 24 * 3600 + 1)}, "TSUNAGU_TURN_TTL"),
        # Relay only with nothing to relay through: no video could connect.
        ({"TSUNAGU_ICE_RELAY_ONLY": "true"}, "TSUNAGU_ICE_RELAY_ONLY"),
    ],
)
def test_wrong_ice_settings_are_named(settings_env, values, named):
    with pytest.raises(SettingsError, match=named):
        Settings.from_env(settings_env(**values))


def test_the_turn_ttls_bounds_are_accepted(settings_env):
    for ttl in (600, 7 * 24 * 3600):
        settings = Settings.from_env(
            settings_env(
                TSUNAGU_TURN_URLS="turn:t.example:3478",
                TSUNAGU_TURN_SECRET="x",
                TSUNAGU_TURN_TTL=str(ttl),
                TSUNAGU_ICE_RELAY_ONLY="true",
            )
        )
        assert settings.turn_ttl == ttl
        assert settings.ice_relay_only is True
