"""Settings: defaults that run on one machine, and a secret kept across restarts."""

from __future__ import annotations

import stat
from dataclasses import replace

import pytest

from server.settings import Settings, SettingsError
from server.web.app import create_app
from tests.conftest import csrf_token, http_client, log_in


def test_secret_key_is_generated_once_with_private_mode_and_reused(tmp_path):
    first = Settings(data_dir=tmp_path).resolved()
    second = Settings.from_env({"TSUNAGU_DATA_DIR": str(tmp_path)})

    assert len(first.secret_key) >= 40
    assert second.secret_key == first.secret_key
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_configured_secret_key_wins_and_no_file_is_written(tmp_path):
    settings = Settings.from_env(
        {"TSUNAGU_DATA_DIR": str(tmp_path), "TSUNAGU_SECRET_KEY": "from-the-environment"}
    )
    assert settings.secret_key == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_defaults_put_a_sqlite_database_in_the_data_dir(tmp_path):
    settings = Settings.from_env({"TSUNAGU_DATA_DIR": str(tmp_path / "d")})
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'd' / 'tsunagu.db'}"
    assert settings.console_url() == "http://127.0.0.1:8000/"
    assert settings.redis_url == ""


def test_the_guest_presence_grace_is_five_seconds_unless_set(settings_env):
    assert Settings.from_env(settings_env()).guest_presence_grace == 5
    assert (
        Settings.from_env(settings_env(TSUNAGU_GUEST_PRESENCE_GRACE="0.5")).guest_presence_grace
        == 0.5
    )
    assert (
        Settings.from_env(settings_env(TSUNAGU_GUEST_PRESENCE_GRACE="0")).guest_presence_grace == 0
    )


def test_presence_leases_last_30_seconds_and_meetings_end_after_30_idle_minutes(settings_env):
    defaults = Settings.from_env(settings_env())
    assert (defaults.presence_ttl, defaults.meeting_idle_minutes) == (25, 30)
    tuned = Settings.from_env(
        settings_env(TSUNAGU_PRESENCE_TTL="2", TSUNAGU_MEETING_IDLE_MINUTES="0.1")
    )
    assert (tuned.presence_ttl, tuned.meeting_idle_minutes) == (2, 0.1)
    never = Settings.from_env(settings_env(TSUNAGU_MEETING_IDLE_MINUTES="0"))
    assert never.meeting_idle_minutes == 0


@pytest.mark.parametrize(
    ("variable", "value", "complaint"),
    [
        ("TSUNAGU_PORT", "eighty", "TSUNAGU_PORT must be a whole number"),
        ("TSUNAGU_SESSION_DAYS", "0", "TSUNAGU_SESSION_DAYS must be between 1 and 365"),
        ("TSUNAGU_SESSION_DAYS", "3000000", "TSUNAGU_SESSION_DAYS must be between 1 and 365"),
        ("TSUNAGU_DATABASE_URL", "mysql://x/y", "TSUNAGU_DATABASE_URL must start with"),
        ("TSUNAGU_PUBLIC_URL", "support.example.com", "TSUNAGU_PUBLIC_URL must be an http(s)"),
        ("TSUNAGU_PUBLIC_URL", "https://u:p@support.example", "TSUNAGU_PUBLIC_URL must be an"),
        ("TSUNAGU_TERMS_URL", "javascript:alert(1)", "TSUNAGU_TERMS_URL must be an http"),
        ("TSUNAGU_GUEST_PRESENCE_GRACE", "soon", "must be a number of seconds, not 'soon'"),
        ("TSUNAGU_GUEST_PRESENCE_GRACE", "-1", "must be between 0 and 60, not -1"),
        ("TSUNAGU_GUEST_PRESENCE_GRACE", "nan", "must be between 0 and 60, not nan"),
        ("TSUNAGU_PRESENCE_TTL", "0", "must be between 1 and 3600, not 0"),
        ("TSUNAGU_MEETING_IDLE_MINUTES", "soon", "must be a number of minutes, not 'soon'"),
        ("TSUNAGU_MEETING_IDLE_MINUTES", "-5", "must be between 0 and 10080, not -5"),
    ],
)
def test_unusable_settings_are_refused_naming_the_variable(tmp_path, variable, value, complaint):
    with pytest.raises(SettingsError, match=complaint.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env({"TSUNAGU_DATA_DIR": str(tmp_path), variable: value})


async def test_open_console_form_still_works_after_a_restart(app, settings, make_user):
    """The generated key is reused, so a form loaded before a restart still posts."""
    await make_user("tanaka")
    async with http_client(app) as before:
        assert (await log_in(before, "tanaka")).status_code == 303
        token = await csrf_token(before, "/account")
        cookies = before.cookies

    # A restart reads the settings again, with no secret key configured.
    restarted = create_app(replace(settings, secret_key="").resolved())
    async with restarted.router.lifespan_context(restarted), http_client(restarted) as after:
        after.cookies = cookies
        created = await after.post("/account/tokens", data={"name": "crm", "csrf_token": token})
    assert created.status_code == 201
