"""Settings: defaults that run on one machine, and a secret kept across restarts."""

from __future__ import annotations

import stat
import subprocess
import sys

import pytest

from server.settings import Settings, SettingsError, markdown_table, readme_with_table, variable
from server.web.app import create_app
from tests.conftest import csrf_token, http_client, log_in
from tests.live_server import ROOT


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
        ("TSUNAGU_PORT", "8000.0", "TSUNAGU_PORT must be a whole number, not '8000.0'"),
        ("TSUNAGU_DEMO_PORT", "70000", "TSUNAGU_DEMO_PORT must be between 0 and 65535"),
        ("TSUNAGU_VIDEO_AUDIO", "maybe", "TSUNAGU_VIDEO_AUDIO must be true or false"),
        ("TSUNAGU_BLOB_STORE", "ftp", "TSUNAGU_BLOB_STORE must be local or s3, not 'ftp'"),
        ("TSUNAGU_STUN_URLS", "turn:x", "TSUNAGU_STUN_URLS takes comma-separated stun:"),
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
    restarted = create_app(settings.replace(secret_key="").resolved())
    async with restarted.router.lifespan_context(restarted), http_client(restarted) as after:
        after.cookies = cookies
        created = await after.post("/account/tokens", data={"name": "crm", "csrf_token": token})
    assert created.status_code == 201


def test_blank_variables_mean_the_default_but_an_empty_s3_prefix_means_the_bucket_root(
    settings_env,
):
    blank = Settings.from_env(settings_env(TSUNAGU_PORT=" ", TSUNAGU_S3_PREFIX=" "))
    assert (blank.port, blank.s3_prefix) == (8000, "")
    assert Settings.from_env(settings_env()).s3_prefix == "blobs/"


def test_settings_built_in_code_ignore_the_shells_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("TSUNAGU_PORT", "9999")
    monkeypatch.setenv("TSUNAGU_DATA_DIR", str(tmp_path))
    assert Settings(data_dir=tmp_path).port == 8000
    assert Settings.from_env({"TSUNAGU_DATA_DIR": str(tmp_path)}).port == 8000
    assert Settings.from_env().port == 9999


def test_unset_variables_give_the_declared_defaults(settings_env):
    """The defaults the README table shows are the ones the server runs with."""
    read = Settings.from_env(settings_env())
    resolved_later = {"data_dir", "database_url", "secret_key"}
    for name, field in Settings.model_fields.items():
        if variable(name, field) and name not in resolved_later:
            assert getattr(read, name) == field.default, name


def test_the_readme_settings_table_is_the_one_the_declarations_give():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == readme_with_table(readme), (
        "README.md's settings table differs from server/settings.py: "
        "run `python -m server.settings --readme README.md`"
    )
    for name, field in Settings.model_fields.items():
        if variable(name, field):
            assert f"| `{variable(name, field)}` |" in readme, name
            assert field.description, f"{name} has no README text"


def test_the_table_is_regenerated_from_the_command_line(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stale = tmp_path / "README.md"
    stale.write_text(readme.replace("| `TSUNAGU_PORT` | `8000` |", "| `TSUNAGU_PORT` | `80` |"))
    assert stale.read_text(encoding="utf-8") != readme

    subprocess.run(
        [sys.executable, "-m", "server.settings", "--readme", str(stale)], cwd=ROOT, check=True
    )
    assert stale.read_text(encoding="utf-8") == readme
    printed = subprocess.run(
        [sys.executable, "-m", "server.settings", "--markdown"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    assert printed.stdout == markdown_table()
    assert "| `TWILIO_AUTH_TOKEN` |" in printed.stdout


def test_replace_refuses_a_setting_that_does_not_exist(settings):
    assert settings.replace(port=9000).port == 9000
    with pytest.raises(TypeError, match="no prot"):
        settings.replace(prot=9000)
