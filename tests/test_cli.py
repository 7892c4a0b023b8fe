"""The `tsunagu` command, run as a person runs it."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import httpx
import pytest

from tests.live_server import ROOT, start_server


def tsunagu(data_dir, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TSUNAGU_")}
    environ["TSUNAGU_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        cwd=ROOT,
        env=environ,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["run"],
        ["migrate"],
        ["user", "create"],
        ["user", "reset-password"],
        ["token", "create"],
        ["site", "add"],
        ["site", "list"],
    ],
)
def test_every_command_explains_itself(tmp_path, command):
    result = tsunagu(tmp_path, *command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: tsunagu")
    assert len(result.stdout.splitlines()) > 3


def test_admin_sets_up_users_tokens_and_sites_from_the_shell(tmp_path):
    migrated = tsunagu(tmp_path, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert (tmp_path / "tsunagu.db").exists()

    generated = tsunagu(tmp_path, "user", "create", "Sato", "--role", "admin")
    assert generated.returncode == 0, generated.stderr
    assert "Created admin sato." in generated.stdout
    assert "Password (shown once): " in generated.stdout

    chosen = tsunagu(
        tmp_path, "user", "create", "suzuki", "--password-stdin", stdin="a chosen secret\n"
    )
    assert chosen.returncode == 0
    assert "Password" not in chosen.stdout

    duplicate = tsunagu(tmp_path, "user", "create", "sato")
    assert duplicate.returncode == 1
    assert "already taken" in duplicate.stderr

    forgotten = tsunagu(tmp_path, "user", "reset-password", "SATO")
    assert forgotten.returncode == 0, forgotten.stderr
    assert "New password set for sato" in forgotten.stdout
    assert "Password (shown once): " in forgotten.stdout
    too_short = tsunagu(
        tmp_path, "user", "reset-password", "sato", "--password-stdin", stdin="short\n"
    )
    assert too_short.returncode == 1
    assert "at least 10 characters" in too_short.stderr

    token = tsunagu(tmp_path, "token", "create", "sato", "--name", "crm")
    assert token.returncode == 0
    assert token.stdout.strip().startswith("tsu_")
    assert "shown only once" in token.stderr
    missing = tsunagu(tmp_path, "token", "create", "nobody")
    assert missing.returncode == 1
    assert "No such user" in missing.stderr

    added = tsunagu(
        tmp_path,
        "site",
        "add",
        "Shop",
        "--origin",
        "https://shop.example/",
        "--origin",
        "http://localhost:3000",
        "--unmask",
        " input[type=email] ",
        "--unmask",
        "#order-id",
    )
    assert added.returncode == 0, added.stderr
    assert "Unmasked: input[type=email], #order-id" in added.stdout
    key = next(
        line.split()[-1] for line in added.stdout.splitlines() if line.startswith("Site key:")
    )
    assert f'data-site-key="{key}"' in added.stdout
    assert "https://shop.example, http://localhost:3000" in added.stdout

    refused = tsunagu(tmp_path, "site", "add", "Bad", "--origin", "shop.example")
    assert refused.returncode == 1
    assert "is not an origin" in refused.stderr
    pasted_rule = tsunagu(
        tmp_path, "site", "add", "Bad", "--origin", "https://b.example", "--unmask", "#a { x: y }"
    )
    assert pasted_rule.returncode == 1
    assert "not a whole CSS rule" in pasted_rule.stderr

    listed = tsunagu(tmp_path, "site", "list")
    assert key in listed.stdout
    assert "Bad" not in listed.stdout


def test_bad_settings_stop_the_command_with_a_clear_message(tmp_path):
    environ = {**os.environ, "TSUNAGU_DATA_DIR": str(tmp_path), "TSUNAGU_PORT": "eighty"}
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "migrate"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "TSUNAGU_PORT must be a whole number" in result.stderr


def test_first_run_prints_the_admin_password_once_and_a_second_run_keeps_everything(tmp_path):
    first = start_server(tmp_path)
    try:
        password = first.first_run_password()
        output = first.output()
        assert "login:    admin" in output
        assert "Demo site: Demo shop" in output
        assert password not in ("admin", "password")
        with httpx.Client(base_url=first.url) as browser:
            assert (
                browser.post("/login", data={"username": "admin", "password": password}).status_code
                == 303
            )
        # The demo shop is up on its own origin, with the snippet for the demo site.
        site_key = re.search(r"site key (pk_[\w-]+)", output)[1]
        assert f"Demo shop with the snippet: {first.demo_url}/" in output
        shop = httpx.get(first.demo_url + "/checkout")
        assert shop.status_code == 200
        assert f'src="{first.url}/embed/snippet.js" data-site-key="{site_key}"' in shop.text
        assert 'type="password"' in shop.text
        assert 'autocomplete="cc-number"' in shop.text
    finally:
        first.stop()

    second = start_server(tmp_path)
    try:
        assert "password:" not in second.output()
        with httpx.Client(base_url=second.url) as browser:
            assert (
                browser.post("/login", data={"username": "admin", "password": password}).status_code
                == 303
            )
            sites = browser.get("/api/v1/sites").json()["sites"]
        assert [s["name"] for s in sites] == ["Demo shop"]
    finally:
        second.stop()


def test_a_production_first_run_makes_the_admin_but_no_demo_site_or_shop(tmp_path):
    server = start_server(tmp_path, demo=False)
    try:
        output = server.output()
        password = server.first_run_password()
        assert "First run: an admin account was created." in output
        assert "Demo" not in output
        with httpx.Client(base_url=server.url) as browser:
            assert (
                browser.post("/login", data={"username": "admin", "password": password}).status_code
                == 303
            )
            # No site at all, so no origin (the demo shop's least of all) may
            # embed the snippet or ask for a connection number.
            assert browser.get("/api/v1/sites").json()["sites"] == []
        with pytest.raises(httpx.ConnectError):
            httpx.get(server.demo_url + "/", timeout=2)
    finally:
        server.stop()
