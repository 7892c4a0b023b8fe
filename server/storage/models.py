"""Database tables. One declarative class per noun; the functions that read
and write each noun live in the module named after it (``users.py``,
``sites.py``, ...)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    SQLite keeps no zone, so values come back naive; this puts UTC back so
    comparisons with ``datetime.now(UTC)`` never mix naive and aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# The longest guest label a host may set (a name and an honorific, a note).
GUEST_LABEL_LENGTH = 60


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    # Named constraints so Alembic can alter them later, on SQLite too.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Stored lower-cased: "Tanaka" and "tanaka" are one account.
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="host")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Whether this host's link meetings start with the waiting room on; none:
    # the server's default (TSUNAGU_WAITING_ROOM_LINKS). Set by an admin.
    waiting_room_default: Mapped[bool | None] = mapped_column(Boolean, nullable=True)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def label(self) -> str:
        return self.display_name or self.username


class LoginSession(Base):
    """A console login. The cookie carries a random token; only its SHA-256
    is stored, so a copy of the database cannot be replayed as a cookie."""

    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    address: Mapped[str] = mapped_column(String(64), default="")

    user: Mapped[User] = relationship(lazy="joined")

    # Set (not stored) when this request slid the expiry forward, so the
    # cookie's own lifetime is renewed with it.
    refreshed: bool = False


class ApiToken(Base):
    """A personal API token for integrations, shown once and stored hashed."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, kept so a person can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship(lazy="joined")


class Site(Base):
    """A website that embeds the snippet, identified by its public key."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    site_key: Mapped[str] = mapped_column(String(40), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    # CSS selectors of the fields whose typed values the snippet shows the
    # host; every other typed value is masked on the guest's device.
    unmask_selectors: Mapped[list[str]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )
    # Whether meetings this site's snippet guests start have the waiting room
    # on (for guests joining them later by link); none: off, as for numbers.
    waiting_room_default: Mapped[bool | None] = mapped_column(Boolean, nullable=True)

    origins: Mapped[list[SiteOrigin]] = relationship(
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="SiteOrigin.id",
    )

    @property
    def origin_list(self) -> list[str]:
        return [o.origin for o in self.origins]


class SiteOrigin(Base):
    """One allowed origin of a site (``scheme://host[:port]``, normalised).

    A table rather than a list column so a CORS preflight, which carries an
    Origin but no site key, can be answered by an indexed lookup.
    """

    __tablename__ = "site_origins"
    __table_args__ = (UniqueConstraint("site_id", "origin"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    origin: Mapped[str] = mapped_column(String(255), index=True)


class Guest(Base):
    """Someone on the other end of the phone, known by a signed bearer token."""

    __tablename__ = "guests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The site whose snippet the guest came from; none for the public join page.
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("sites.id", ondelete="SET NULL"), nullable=True
    )
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # How this guest came in: "number" (the join page, then a number),
    # "snippet" (a site's snippet, then a number) or "link" (SMS or QR).
    # Only the join page and links can do video; the snippet cannot.
    source: Mapped[str] = mapped_column(String(16), default="number", server_default="number")
    # When they joined their meeting; when their last socket went (cleared
    # when they come back); when the host removed them (for good).
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # "host" (removed them) or "guest" (left while other guests stayed on).
    removed_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # What the host is shown for this guest; follows their presence leases
    # (like ``Meeting.guest_connected``, which is "any guest connected").
    connected: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The waiting room (issue #14): a guest knocking at a meeting is not in it
    # (``meeting_id`` stays empty, so they hear and send nothing of it) until
    # the host admits them. "waiting", "admitted", "refused" or "left" (gave
    # up waiting); none for guests who never knocked. ``knock_meeting_id`` is
    # the meeting they knock at (a plain id, as ``Meeting.video_guest_id``).
    admission: Mapped[str | None] = mapped_column(String(16), nullable=True)
    knock_meeting_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    knocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When the host admitted or refused the latest knock.
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The name the guest typed before knocking (untrusted, escaped where shown).
    entered_name: Mapped[str | None] = mapped_column(String(60), nullable=True)
    # The canned note the host sent with a refusal (a key, see knocks.NOTES).
    refusal_note: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The live view of the guest's page (issue #16): none (off), "asked" (the
    # host asked, the snippet shows the question), "on" or "paused". Opt-in
    # each time: every agreement is its own consent row.
    live_view: Mapped[str | None] = mapped_column(String(8), nullable=True)

    @property
    def can_video(self) -> bool:
        return self.source != "snippet"


class ConnectionNumber(Base):
    """One issue of a connection number to a guest: valid until ``expires_at``,
    claimed at most once."""

    __tablename__ = "connection_numbers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(8), index=True)
    guest_id: Mapped[int] = mapped_column(ForeignKey("guests.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="SET NULL"), nullable=True
    )


class NumberSlot(Base):
    """Who holds a number now. One row per number ever issued; taking a slot
    is a conditional UPDATE, so a number never has two live holders."""

    __tablename__ = "number_slots"

    number: Mapped[str] = mapped_column(String(8), primary_key=True)
    holder_id: Mapped[int | None] = mapped_column(
        ForeignKey("connection_numbers.id", ondelete="SET NULL"), nullable=True
    )
    held_until: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


MEETING_OPTIONS = ("waiting_room", "recording", "it_mode", "browser_audio")


class Meeting(Base):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # waiting (no guest yet) -> active -> ended
    state: Mapped[str] = mapped_column(String(16), default="waiting", index=True)
    # How the meeting started (set then): "number" (the join page's number),
    # "snippet" (a number from a site's snippet) or "link" (SMS or QR link).
    source: Mapped[str] = mapped_column(String(16), default="number", index=True)
    # The site whose snippet brought a guest in (the first such guest).
    # Not a foreign key: SQLite adds one to an existing table only by
    # rebuilding it, and rebuilding meetings with foreign keys on would
    # cascade through every row that refers to a meeting. Sites are never
    # deleted (only disabled), so the id always names one.
    site_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    # The host's name for the guest (「山田様」); shown to hosts only.
    guest_label: Mapped[str | None] = mapped_column(String(GUEST_LABEL_LENGTH), nullable=True)
    # the connection number the host typed, for people to refer to
    number: Mapped[str | None] = mapped_column(String(8), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # "host", "guest", "system" or "timeout" (everyone gone, see presence.py)
    ended_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # What the host is shown; follows the meeting's live guest leases
    # (``PresenceLease``), which is what heals it after a crash.
    guest_connected: Mapped[bool] = mapped_column(Boolean, default=False)
    # The guest on the video call with the host (one call, one guest): the
    # first who can do video, until the host picks another. A plain id, not
    # a foreign key: guests already point at meetings, and a cycle of keys
    # cannot be created or dropped table by table.
    video_guest_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The meeting's options (issue #14), set when it is prepared or in the
    # room; guests hear of a change as "meeting.options".
    # Guests knock and wait until the host lets them in.
    waiting_room: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The host means to record: guests agree to it as they join.
    recording: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # IT重説 (remote real-estate explanation): licence shown, checklist, browser audio.
    it_mode: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Voice in the browser instead of on the phone (always on in IT重説 mode).
    browser_audio: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Prepared ahead for a named customer (``guest_label``), maybe for a date
    # and time: listed on the dashboard as upcoming until it starts.
    prepared: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def options(self) -> dict[str, bool]:
        return {name: bool(getattr(self, name)) for name in MEETING_OPTIONS}

    @property
    def uses_browser_audio(self) -> bool:
        return self.browser_audio or self.it_mode

    host: Mapped[User] = relationship(lazy="joined")


class MeetingEvent(Base):
    """Something that happened in a meeting. The id is the event's place in
    the order every client sees; a reconnecting client asks for what came
    after the last id it has."""

    __tablename__ = "meeting_events"

    # 64-bit: a cursor is a client's "after", and a busy server passes 2^31.
    # (SQLite's rowid is 64-bit already, and only INTEGER makes it the key.)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)


class PresenceLease(Base):
    """One open live socket of a meeting's guest or host, alive while it is
    renewed. A socket renews its lease with its heartbeat; a server that dies
    renews nothing, so its leases lapse and presence heals by itself. A
    closed socket's lease is cut short (``expires_at`` set to the moment it
    closed) rather than deleted, so the meeting knows when it was last seen."""

    __tablename__ = "presence_leases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    # "guest" or "host"; ``holder_id`` is the guest's or the user's id.
    role: Mapped[str] = mapped_column(String(8))
    holder_id: Mapped[int] = mapped_column(Integer)
    # Which server process holds the socket (for logs and diagnosis).
    instance: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Capture(Base):
    """A picture of the page a guest was on, with where it was taken."""

    __tablename__ = "captures"
    # A retried upload (the 201 was lost) carries the same key as the first
    # try and gets the same row back. NULLs never collide.
    __table_args__ = (UniqueConstraint("guest_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    guest_id: Mapped[int | None] = mapped_column(
        ForeignKey("guests.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # As the guest's browser reported them: untrusted, escaped wherever shown.
    url: Mapped[str] = mapped_column(String(2048), default="")
    title: Mapped[str] = mapped_column(String(500), default="")
    viewport_width: Mapped[int] = mapped_column(Integer, default=0)
    viewport_height: Mapped[int] = mapped_column(Integer, default=0)
    device_pixel_ratio: Mapped[float] = mapped_column(Float, default=1.0)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    thumbnail_width: Mapped[int] = mapped_column(Integer)
    thumbnail_height: Mapped[int] = mapped_column(Integer)
    source_format: Mapped[str] = mapped_column(String(8))
    source_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    media_type: Mapped[str] = mapped_column(String(32))
    image_key: Mapped[str] = mapped_column(String(128))
    thumbnail_key: Mapped[str] = mapped_column(String(128))
    idempotency_key: Mapped[str | None] = mapped_column(String(64), nullable=True)


class SmsMessage(Base):
    """A join link sent (or, in outbox mode, written down) for a guest's phone."""

    __tablename__ = "sms_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    sender_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # E.164, as normalised before sending; shown masked.
    to_number: Mapped[str] = mapped_column(String(20), index=True)
    body: Mapped[str] = mapped_column(String(1000))
    link: Mapped[str] = mapped_column(String(500))
    segments: Mapped[int] = mapped_column(Integer)
    # "twilio" or "outbox"
    provider: Mapped[str] = mapped_column(String(16))
    # Twilio's message SID; status callbacks name the message by it.
    provider_id: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    # The furthest status reached (see server.meetings.invitations.STATUS_RANK).
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    statuses: Mapped[list[SmsStatus]] = relationship(
        order_by="SmsStatus.id", lazy="selectin", cascade="all, delete-orphan"
    )


class SmsStatus(Base):
    """One step in a message's delivery, in the order it was heard of."""

    __tablename__ = "sms_statuses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("sms_messages.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JoinLink(Base):
    """One join link (``/j/<token>``): made for one meeting, and once a
    guest has used it, theirs alone. The token names this row; the row
    names the meeting, so a token is useless for any other meeting."""

    __tablename__ = "join_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    guest_id: Mapped[int | None] = mapped_column(
        ForeignKey("guests.id", ondelete="SET NULL"), nullable=True
    )
    # A prepared meeting's link lasts until a date the host chose; none: the
    # server's TSUNAGU_LINK_MINUTES from ``created_at`` (SMS and QR links).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MemoTemplate(Base):
    """A memo's starting text, set by an admin; the host picks one when the
    meeting starts (seed 001: a template set beforehand)."""

    __tablename__ = "memo_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MeetingMemo(Base):
    """A meeting's shared memo: the Yjs document both sides edit, kept as
    one merged update, and its plain text for the record, export and search."""

    __tablename__ = "meeting_memos"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    text: Mapped[str] = mapped_column(Text, default="")
    # False: host-only notes; the guest neither sees nor edits the memo.
    shared_with_guest: Mapped[bool] = mapped_column(Boolean, default=True)
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("memo_templates.id", ondelete="SET NULL"), nullable=True
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Consent(Base):
    """A guest agreeing to something, at the moment they agreed: what
    ("capture" now; "camera", "recording" later), under which wording (the
    key of the text they were shown, with its version) and where."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guest_id: Mapped[int | None] = mapped_column(
        ForeignKey("guests.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # Set when the guest is in a meeting (a snippet guest agrees first,
    # then gets a number, then joins).
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    # e.g. "snippet.capture@1": the text shown and its version.
    terms: Mapped[str] = mapped_column(String(64))
    # "snippet", "join" or "link": the page the guest agreed on.
    place: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- issue #14: IT重説 (remote real-estate explanation) -----------------------


class LicencePhoto(Base):
    """A host's 宅建士証 (real-estate licence) photo, shown to the guests of
    their meetings in IT重説 mode. A table of its own, not columns on users:
    most users have none, and the photo comes and goes on its own."""

    __tablename__ = "licence_photos"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    blob_key: Mapped[str] = mapped_column(String(128))
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Checklist(Base):
    """A checklist an admin defines (事前チェックリスト): a title and its
    items in order. A meeting that opens one keeps its own copy
    (``MeetingChecklist``), so editing or deleting it changes no record."""

    __tablename__ = "checklists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    items: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MeetingChecklist(Base):
    """A checklist opened in a meeting: a copy of its title and items, and
    whether the host has collapsed it (「とじる」)."""

    __tablename__ = "meeting_checklists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    # The admin's checklist it was copied from, while that still exists.
    checklist_id: Mapped[int | None] = mapped_column(
        ForeignKey("checklists.id", ondelete="SET NULL"), nullable=True
    )
    title: Mapped[str] = mapped_column(String(100))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_by: Mapped[str] = mapped_column(String(100), default="")
    collapsed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    items: Mapped[list[MeetingChecklistItem]] = relationship(
        order_by="MeetingChecklistItem.position", lazy="selectin", cascade="all, delete-orphan"
    )


class MeetingChecklistItem(Base):
    """One item of a meeting's checklist and its tick: when, and by whom (a
    name, kept as it was; an undone tick clears both, the timeline keeps it)."""

    __tablename__ = "meeting_checklist_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_checklist_id: Mapped[int] = mapped_column(
        ForeignKey("meeting_checklists.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(200))
    ticked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ticked_by: Mapped[str | None] = mapped_column(String(100), nullable=True)


# -- issue #14: recording ----------------------------------------------------


class Recording(Base):
    """A recording of a meeting's call (issue #14): the host's browser
    records both cameras and uploads chunks as it goes; the server joins
    them into one file (remuxed, never re-encoded) once it stops."""

    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    started_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # "host" (pressed stop), "end" (the meeting ended), "timeout" (the
    # maximum length) or "lost_host" (no chunk came for a while).
    stopped_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # What the browser's MediaRecorder produced, e.g. "video/webm;codecs=vp8,opus".
    mime_type: Mapped[str] = mapped_column(String(100))
    # recording -> finishing (remuxing) -> ready | failed
    state: Mapped[str] = mapped_column(String(16), default="recording", index=True)
    duration: Mapped[float | None] = mapped_column(Float, nullable=True)  # seconds
    size: Mapped[int] = mapped_column(BigInteger, default=0)  # the final file's bytes
    blob_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # When the last chunk came (the lost-host timeout counts from it).
    last_chunk_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When a process took on the remux of this (finishing) recording: the
    # others leave it be, unless that was so long ago the process must have died.
    remux_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    started_by: Mapped[User | None] = relationship(lazy="joined")

    @property
    def extension(self) -> str:
        return "mp4" if self.mime_type.startswith("video/mp4") else "webm"


class RecordingChunk(Base):
    """One timeslice of a recording as the browser uploaded it."""

    __tablename__ = "recording_chunks"
    # A retried upload of the same piece is the same row.
    __table_args__ = (UniqueConstraint("recording_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    blob_key: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Card(Base):
    """A host's business card (名刺, seed 001): what the guests of their
    meetings see and save to their phone's contacts. A table of its own:
    a user has no card until they fill one in, and its image comes and
    goes on its own."""

    __tablename__ = "cards"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(60))
    # The name's reading (ふりがな): phones sort Japanese contacts by it.
    kana: Mapped[str] = mapped_column(String(60), default="")
    company: Mapped[str] = mapped_column(String(100), default="")
    department: Mapped[str] = mapped_column(String(100), default="")
    title: Mapped[str] = mapped_column(String(60), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    url: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    # The paper card's picture, re-encoded (capture/card_image.py); none: drawn.
    image_blob_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    image_content_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    image_width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    image_height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- issue #15: files sent in a meeting ------------------------------------------


class MeetingFile(Base):
    """A file the host or a guest sent in a meeting (issue #15), in the
    blob store under ``blob_key``; always downloaded as an attachment."""

    __tablename__ = "meeting_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    sender: Mapped[str] = mapped_column(String(8))  # "host" | "guest"
    sender_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    guest_id: Mapped[int | None] = mapped_column(
        ForeignKey("guests.id", ondelete="SET NULL"), nullable=True
    )
    # The name as the sender's device gave it, made safe to save under
    # (no folders, no control characters; Japanese kept): see files.safe_name.
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    # What the first bytes say it is (never what the sender claimed).
    content_type: Mapped[str] = mapped_column(String(100))
    blob_key: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sender_user: Mapped[User | None] = relationship(lazy="joined")


class FileUpload(Base):
    """A file on its way in: the bytes so far are in the blob store as
    :class:`FileUploadPiece` rows, ``received`` says how many, so a dropped
    connection resumes from there, on any instance."""

    __tablename__ = "file_uploads"

    # Random and unguessable: the upload's address.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    sender: Mapped[str] = mapped_column(String(8))
    sender_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    guest_id: Mapped[int | None] = mapped_column(
        ForeignKey("guests.id", ondelete="SET NULL"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)  # as declared; never more is taken
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the last bytes came: an upload quiet for long is swept.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # "receiving", then "done" with the file it made: kept a while (swept
    # like a quiet upload) so a sender whose connection dropped on the last
    # piece asks and learns the file was delivered, rather than sending it
    # again.
    state: Mapped[str] = mapped_column(String(9), default="receiving", server_default="receiving")
    file_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_files.id", ondelete="CASCADE"), nullable=True
    )


class FileUploadPiece(Base):
    """One piece of an upload in progress (at most ``files.PIECE_BYTES``),
    a blob of its own: pieces received by different instances meet in the
    blob store, and are joined into the file with the last byte."""

    __tablename__ = "file_upload_pieces"
    # Two requests racing with the same piece cannot both land.
    __table_args__ = (UniqueConstraint("upload_id", "start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    upload_id: Mapped[str] = mapped_column(
        ForeignKey("file_uploads.id", ondelete="CASCADE"), index=True
    )
    # The offset in the file of the piece's first byte.
    start: Mapped[int] = mapped_column(BigInteger)
    size: Mapped[int] = mapped_column(Integer)
    blob_key: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FilePolicy(Base):
    """The admin's rules for files (one row, id 1; none means the defaults):
    who may send, and what is refused by extension or by content."""

    __tablename__ = "file_policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    senders: Mapped[str] = mapped_column(String(8), default="both")  # both | hosts | guests
    # Executables (by extension and by content) refused from guests.
    guest_executables_blocked: Mapped[bool] = mapped_column(Boolean, default=True)
    blocked_extensions: Mapped[list[str]] = mapped_column(JSON, default=list)
    blocked_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100), default="")


# -- issue #15: document share -----------------------------------------------


class Document(Base):
    """A document a host uploaded to show in meetings (資料): a PDF or a
    picture, kept as uploaded, and its pages rasterised once at upload
    (``DocumentPage``). It belongs to its host, not to a meeting: kept
    until deleted. No owner: an admin uploaded it for every host."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    title: Mapped[str] = mapped_column(String(200))
    file_name: Mapped[str] = mapped_column(String(255))
    # "pdf", "PNG" or "JPEG": what the bytes are (capture/document_pages.py).
    kind: Mapped[str] = mapped_column(String(8))
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    pages: Mapped[int] = mapped_column(Integer)
    # Pages rasterised so far (1 .. pages, in order).
    pages_done: Mapped[int] = mapped_column(Integer, default=0)
    # processing (pages being rasterised) -> ready | failed
    state: Mapped[str] = mapped_column(String(16), default="processing", index=True)
    original_key: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When a process last rasterised a page of it: another process resumes
    # a "processing" document only when this is old (its process died).
    worked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DocumentPage(Base):
    """One page of a document at two sizes (JPEG blobs)."""

    __tablename__ = "document_pages"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)  # from 1
    large_key: Mapped[str] = mapped_column(String(128))
    thumb_key: Mapped[str] = mapped_column(String(128))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    thumb_width: Mapped[int] = mapped_column(Integer)
    thumb_height: Mapped[int] = mapped_column(Integer)


class MeetingDocument(Base):
    """A document opened in a meeting: the page shown now, whether the guests
    may download it, and when it was opened and closed. The title and page
    count are copied, so the record still names a document deleted since."""

    __tablename__ = "meeting_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL"), nullable=True, index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    pages: Mapped[int] = mapped_column(Integer)
    page: Mapped[int] = mapped_column(Integer, default=1)
    download_allowed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_by: Mapped[str] = mapped_column(String(100), default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
