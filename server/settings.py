"""Settings: the one place that reads ``TSUNAGU_*`` environment variables.

Each setting is declared once, on :class:`Settings`: its variable, type,
default, bounds and the line the README's settings table shows for it. The
README table is generated from these declarations
(``python -m server.settings --readme README.md``) and a test fails when the
two differ.

Every setting has a default that runs on one machine with nothing else
installed. ``Settings.from_env()`` is called once by the CLI; tests build a
``Settings`` directly.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import phonenumbers
from pydantic import BeforeValidator, Field, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name)
ENV_PREFIX = "TSUNAGU_"


class SettingsError(ValueError):
    """A ``TSUNAGU_*`` variable holds a value the server cannot use."""


# How a variable's text becomes a value. Each parser takes only text (what
# the environment gives); values a test passes directly go on to pydantic
# as they are. A parser's complaint is completed with the variable's name by
# ``complaint``.


def whole_number(value: object) -> object:
    """``"8000"`` -> 8000; Python's ``int``, so ``"8000.0"`` is refused."""
    if not isinstance(value, str):
        return value
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"must be a whole number, not {value!r}") from None


def number_of(unit: str) -> BeforeValidator:
    """``"0.5"`` -> 0.5, complaining in ``unit`` (seconds, minutes)."""

    def parse(value: object) -> object:
        if not isinstance(value, str):
            return value
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"must be a number of {unit}, not {value!r}") from None

    return BeforeValidator(parse)


def flag(value: object) -> object:
    """``yes``/``no`` and the like -> a bool."""
    if not isinstance(value, str):
        return value
    word = value.strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"must be true or false, not {value!r}")


def lower_case(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def country_list(value: object) -> object:
    """``"JP, us"`` -> ``("JP", "US")``; each must be a region phonenumbers knows."""
    if not isinstance(value, str):
        return value
    codes = tuple(dict.fromkeys(part.strip().upper() for part in value.split(",") if part.strip()))
    unknown = [c for c in codes if c not in phonenumbers.SUPPORTED_REGIONS]
    if not codes or unknown:
        raise ValueError(
            "must list two-letter country codes such as JP or JP,US"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )
    return codes


def ice_urls(*schemes: str) -> BeforeValidator:
    """``"stun:a:3478, stun:b"`` -> a tuple, each checked for its scheme."""

    def parse(value: object) -> object:
        if not isinstance(value, str):
            return value
        urls = tuple(part.strip() for part in value.split(",") if part.strip())
        wrong = [url for url in urls if not url.startswith(schemes) or len(url) > 300]
        if wrong:
            raise ValueError(
                f"takes comma-separated {' or '.join(schemes)} URLs, "
                f"e.g. {schemes[0]}turn.example.com:3478; not {wrong[0]!r}"
            )
        return urls

    return BeforeValidator(parse)


WholeNumber = Annotated[int, BeforeValidator(whole_number)]
Seconds = Annotated[float, number_of("seconds")]
Minutes = Annotated[float, number_of("minutes")]
Flag = Annotated[bool, BeforeValidator(flag)]
Countries = Annotated[tuple[str, ...], BeforeValidator(country_list)]
StunUrls = Annotated[tuple[str, ...], ice_urls("stun:", "stuns:")]
TurnUrls = Annotated[tuple[str, ...], ice_urls("turn:", "turns:")]
BlobStoreKind = Annotated[Literal["local", "s3"], BeforeValidator(lower_case)]


def setting(
    default: Any,
    text: str,
    *,
    ge: float | None = None,
    le: float | None = None,
    shown: str | None = None,
    env: str | None = None,
    empty_is_a_value: bool = False,
) -> Any:
    """Declare a setting read from the environment.

    ``text`` is its line in the README table; ``shown`` replaces the default
    there when the value alone would not say what happens (an empty string,
    a number computed on this machine). ``env`` names a variable without the
    ``TSUNAGU_`` prefix (Twilio's own). An empty or blank variable means the
    default, unless ``empty_is_a_value``.
    """
    return Field(
        default,
        ge=ge,
        le=le,
        description=text,
        json_schema_extra={"env": env, "shown": shown, "empty_is_a_value": empty_is_a_value},
    )


def internal(default: Any, why: str) -> Any:
    """Declare a setting that only code sets (tests): no variable reads it."""
    return Field(default, description=why, json_schema_extra={"internal": True})


class Settings(BaseSettings):
    """Runtime configuration. Build with :meth:`from_env` or directly in tests."""

    # Frozen: one Settings is shared by every request; a changed copy comes
    # from ``replace``. Variables are read by ``Environment`` below, by their
    # exact names (``tsunagu_port`` is not TSUNAGU_PORT).
    model_config = SettingsConfigDict(frozen=True)

    data_dir: Path = setting(
        Path("data"),
        "Where the SQLite database and the generated secret key live.",
        shown="`./data`",
    )
    database_url: str = setting(
        "",
        "`sqlite+aiosqlite:///path` or `postgresql+asyncpg://user@host:5432/db`.",
        shown="SQLite file `tsunagu.db` in the data dir",
    )
    secret_key: str = setting(
        "",
        "Signs CSRF tokens and one-time messages. "
        "Set it explicitly when several instances serve one console.",
        shown="generated once into `DATA_DIR/secret_key` (mode 0600)",
    )
    public_url: str = setting(
        "",
        "The URL people use, e.g. `https://support.example.com`. "
        "Set it behind a proxy; it also goes into the snippet tag.",
        shown="the address each request came in on",
    )
    redis_url: str = setting(
        "",
        "`redis://host:6379/0`: shares live events and rate-limit counters between instances.",
        shown="unset (in-process)",
    )
    host: str = setting("127.0.0.1", "Address `tsunagu run` listens on (`--host` overrides).")
    port: WholeNumber = setting(
        8000, "Port `tsunagu run` listens on (`--port` overrides).", ge=1, le=65535
    )
    session_days: WholeNumber = setting(
        14, "A console login ends after this many days without use.", ge=1, le=365
    )
    login_attempts_per_account: WholeNumber = setting(
        5,
        "Failed logins allowed per account per window before it is locked.",
        ge=1,
        le=10**6,
    )
    login_attempts_per_address: WholeNumber = setting(
        20, "Failed logins allowed per client address per window.", ge=1, le=10**6
    )
    login_window_seconds: WholeNumber = setting(
        900, "The window for both login limits, in seconds.", ge=1, le=10**6
    )
    forwarded_allow_ips: str = setting(
        "127.0.0.1",
        "Proxies whose `X-Forwarded-For`/`-Proto` are believed (comma-separated, or `*`).",
    )
    # Transport limits (server/web/transport.py).
    header_timeout: Seconds = setting(
        10.0,
        "Seconds a client may take to send a request's line and headers (then `408`); "
        "headers over 32 KB get `431`.",
        ge=0,
        le=300,
    )
    body_timeout: Seconds = setting(
        30.0,
        "Seconds a client may pause between two chunks of a request body (then `408`).",
        ge=0,
        le=600,
    )
    number_digits: WholeNumber = setting(4, "Digits in a connection number.", ge=3, le=6)
    number_ttl: WholeNumber = setting(
        120, "Seconds a connection number stays valid.", ge=30, le=3600
    )
    claim_attempts_per_minute: WholeNumber = setting(
        10, "Wrong numbers one host may type per minute.", ge=1, le=10**6
    )
    claim_attempts_per_address: WholeNumber = setting(
        50,
        "Wrong numbers one address (an office behind one NAT) may type per minute.",
        ge=1,
        le=10**6,
    )
    number_issues_per_minute: WholeNumber = setting(
        10,
        "Numbers one address may request per minute (the pool is shared).",
        ge=1,
        le=10**6,
    )
    demo_port: WholeNumber = setting(
        8001,
        "Port of the demo shop `tsunagu run --demo` (`make run`) serves beside the console; "
        "`0` for none.",
        ge=0,
        le=65535,
    )
    # Each page the snippet's guest opens closes one socket and opens the
    # next, which must not show the host "disconnected" and "connected".
    guest_presence_grace: Seconds = setting(
        5.0,
        "Seconds a closed guest connection still counts as connected, "
        'so moving between pages shows no "disconnected".',
        ge=0,
        le=60,
    )
    # The server renews its sockets' leases several times per TTL.
    presence_ttl: Seconds = setting(
        25.0,
        "Seconds a connection's presence lease lasts unless its server renews it: "
        "after a server dies, its guests show as disconnected within this long "
        "plus one reaper round (at most 5 s): 30 s by default.",
        ge=1,
        le=3600,
    )
    meeting_idle_minutes: Minutes = setting(
        30.0,
        "A meeting whose guest and host have both been gone this long ends by itself "
        '(`ended_by: "timeout"`); `0` never. Fractions are allowed (`0.1` is 6 seconds).',
        ge=0,
        le=7 * 24 * 60,
    )
    presence_reaper: bool = internal(
        True, "Tests that drive the reaper by hand (presence.reap) turn the periodic one off."
    )
    terms_url: str = setting(
        "",
        "Your terms and privacy policy; the join page links to it beside the consent box.",
    )
    # SMS join links (issue #5). Without Twilio credentials, messages go to
    # the console outbox instead of being sent.
    twilio_account_sid: str = setting(
        "",
        "Twilio account; with it and the auth token SMS are really sent. "
        "Needs `TSUNAGU_PUBLIC_URL`.",
        shown="unset (outbox mode)",
        env="TWILIO_ACCOUNT_SID",
    )
    twilio_auth_token: str = setting(
        "",
        "The Twilio account's auth token.",
        shown="unset (outbox mode)",
        env="TWILIO_AUTH_TOKEN",
    )
    twilio_from: str = setting(
        "",
        "The sending number (this or `TWILIO_MESSAGING_SERVICE_SID` is required with Twilio).",
        env="TWILIO_FROM",
    )
    twilio_messaging_service_sid: str = setting(
        "",
        "A Twilio Messaging Service to send from instead of `TWILIO_FROM`.",
        env="TWILIO_MESSAGING_SERVICE_SID",
    )
    twilio_api_base: str = internal(
        "", "Where the Twilio client sends its requests; tests point it at a fake of Twilio."
    )
    company_name: str = setting(
        "",
        "The sender named at the start of every SMS, e.g. `山田商事`.",
        shown="`つなぐ`",
    )
    sms_countries: Countries = setting(
        ("JP",),
        "Countries SMS may go to (comma-separated ISO codes); "
        "the first is how national numbers like `090-...` are read.",
    )
    link_minutes: WholeNumber = setting(
        30, "Minutes a join link (SMS, copy, QR) stays usable.", ge=5, le=24 * 60
    )
    sms_per_number_per_10_minutes: WholeNumber = setting(
        3,
        "SMS one destination number may receive per 10 minutes, from anyone.",
        ge=1,
        le=10**6,
    )
    sms_per_host_per_hour: WholeNumber = setting(
        30, "SMS one host may send per hour.", ge=1, le=10**6
    )
    sms_per_hour: WholeNumber = setting(
        200, "SMS the whole server may send per hour.", ge=1, le=10**6
    )
    # Video (issue #6): ICE servers handed to browsers. Nothing by default:
    # on one machine or a LAN browsers reach each other directly.
    stun_urls: StunUrls = setting(
        (),
        "STUN servers for the video call, comma-separated `stun:host:3478`. "
        "Not needed on one machine or a LAN.",
    )
    turn_urls: TurnUrls = setting(
        (),
        "TURN servers (`turn:host:3478?transport=udp`, `turns:host:5349`) "
        "for guests behind networks that block direct connections.",
    )
    turn_secret: str = setting(
        "",
        "coturn's `static-auth-secret`, from which each participant gets credentials "
        "in coturn's REST scheme. Required with `TSUNAGU_TURN_URLS`.",
    )
    turn_ttl: WholeNumber = setting(
        12 * 3600,
        "Seconds the TURN credentials handed to a participant stay valid.",
        ge=600,
        le=7 * 24 * 3600,
    )
    video_audio: Flag = setting(
        False,
        "Send microphone audio with the video too (voice normally stays on the phone).",
    )
    # Issue #14 video: relay-only ICE, for networks where only the TURN
    # server may be reached (and to prove TURN works before relying on it).
    ice_relay_only: Flag = setting(
        False,
        "Browsers send video only through the TURN servers (`iceTransportPolicy: relay`), "
        "never directly; needs `TSUNAGU_TURN_URLS`.",
    )
    argon2_time_cost: int = internal(3, "Tests make password hashing cheap.")
    argon2_memory_kib: int = internal(65536, "Tests make password hashing cheap.")
    # Capture ingest (capture/ingest_pool.py).
    ingest_workers: WholeNumber = setting(
        os.cpu_count() or 1,
        "Worker processes that check and re-encode captures "
        "(decode, orientation, JPEG, thumbnail), apart from the web process.",
        ge=1,
        le=256,
        shown="number of CPUs",
    )
    ingest_queue: WholeNumber = setting(
        32,
        "Captures that may wait for a worker; one more gets `503 ingest_busy` with "
        "`Retry-After`, which the snippet waits out and sends again "
        "(same capture, same `Idempotency-Key`).",
        ge=0,
        le=10_000,
    )
    blob_store: BlobStoreKind = setting(
        "local",
        "Where captures (and later files and recordings) are kept: `local` "
        "(the data dir's `blobs/`) or `s3` (any S3-compatible store: AWS S3, MinIO, "
        "Cloudflare R2, ...). "
        "See [Stored data](#stored-data-object-storage-the-sweeper-and-retention).",
    )
    s3_bucket: str = setting("", "The bucket (required with `s3`).")
    s3_endpoint_url: str = setting(
        "",
        "The store's URL for anything but AWS, e.g. `https://minio.example.com:9000` "
        "(buckets are then addressed by path). Browsers fetch large downloads from it, "
        "so it must be reachable from the console's users.",
        shown="AWS",
    )
    s3_region: str = setting(
        "", "The bucket's region.", shown="`AWS_DEFAULT_REGION`, else `us-east-1`"
    )
    # Set but empty, the prefix is empty: blobs at the bucket's root.
    s3_prefix: str = setting(
        "blobs/",
        "Key prefix inside the bucket (ends with `/`). The sweeper only looks under it.",
        empty_is_a_value=True,
    )
    s3_access_key_id: str = setting(
        "",
        "Credentials with `TSUNAGU_S3_SECRET_ACCESS_KEY`; unset, the usual AWS chain is used "
        "(`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, `~/.aws`, an instance or task role).",
    )
    s3_secret_access_key: str = setting("", "The secret that goes with `TSUNAGU_S3_ACCESS_KEY_ID`.")
    # Larger downloads go to a presigned URL, so the web process does not
    # relay them.
    s3_redirect_bytes: WholeNumber = setting(
        1024 * 1024,
        "Downloads larger than this are redirected to a presigned URL on the store "
        "instead of passing through the server (`0`: every download).",
        ge=0,
        le=2**40,
    )
    s3_url_seconds: WholeNumber = setting(
        300, "How long a presigned URL is valid, in seconds.", ge=10, le=7 * 24 * 3600
    )
    # The sweeper: an upload writes its row well within sweep_age.
    sweep_age: Seconds = setting(
        3600.0,
        "Seconds before a blob with no row, or a temporary file, counts as left over "
        "and is removed. Keep it well above the longest upload.",
        ge=0,
        le=30 * 24 * 3600,
    )
    sweep_interval: Seconds = setting(
        3600.0,
        "Seconds between sweeps (and retention runs) after the one at start-up; "
        "`0`: at start-up only.",
        ge=0,
        le=7 * 24 * 3600,
    )
    retention_days: WholeNumber = setting(
        0,
        "Meetings that ended more than this many days ago lose their captures, memo, "
        "recordings and the names guests typed (rows and files); the meeting and its "
        "timeline stay.",
        ge=0,
        le=100 * 365,
        shown="`0` (off)",
    )
    # Recording (issue #14, server/meetings/recordings.py).
    recording_max_minutes: Minutes = setting(
        120.0,
        "A recording stops by itself after this many minutes (fractions allowed, "
        "e.g. `0.25` for 15 s in tests).",
        ge=0.05,
        le=24 * 60,
    )
    recording_lost_seconds: Seconds = setting(
        60.0,
        "A recording whose host's page sent no chunk for this many seconds is stopped "
        "and kept up to its last chunk.",
        ge=1,
        le=3600,
    )
    recording_chunk_bytes: WholeNumber = setting(
        32 * 1024 * 1024,
        "The largest chunk of a recording one upload may carry, in bytes.",
        ge=1024,
        le=1024 * 1024 * 1024,
    )
    # Waiting room and prepared meetings (issue #14).
    waiting_room_links: Flag = setting(
        True,
        "Link meetings start with the waiting room on (guests knock, the host admits); "
        "an admin can change it per host, and per site for its snippet's meetings.",
    )
    knock_again_seconds: WholeNumber = setting(
        60, "Seconds a refused guest waits before knocking again.", ge=1, le=3600
    )
    prepared_link_max_days: WholeNumber = setting(
        30, "The longest a prepared meeting's link may stay valid, in days.", ge=1, le=365
    )
    # Files sent in a meeting (issue #15, server/meetings/files.py).
    file_max_mb: WholeNumber = setting(
        50,
        "The largest file a host or a guest may send in a meeting, in MB (checked on the "
        "declared size and again while the bytes arrive).",
        ge=1,
        le=4096,
    )
    # Document share (issue #15, server/documents/).
    document_max_mb: WholeNumber = setting(
        50,
        "The largest document (PDF, PNG or JPEG) a host may upload, in MB; checked while "
        "the upload is read.",
        ge=1,
        le=2048,
    )
    document_max_pages: WholeNumber = setting(
        200, "A PDF with more pages than this is refused at upload.", ge=1, le=5000
    )
    document_max_pixels: WholeNumber = setting(
        40_000_000,
        "The most pixels an uploaded picture (PNG, JPEG) may have; more is refused at upload. "
        "A PDF's pages are drawn 1600 px on their long side whatever their size; a page over "
        "200 inches (14,400 pt, PDF's own limit) on a side is refused.",
        ge=1_000_000,
        le=400_000_000,
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only what the caller passes: ``from_env`` is the one reader of variables.

        A ``Settings`` a test builds must not pick up a ``TSUNAGU_*`` variable
        from the shell that runs the tests, nor a ``.env`` file.
        """
        return (init_settings,)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read ``TSUNAGU_*`` variables; unset ones keep their defaults.

        A value the server cannot use raises :class:`SettingsError` with one
        line naming the variable.
        """
        env = os.environ if environ is None else environ
        try:
            settings = cls(**Environment(cls, env)())
        except ValidationError as exc:
            raise SettingsError(complaint(exc, env)) from None
        return settings.resolved()

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes``, unchecked like ``dataclasses.replace``.

        Unknown names are refused, so a typo in a test does not pass silently.
        """
        unknown = sorted(set(changes) - set(type(self).model_fields))
        if unknown:
            raise TypeError(f"Settings has no {', '.join(unknown)}")
        return self.model_copy(update=changes)

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
        if self.ice_relay_only and not self.turn_urls:
            raise SettingsError(
                "TSUNAGU_ICE_RELAY_ONLY needs TSUNAGU_TURN_URLS: with no TURN server to relay "
                "through, no video could ever connect"
            )
        if self.terms_url and urlsplit(self.terms_url).scheme not in ("http", "https"):
            raise SettingsError("TSUNAGU_TERMS_URL must be an http(s) URL")
        self.check_blob_store()
        return self.replace(
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
        """An object store needs its bucket, and a usable endpoint and prefix."""
        if self.blob_store not in ("local", "s3"):
            # Only a ``replace`` can get here; a built Settings checks its type.
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
        """Whether the database is SQLite (one writer at a time)."""
        return self.database_url.startswith("sqlite")

    def url_host(self) -> str:
        """The listen host as it appears in a URL a browser can open."""
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)  # noqa: S104
        return f"[{host}]" if ":" in host and not host.startswith("[") else host

    def demo_origin(self) -> str:
        """Where ``tsunagu run --demo`` serves the demo shop."""
        return f"http://{self.url_host()}:{self.demo_port}"

    def console_url(self) -> str:
        """The URL a person opens to reach the console."""
        if self.public_url:
            return self.public_url + "/"
        return f"http://{self.url_host()}:{self.port}/"


def declared(field: FieldInfo) -> dict[str, Any]:
    """What ``setting`` and ``internal`` recorded beside pydantic's own metadata."""
    extra = field.json_schema_extra
    return extra if isinstance(extra, dict) else {}


def variable(name: str, field: FieldInfo) -> str | None:
    """The environment variable a setting is read from; None for internal ones."""
    extra = declared(field)
    if extra.get("internal"):
        return None
    return str(extra.get("env") or f"{ENV_PREFIX}{name.upper()}")


class Environment(PydanticBaseSettingsSource):
    """The settings' variables in one mapping (``os.environ``, or a test's).

    Values are stripped; an empty or blank variable counts as unset unless its
    setting says an empty value means something.
    """

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.environ = environ

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """The stripped text of the setting's variable, or None when unset."""
        name = variable(field_name, field)
        raw = self.environ.get(name) if name else None
        if raw is not None:
            raw = raw.strip()
            if not raw and not declared(field).get("empty_is_a_value"):
                raw = None
        return raw, field_name, False

    def __call__(self) -> dict[str, Any]:
        values = {}
        for field_name, field in self.settings_cls.model_fields.items():
            raw, key, _ = self.get_field_value(field, field_name)
            if raw is not None:
                values[key] = raw
        return values


def bounds(field: FieldInfo) -> tuple[Any, Any]:
    """A setting's declared ``ge`` and ``le`` (None where there is none)."""
    low = high = None
    # Field(ge=, le=) leaves them in the metadata as annotated-types' Ge and
    # Le, read here by attribute (a package we do not import ourselves).
    for rule in field.metadata:
        low = getattr(rule, "ge", low)
        high = getattr(rule, "le", high)
    return low, high


def complaint(exc: ValidationError, environ: Mapping[str, str]) -> str:
    """One line naming the first variable the server cannot use, and why."""
    error = exc.errors()[0]
    name = str(error["loc"][0])
    field = Settings.model_fields[name]
    var = variable(name, field) or name
    kind = error["type"]
    if kind in ("greater_than_equal", "less_than_equal"):
        low, high = bounds(field)
        # Whole numbers as read; other numbers as written (nan, 1e3).
        value = error["input"]
        shown = value if isinstance(value, int) else environ.get(var, "").strip()
        return f"{var} must be between {low} and {high}, not {shown}"
    if kind == "literal_error":
        allowed = " or ".join(map(str, typing.get_args(field.annotation)))
        return f"{var} must be {allowed}, not {error['input']!r}"
    if kind == "value_error":
        return f"{var} {error['ctx']['error']}"
    return f"{var}: {error['msg']}"


# The README's settings table, generated from the declarations above.

TABLE_START = (
    "<!-- settings table: generated from server/settings.py by "
    "`python -m server.settings --readme README.md`; do not edit by hand -->"
)
TABLE_END = "<!-- end of the settings table -->"


def shown_default(field: FieldInfo) -> str:
    """The Default column: the value, or what an empty one means."""
    shown = declared(field).get("shown")
    if shown:
        return str(shown)
    value = field.default
    if value in ("", ()):
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float):
        return f"`{value:g}`"
    if isinstance(value, tuple):
        return f"`{','.join(value)}`"
    return f"`{value}`"


def allowed_values(field: FieldInfo) -> str:
    """The Allowed column: bounds, or the choices of a closed list."""
    low, high = bounds(field)
    if low is not None and high is not None:
        return f"{low} to {high}"
    annotation = field.annotation
    if annotation is bool:
        return "`true` or `false`"
    if typing.get_origin(annotation) is Literal:
        return " or ".join(f"`{choice}`" for choice in typing.get_args(annotation))
    return ""


def markdown_table() -> str:
    """The README's settings table: one row per variable, in declaration order."""
    rows = [
        "| Variable | Default | Allowed | Meaning |",
        "| --- | --- | --- | --- |",
    ]
    for name, field in Settings.model_fields.items():
        var = variable(name, field)
        if var is None:
            continue
        cells = (f"`{var}`", shown_default(field), allowed_values(field), field.description)
        rows.append("| " + " | ".join(cell or "" for cell in cells) + " |")
    return "\n".join(rows) + "\n"


def readme_with_table(readme: str) -> str:
    """``readme`` with the text between the table's markers regenerated."""
    pattern = re.compile(re.escape(TABLE_START) + r"\n.*?" + re.escape(TABLE_END), re.DOTALL)
    if not pattern.search(readme):
        raise ValueError("the README has no settings table markers")
    return pattern.sub(lambda _: f"{TABLE_START}\n{markdown_table()}{TABLE_END}", readme, count=1)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m server.settings --markdown`` prints the table;
    ``--readme README.md`` rewrites it in place."""
    parser = argparse.ArgumentParser(
        prog="python -m server.settings", description="The settings table of the README."
    )
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--markdown", action="store_true", help="print the table")
    what.add_argument("--readme", type=Path, help="regenerate the table in this file")
    args = parser.parse_args(argv)
    if args.markdown:
        sys.stdout.write(markdown_table())
        return 0
    args.readme.write_text(readme_with_table(args.readme.read_text(encoding="utf-8")), "utf-8")
    return 0


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


if __name__ == "__main__":
    raise SystemExit(main())
