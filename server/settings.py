"""Settings: the one place that reads ``TSUNAGU_*`` environment variables.

Every setting has a default that runs on one machine with nothing else
installed. ``Settings.from_env()`` is called once by the CLI; tests build a
``Settings`` directly.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name)


class SettingsError(ValueError):
    """A ``TSUNAGU_*`` variable holds a value the server cannot use."""


@dataclass(frozen=True)
class Settings:
    """Runtime configuration. Build with :meth:`from_env` or directly in tests."""

    data_dir: Path = Path("data")
    database_url: str = ""
    secret_key: str = ""
    public_url: str = ""
    redis_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    session_days: int = 14
    login_attempts_per_account: int = 5
    login_attempts_per_address: int = 20
    login_window_seconds: int = 900
    forwarded_allow_ips: str = "127.0.0.1"
    number_digits: int = 4
    number_ttl: int = 120
    claim_attempts_per_minute: int = 10
    claim_attempts_per_address: int = 50
    number_issues_per_minute: int = 10
    terms_url: str = ""
    demo_port: int = 8001
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read ``TSUNAGU_*`` variables; unset ones keep their defaults."""
        env = os.environ if environ is None else environ

        def text(name: str, default: str) -> str:
            return env.get(f"TSUNAGU_{name}", "").strip() or default

        def integer(name: str, default: int, minimum: int = 1, maximum: int = 10**6) -> int:
            raw = text(name, str(default))
            try:
                value = int(raw)
            except ValueError:
                raise SettingsError(f"TSUNAGU_{name} must be a whole number, not {raw!r}") from None
            if not minimum <= value <= maximum:
                raise SettingsError(
                    f"TSUNAGU_{name} must be between {minimum} and {maximum}, not {value}"
                )
            return value

        settings = cls(
            data_dir=Path(text("DATA_DIR", "data")),
            database_url=text("DATABASE_URL", ""),
            secret_key=text("SECRET_KEY", ""),
            public_url=text("PUBLIC_URL", ""),
            redis_url=text("REDIS_URL", ""),
            host=text("HOST", "127.0.0.1"),
            port=integer("PORT", 8000, maximum=65535),
            session_days=integer("SESSION_DAYS", 14, maximum=365),
            login_attempts_per_account=integer("LOGIN_ATTEMPTS_PER_ACCOUNT", 5),
            login_attempts_per_address=integer("LOGIN_ATTEMPTS_PER_ADDRESS", 20),
            login_window_seconds=integer("LOGIN_WINDOW_SECONDS", 900),
            forwarded_allow_ips=text("FORWARDED_ALLOW_IPS", "127.0.0.1"),
            number_digits=integer("NUMBER_DIGITS", 4, minimum=3, maximum=6),
            number_ttl=integer("NUMBER_TTL", 120, minimum=30, maximum=3600),
            claim_attempts_per_minute=integer("CLAIM_ATTEMPTS_PER_MINUTE", 10),
            claim_attempts_per_address=integer("CLAIM_ATTEMPTS_PER_ADDRESS", 50),
            number_issues_per_minute=integer("NUMBER_ISSUES_PER_MINUTE", 10),
            terms_url=text("TERMS_URL", ""),
            demo_port=integer("DEMO_PORT", 8001, minimum=0, maximum=65535),
        )
        return settings.resolved()

    def resolved(self) -> Settings:
        """Fill the defaults that depend on the data dir and check the rest.

        Creates the data dir, and the secret key file on first use, so this
        is the one step with side effects; it is idempotent.
        """
        data_dir = self.data_dir.expanduser().resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        database_url = self.database_url or f"sqlite+aiosqlite:///{data_dir / 'tsunagu.db'}"
        if not database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise SettingsError(
                "TSUNAGU_DATABASE_URL must start with sqlite+aiosqlite:// or "
                f"postgresql+asyncpg://, not {database_url.split(':', 1)[0]!r}"
            )
        public_url = self.public_url.rstrip("/")
        if public_url:
            parts = urlsplit(public_url)
            if (
                parts.scheme not in ("http", "https")
                or not parts.hostname
                or "@" in parts.netloc
                or parts.query
                or parts.fragment
            ):
                raise SettingsError(
                    "TSUNAGU_PUBLIC_URL must be an http(s) URL such as https://support.example.com"
                )
        if self.terms_url and urlsplit(self.terms_url).scheme not in ("http", "https"):
            raise SettingsError("TSUNAGU_TERMS_URL must be an http(s) URL")
        return replace(
            self,
            data_dir=data_dir,
            database_url=database_url,
            secret_key=self.secret_key or load_or_create_secret_key(data_dir),
            public_url=public_url,
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def url_host(self) -> str:
        """The listen host as it appears in a URL a browser can open."""
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)  # noqa: S104
        return f"[{host}]" if ":" in host and not host.startswith("[") else host

    def demo_origin(self) -> str:
        """Where ``tsunagu run`` serves the demo shop."""
        return f"http://{self.url_host()}:{self.demo_port}"

    def console_url(self) -> str:
        """The URL a person opens to reach the console."""
        if self.public_url:
            return self.public_url + "/"
        return f"http://{self.url_host()}:{self.port}/"


def load_or_create_secret_key(data_dir: Path) -> str:
    """Return the secret kept in ``data_dir``, creating it (mode 0600) once.

    ``O_EXCL`` makes creation atomic, so two processes starting together on
    a fresh data dir still end up with one key.
    """
    path = data_dir / SECRET_KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text().strip()
        if not key:
            raise SettingsError(f"{path} is empty; delete it to generate a new key") from None
        return key
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key
