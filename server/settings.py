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

import phonenumbers

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
    # Seconds a closed guest socket still counts as connected: each page
    # the snippet's guest opens closes one socket and opens the next, which
    # must not show the host "disconnected" and "connected" every time.
    guest_presence_grace: float = 5.0
    # Seconds a live socket's presence lease lasts unless its server renews
    # it (several times per TTL): a crashed server's guests show as
    # disconnected within about this long.
    presence_ttl: float = 25.0
    # A meeting whose guest and host have both been gone this long ends by
    # itself (ended_by "timeout"); 0 never. Fractions are allowed (tests).
    meeting_idle_minutes: float = 30.0
    # Tests that drive the reaper by hand (presence.reap) turn the periodic
    # one off. Not read from the environment.
    presence_reaper: bool = True
    terms_url: str = ""
    demo_port: int = 8001
    # SMS join links (issue #5). Without Twilio credentials, messages go to
    # the console outbox instead of being sent.
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from: str = ""
    twilio_messaging_service_sid: str = ""
    # Where the Twilio client sends its requests; tests point it at a local
    # fake of Twilio's API. Not read from the environment.
    twilio_api_base: str = ""
    sms_countries: tuple[str, ...] = ("JP",)
    company_name: str = ""
    link_minutes: int = 30
    sms_per_host_per_hour: int = 30
    sms_per_number_per_10_minutes: int = 3
    sms_per_hour: int = 200
    # Video (issue #6): ICE servers handed to browsers. Nothing by default:
    # on one machine or a LAN browsers reach each other directly.
    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_secret: str = ""
    turn_ttl: int = 12 * 3600
    video_audio: bool = False
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    # Transport limits (server/transport.py): seconds a client may take to
    # send its request headers, and to send each next chunk of a body.
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    # Capture ingest (decode and re-encode) runs in this many worker
    # processes; uploads beyond their work plus ingest_queue waiting get
    # 503 with Retry-After (capture/ingest_pool.py).
    ingest_workers: int = os.cpu_count() or 1
    ingest_queue: int = 32
    # Where blobs (captures; later files and recordings) are kept: "local"
    # (the data dir's blobs/ folder) or "s3" (any S3-compatible store).
    blob_store: str = "local"
    s3_bucket: str = ""
    s3_endpoint_url: str = ""
    s3_region: str = ""
    s3_prefix: str = "blobs/"
    # Empty: boto3's usual chain (AWS_* variables, ~/.aws, an instance role).
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    # Downloads larger than this redirect to a presigned URL valid for
    # s3_url_seconds, so the web process does not relay them.
    s3_redirect_bytes: int = 1024 * 1024
    s3_url_seconds: int = 300
    # The sweeper: blobs with no row and temporary files are removed once
    # older than sweep_age seconds (an upload writes its row well within
    # that), at start-up and every sweep_interval seconds.
    sweep_age: float = 3600.0
    sweep_interval: float = 3600.0
    # Ended meetings older than this many days lose their data; 0: kept.
    retention_days: int = 0

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

        def seconds(
            name: str, default: float, maximum: float, minimum: float = 0, unit: str = "seconds"
        ) -> float:
            raw = text(name, str(default))
            try:
                value = float(raw)
            except ValueError:
                raise SettingsError(
                    f"TSUNAGU_{name} must be a number of {unit}, not {raw!r}"
                ) from None
            if not minimum <= value <= maximum:  # NaN fails this too
                raise SettingsError(
                    f"TSUNAGU_{name} must be between {minimum:g} and {maximum}, not {raw}"
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
            guest_presence_grace=seconds("GUEST_PRESENCE_GRACE", 5.0, maximum=60),
            presence_ttl=seconds("PRESENCE_TTL", 25.0, minimum=1, maximum=3600),
            meeting_idle_minutes=seconds(
                "MEETING_IDLE_MINUTES", 30.0, maximum=7 * 24 * 60, unit="minutes"
            ),
            terms_url=text("TERMS_URL", ""),
            demo_port=integer("DEMO_PORT", 8001, minimum=0, maximum=65535),
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID", "").strip(),
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN", "").strip(),
            twilio_from=env.get("TWILIO_FROM", "").strip(),
            twilio_messaging_service_sid=env.get("TWILIO_MESSAGING_SERVICE_SID", "").strip(),
            sms_countries=country_list(text("SMS_COUNTRIES", "JP")),
            company_name=text("COMPANY_NAME", ""),
            link_minutes=integer("LINK_MINUTES", 30, minimum=5, maximum=24 * 60),
            sms_per_host_per_hour=integer("SMS_PER_HOST_PER_HOUR", 30),
            sms_per_number_per_10_minutes=integer("SMS_PER_NUMBER_PER_10_MINUTES", 3),
            sms_per_hour=integer("SMS_PER_HOUR", 200),
            stun_urls=ice_urls("STUN_URLS", text("STUN_URLS", ""), ("stun:", "stuns:")),
            turn_urls=ice_urls("TURN_URLS", text("TURN_URLS", ""), ("turn:", "turns:")),
            turn_secret=text("TURN_SECRET", ""),
            turn_ttl=integer("TURN_TTL", 12 * 3600, minimum=600, maximum=7 * 24 * 3600),
            video_audio=flag("VIDEO_AUDIO", text("VIDEO_AUDIO", "false")),
            header_timeout=seconds("HEADER_TIMEOUT", 10.0, maximum=300),
            body_timeout=seconds("BODY_TIMEOUT", 30.0, maximum=600),
            ingest_workers=integer("INGEST_WORKERS", os.cpu_count() or 1, maximum=256),
            ingest_queue=integer("INGEST_QUEUE", 32, minimum=0, maximum=10_000),
            blob_store=text("BLOB_STORE", "local").lower(),
            s3_bucket=text("S3_BUCKET", ""),
            s3_endpoint_url=text("S3_ENDPOINT_URL", ""),
            s3_region=text("S3_REGION", ""),
            s3_prefix=env.get("TSUNAGU_S3_PREFIX", "blobs/").strip(),
            s3_access_key_id=text("S3_ACCESS_KEY_ID", ""),
            s3_secret_access_key=text("S3_SECRET_ACCESS_KEY", ""),
            s3_redirect_bytes=integer("S3_REDIRECT_BYTES", 1024 * 1024, minimum=0, maximum=2**40),
            s3_url_seconds=integer("S3_URL_SECONDS", 300, minimum=10, maximum=7 * 24 * 3600),
            sweep_age=seconds("SWEEP_AGE", 3600.0, maximum=30 * 24 * 3600),
            sweep_interval=seconds("SWEEP_INTERVAL", 3600.0, maximum=7 * 24 * 3600),
            retention_days=integer("RETENTION_DAYS", 0, minimum=0, maximum=100 * 365),
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
        self.check_twilio(public_url)
        if self.turn_urls and not self.turn_secret:
            raise SettingsError(
                "TSUNAGU_TURN_SECRET must be set with TSUNAGU_TURN_URLS (the shared secret "
                "of coturn's use-auth-secret / static-auth-secret)"
            )
        if self.terms_url and urlsplit(self.terms_url).scheme not in ("http", "https"):
            raise SettingsError("TSUNAGU_TERMS_URL must be an http(s) URL")
        self.check_blob_store()
        return replace(
            self,
            data_dir=data_dir,
            database_url=database_url,
            secret_key=self.secret_key or load_or_create_secret_key(data_dir),
            public_url=public_url,
        )

    def check_twilio(self, public_url: str) -> None:
        """Twilio is all or nothing: a half-configured account must not fall
        back to the outbox silently, and links must reach the guest's phone."""
        given = {
            "TWILIO_ACCOUNT_SID": self.twilio_account_sid,
            "TWILIO_AUTH_TOKEN": self.twilio_auth_token,
            "TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID": self.twilio_from
            or self.twilio_messaging_service_sid,
        }
        if not any(given.values()):
            return
        missing = [name for name, value in given.items() if not value]
        if missing:
            raise SettingsError(f"Twilio is half configured: set {' and '.join(missing)} too")
        if not public_url:
            raise SettingsError(
                "TSUNAGU_PUBLIC_URL must be set when Twilio is configured: SMS links and "
                "Twilio's status callbacks need the address the internet reaches this server at"
            )

    def check_blob_store(self) -> None:
        if self.blob_store not in ("local", "s3"):
            raise SettingsError(f"TSUNAGU_BLOB_STORE must be local or s3, not {self.blob_store!r}")
        if self.blob_store != "s3":
            return
        if not self.s3_bucket:
            raise SettingsError("TSUNAGU_S3_BUCKET must be set when TSUNAGU_BLOB_STORE=s3")
        endpoint = urlsplit(self.s3_endpoint_url)
        if self.s3_endpoint_url and (
            endpoint.scheme not in ("http", "https") or not endpoint.hostname
        ):
            raise SettingsError(
                "TSUNAGU_S3_ENDPOINT_URL must be an http(s) URL such as https://minio.example.com:9000"
            )
        if self.s3_prefix and not self.s3_prefix.endswith("/"):
            raise SettingsError("TSUNAGU_S3_PREFIX must end with / (e.g. tsunagu/blobs/)")

    @property
    def sms_enabled(self) -> bool:
        """Real SMS through Twilio; otherwise the development outbox."""
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def sms_region(self) -> str:
        """How national-format numbers are read: the first allowed country."""
        return self.sms_countries[0]

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


def country_list(raw: str) -> tuple[str, ...]:
    """``"JP, us"`` -> ``("JP", "US")``; each must be a region phonenumbers knows."""
    codes = tuple(dict.fromkeys(part.strip().upper() for part in raw.split(",") if part.strip()))
    unknown = [c for c in codes if c not in phonenumbers.SUPPORTED_REGIONS]
    if not codes or unknown:
        raise SettingsError(
            "TSUNAGU_SMS_COUNTRIES must list two-letter country codes such as JP or JP,US"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )
    return codes


def ice_urls(name: str, raw: str, schemes: tuple[str, ...]) -> tuple[str, ...]:
    """``"stun:a:3478, stun:b"`` -> a tuple, each checked for its scheme."""
    urls = tuple(part.strip() for part in raw.split(",") if part.strip())
    wrong = [url for url in urls if not url.startswith(schemes) or len(url) > 300]
    if wrong:
        raise SettingsError(
            f"TSUNAGU_{name} takes comma-separated {' or '.join(schemes)} URLs, "
            f"e.g. {schemes[0]}turn.example.com:3478; not {wrong[0]!r}"
        )
    return urls


def flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"TSUNAGU_{name} must be true or false, not {raw!r}")


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
