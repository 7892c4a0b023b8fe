"""The message catalog against the code that reads it.

Every key the Python code, the templates and the page scripts use exists in
Japanese and in English with the same placeholders; English shows counts
with plural forms; no key is defined in one language only or never used.
Keys built at run time (``f"flash.user_{action}"``, ``t("state." ~ ...)``,
``T[`video.state.${state}`]``) are listed in ``DYNAMIC`` with the values
they take, so a new dynamic lookup fails here until it is listed too.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from string import Formatter
from typing import Any

import jinja2
import pytest
from jinja2 import nodes

from server.i18n import en, ja
from server.i18n.locales import LOCALES, translate

ROOT = Path(__file__).resolve().parents[1]
PYTHON_DIRS = ("server", "sms", "capture")
CATALOG_FILES = {ROOT / "server/i18n/ja.py", ROOT / "server/i18n/en.py"}
CATALOGS: dict[str, Mapping[str, Any]] = {"ja": ja.MESSAGES, "en": en.MESSAGES}
KEYS = set(ja.MESSAGES) | set(en.MESSAGES)
NAMESPACES = {key.split(".")[0] for key in KEYS}
# A key as written in code: lower-case words joined by dots.
KEY_SHAPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")
# Namespaces only messages use, so any such literal is a key ("error.html"
# is a template, so error keys are found through their codes instead).
MESSAGE_ONLY = ("flash.", "embed.")
# HTTP statuses an ApiError can carry: a snake_case string after one is its code.
ERROR_STATUSES = range(400, 600)


@dataclass(frozen=True)
class Family:
    """Keys made at run time from ``pattern`` (``*`` is the varying part).

    ``values`` are what the code puts in; with a ``fallback`` the code shows
    that key when a value has none of its own, so only the values that have a
    key need one. ``values=None`` is an open set (Twilio's error codes): the
    lookup falls back for codes the catalog does not explain.
    """

    values: tuple[str, ...] | None
    fallback: str | None = None

    def keys(self, pattern: str) -> set[str]:
        if self.values is None:
            shape = re.compile(re.escape(pattern).replace(r"\*", "[a-z0-9_]+"))
            return {key for key in KEYS if shape.fullmatch(key)}
        return {pattern.replace("*", value) for value in self.values}


def sms_statuses() -> tuple[str, ...]:
    from server.meetings.invitations import STATUS_RANK

    return tuple(STATUS_RANK)


def user_roles() -> tuple[str, ...]:
    from server.accounts.users import ROLES

    return ROLES


def card_fields() -> tuple[str, ...]:
    from server.accounts.cards import FIELDS

    return FIELDS


# Every key built at run time, by where it is built. Found by the scans
# below; the test fails if the code builds one that is not listed here.
DYNAMIC: dict[str, Family] = {
    # server/web/errors.py, transport.py: ApiError codes, found by the scan.
    "error.*": Family(values=()),  # the codes, filled in by dynamic_families()
    # server/meetings/invitations.py explain(), invite.js: Twilio's code, else sms.error.other.
    "sms.error.*": Family(values=None, fallback="sms.error.other"),
    # server/console/users.py: the buttons on the users page.
    "flash.user_*": Family(values=("disable", "enable", "make_admin", "make_host")),
    # server/console/sites.py: the site page's status button.
    "flash.site_*": Family(values=("disable", "enable")),
    # templates/console/dashboard.html: the next steps (server/console/dashboard.py).
    "dashboard.step.*.title": Family(values=("site", "hosts", "token")),
    "dashboard.step.*.text": Family(values=("site", "hosts", "token")),
    "dashboard.step.*.link": Family(values=("site", "hosts", "token")),
    # templates/console/meetings.html, meeting.html: Meeting.ended_by,
    # found by the scan (end_meeting(..., by="...")).
    "ended_by.*": Family(values=()),
    # templates/console/documents.html: Document.state (issue #15).
    "documents.state.*": Family(values=("processing", "ready", "failed")),
    # base.html, guest_base.html: the language switch.
    "lang.*": Family(values=LOCALES),
    # templates/console/users.html: a user's role.
    "role.*": Family(values=user_roles()),
    # templates/console/meetings.html, meeting.html: Meeting.state.
    "state.*": Family(values=("waiting", "active", "ended")),
    # meeting.js describe(): every event type, found by the scan.
    "event.*": Family(values=()),  # the types, filled in by dynamic_families()
    # meeting.js describe(): events whose payload retention scrubbed
    # (server/meetings/retention.py SHOWN_BY_GUEST).
    "event.*.removed": Family(values=("capture.created", "page.visited", "file.sent")),
    # templates/console/files.html: who may send files (server/meetings/files.py SENDERS).
    "files.admin.senders_*": Family(values=("both", "hosts", "guests")),
    # meeting.js describe(), records.py event_text(): a screen share by a
    # guest rather than the host (server/meetings/screen_share.py).
    "event.*.guest": Family(
        values=("screen.started", "screen.paused", "screen.resumed", "screen.stopped")
    ),
    # meeting.js describe(), records.py event_text(): a live view the host
    # stopped or that ended (server/meetings/live_view.py).
    "event.live_view.stopped.*": Family(values=("ended", "host")),
    # invite.js, meeting.js: an SMS's delivery status (server/meetings/invitations.py).
    "sms.status.*": Family(values=sms_statuses()),
    # join.js showEnded(): Meeting.ended_by (found by the scan), else the host's wording.
    "join.js.ended_by_*": Family(values=(), fallback="join.js.ended_by_host"),
    # meeting.js ended(): Meeting.ended_by (found by the scan), else a plain "ended".
    "meeting.js.ended_by_*": Family(values=(), fallback="meeting.js.ended"),
    # meetings.html, meeting_record.html, records.py: Meeting.source, a guest's source.
    "source.*": Family(values=("number", "snippet", "link")),
    # meeting_record.html, records.py: Consent.kind and Consent.place
    # (server/meetings/consents.py).
    "record.consent.*": Family(values=("capture", "terms", "camera", "recording", "live_view")),
    "record.place.*": Family(values=("snippet", "join", "link", "prompt")),
    # guests.js: how a guest came in (Guest.source), their state (guest_state()),
    # and the note on a newcomer (announce()).
    "meeting.js.guests.source.*": Family(values=("number", "snippet", "link")),
    "meeting.js.guests.state.*": Family(
        values=("connected", "disconnected", "removed", "left", "ended")
    ),
    "meeting.js.guests.*": Family(values=("arrived", "arrived_no_video")),
    # device_check.html: the steps to allow the camera, per browser.
    "device_check.*": Family(
        values=tuple(
            f"{browser}.{n}"
            for browser in ("ios_safari", "chrome_android", "chrome_desktop", "other")
            for n in (1, 2, 3)
        )
    ),
    # video.js: why a call could not connect (the host is told the cause).
    "video.failed.*": Family(values=("turn_auth", "unreachable", "no_route")),
    # record_recordings.html: Recording.state and Recording.stopped_by
    # (server/meetings/recordings.py).
    "recording.state.*": Family(values=("recording", "finishing", "ready", "failed")),
    "recording.stopped_by.*": Family(values=("host", "end", "timeout", "lost_host")),
    # video.js: stage.dataset.camera when the camera cannot be used.
    "video.camera_*": Family(values=("denied", "missing")),
    # card.html, server/accounts/cards.py CardFieldError: the card's fields.
    "card.field.*": Family(values=card_fields()),
    # video.js: VideoCall.setState().
    "video.state.*": Family(
        values=("waiting", "connecting", "connected", "reconnecting", "failed", "ended")
    ),
}


@dataclass
class Uses:
    """What the code reads from the catalog, each with where it does."""

    keys: dict[str, str] = field(default_factory=dict)  # must exist
    seen: set[str] = field(default_factory=set)  # literals that name a key
    patterns: dict[str, str] = field(default_factory=dict)  # built at run time
    codes: dict[str, str] = field(default_factory=dict)  # ApiError codes
    events: dict[str, str] = field(default_factory=dict)  # timeline event types
    ended_by: dict[str, str] = field(default_factory=dict)  # who ends meetings
    # (key, the parameters given, where) wherever both are written out
    calls: list[tuple[str, set[str], str]] = field(default_factory=list)


# -- reading the code


def python_files() -> Iterator[Path]:
    for directory in PYTHON_DIRS:
        for path in sorted((ROOT / directory).rglob("*.py")):
            if path not in CATALOG_FILES and "migrations" not in path.parts:
                yield path


def call_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def pattern_of(node: ast.JoinedStr) -> str:
    return "".join(part.value if isinstance(part, ast.Constant) else "*" for part in node.values)


def text(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def status_then_codes(items: list[ast.expr]) -> Iterator[str]:
    """Codes in ``ApiError(404, "not_found")``, ``(429, "too_many_x")``
    (OpenAPI errors, rate-limit checks) and ``_refuse(408, "...", "code")``."""
    after_status = False
    for item in items:
        if isinstance(item, ast.Constant) and type(item.value) is int:
            after_status = item.value in ERROR_STATUSES
        elif after_status and (code := text(item)) and re.fullmatch(r"[a-z][a-z0-9_]*", code):
            yield code


def scan_python(uses: Uses) -> None:
    for path in python_files():
        where = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text(), filename=where)
        # The literal parts of f"flash.user_{action}" are not keys of their own.
        in_fstrings = {
            id(part)
            for node in ast.walk(tree)
            if isinstance(node, ast.JoinedStr)
            for part in node.values
        }
        for node in ast.walk(tree):
            at = f"{where}:{getattr(node, 'lineno', 0)}"
            if id(node) in in_fstrings:
                continue
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if node.value in KEYS:
                    uses.seen.add(node.value)
                if node.value.startswith(MESSAGE_ONLY) and KEY_SHAPE.fullmatch(node.value):
                    uses.keys[node.value] = at
            elif isinstance(node, ast.JoinedStr):
                pattern = pattern_of(node)
                if pattern.split(".")[0] in NAMESPACES and "." in pattern:
                    uses.patterns[pattern] = at
            elif isinstance(node, ast.Tuple):
                for code in status_then_codes(node.elts):
                    uses.codes[code] = at
            elif isinstance(node, ast.Dict):
                # HTTP_STATUS_CODES: {404: "not_found", ...}
                for key_node, value in zip(node.keys, node.values, strict=True):
                    status = key_node.value if isinstance(key_node, ast.Constant) else None
                    if type(status) is int and status in ERROR_STATUSES and (code := text(value)):
                        uses.codes[code] = at
            elif isinstance(node, ast.Call):
                scan_python_call(node, at, uses)


def scan_python_call(call: ast.Call, at: str, uses: Uses) -> None:
    name = call_name(call)
    keywords = {kw.arg: kw.value for kw in call.keywords if kw.arg}
    for code in status_then_codes(call.args):
        uses.codes[code] = at
    if code := text(keywords.get("code")):
        uses.codes[code] = at
    if event := text(keywords.get("event")):
        uses.events[event] = at
    if name == "end_meeting" and (by := text(keywords.get("by"))):
        uses.ended_by[by] = at
    if name == "record_event" and len(call.args) > 2:
        for part in ast.walk(call.args[2]):  # "a" if x else "b" too
            if event := text(part):
                uses.events[event] = at
    key = None
    if name == "translate" and len(call.args) > 1:
        key = text(call.args[1])
    elif name == "redirect":
        key = text(call.args[2]) if len(call.args) > 2 else text(keywords.get("flash"))
    if key is not None:
        uses.keys[key] = at
        given = {k for k in keywords if k not in ("kind", "flash")}
        if not any(kw.arg is None for kw in call.keywords):  # no **params
            uses.calls.append((key, given, at))
    # capture/ingest.py refuses with its own ImageRefused, of the same shape.
    refusals = ("ApiError", "ImageRefused", "__init__")
    if name in refusals and len(call.args) > 1 and (code := text(call.args[1])):
        params = keywords.get("params")
        if isinstance(params, ast.Dict) and all(text(k) for k in params.keys):
            uses.calls.append((f"error.{code}", {text(k) for k in params.keys}, at))
        elif params is None:
            uses.calls.append((f"error.{code}", set(), at))


def pattern_of_jinja(node: nodes.Expr) -> str | None:
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        return node.value
    if isinstance(node, nodes.Concat):
        return "".join(part.value if isinstance(part, nodes.Const) else "*" for part in node.nodes)
    return None


def scan_templates(uses: Uses) -> None:
    environment = jinja2.Environment(autoescape=True)
    for path in sorted((ROOT / "templates").rglob("*.html")):
        where = str(path.relative_to(ROOT))
        tree = environment.parse(path.read_text())
        for call in tree.find_all(nodes.Call):
            if not (isinstance(call.node, nodes.Name) and call.node.name == "t"):
                continue
            at = f"{where}:{call.lineno}"
            assert call.args, f"t() without a key at {at}"
            pattern = pattern_of_jinja(call.args[0])
            assert pattern is not None, f"t() with a key that cannot be read at {at}"
            if "*" in pattern:
                uses.patterns[pattern] = at
            else:
                uses.keys[pattern] = at
                uses.calls.append((pattern, {kw.key for kw in call.kwargs}, at))
        for item in tree.find_all(nodes.Getitem):
            if isinstance(item.node, nodes.Name) and item.node.name == "strings":
                key = pattern_of_jinja(item.arg)
                assert key and "*" not in key, f"strings[...] that cannot be read in {where}"
                uses.keys[key] = f"{where}:{item.lineno}"


# T["key"], this.T["key"], T[`prefix.${value}`]: how page scripts read the
# strings block (server/console/rendering.py ui_strings).
JS_LOOKUP = re.compile(r"\bT\[\s*([\"'`])(.*?)\1\s*\]")
JS_LITERAL = re.compile(r"([\"'`])([a-z][a-z0-9_.${}]*)\1")


def scan_scripts(uses: Uses) -> None:
    for path in sorted((ROOT / "server/static").glob("*.js")):
        where = str(path.relative_to(ROOT))
        source = path.read_text()
        for match in JS_LOOKUP.finditer(source):
            at = f"{where}:{source.count(chr(10), 0, match.start()) + 1}"
            key = re.sub(r"\$\{[^}]*\}", "*", match.group(2))
            if "*" in key:
                uses.patterns[key] = at
            else:
                uses.keys[key] = at
        for match in JS_LITERAL.finditer(source):
            if match.group(2) in KEYS:
                uses.seen.add(match.group(2))


def code_uses() -> Uses:
    uses = Uses()
    scan_python(uses)
    scan_templates(uses)
    scan_scripts(uses)
    return uses


@pytest.fixture(scope="module")
def uses() -> Uses:
    return code_uses()


def dynamic_families(uses: Uses) -> dict[str, Family]:
    families = dict(DYNAMIC)
    families["error.*"] = Family(values=tuple(uses.codes))
    families["event.*"] = Family(values=tuple(uses.events))
    for pattern in ("ended_by.*", "join.js.ended_by_*", "meeting.js.ended_by_*"):
        families[pattern] = Family(values=tuple(uses.ended_by), fallback=DYNAMIC[pattern].fallback)
    return families


def used_keys(uses: Uses) -> set[str]:
    """Every key the code can ask for (missing ones included)."""
    required = set(uses.keys)
    for pattern, family in dynamic_families(uses).items():
        made = family.keys(pattern)
        required |= made if family.fallback is None else made & KEYS
        if family.fallback:
            required.add(family.fallback)
    return required


# -- reading the catalog


def placeholders(message: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(message) if name is not None}


def forms(entry: str | Mapping[str, Any]) -> Iterator[str]:
    """The texts of an entry: itself, or each of its plural forms."""
    if isinstance(entry, str):
        yield entry
        return
    for form in ("one", "other"):
        yield from forms(entry[form])


def plural_problems(key: str, entry: str | Mapping[str, Any]) -> Iterator[str]:
    if isinstance(entry, str):
        return
    if set(entry) != {"plural", "one", "other"}:
        yield f"{key}: a plural has exactly plural, one and other, not {sorted(entry)}"
        return
    shown = set().union(*(placeholders(text) for text in forms(entry)))
    if entry["plural"] not in shown:
        yield f"{key}: the plural's count {{{entry['plural']}}} is not in its text"
    for form in ("one", "other"):
        yield from plural_problems(key, entry[form])


# -- the tests


def test_the_code_is_read_where_it_uses_keys(uses):
    """The scans find what they look for: a scan that found nothing would
    make every other test here pass."""
    assert "flash.logged_out" in uses.keys  # console/login.py redirect(...)
    assert "error.sms_refused" in uses.keys  # server/meetings/invitations.py translate(...)
    assert "login.title" in uses.keys  # templates/login.html t(...)
    assert "dashboard.js.network" in uses.keys  # dashboard.js T[...]
    assert {"not_found", "too_many_logins", "request_timeout"} <= set(uses.codes)
    assert {"meeting.started", "guest.connected", "data.expired"} <= set(uses.events)
    assert {"host", "guest", "system", "timeout"} <= set(uses.ended_by)


def test_both_languages_define_the_same_keys():
    only_ja = sorted(set(ja.MESSAGES) - set(en.MESSAGES))
    only_en = sorted(set(en.MESSAGES) - set(ja.MESSAGES))
    assert (only_ja, only_en) == ([], [])


@pytest.mark.parametrize("locale", LOCALES)
def test_every_key_in_use_exists(uses, locale):
    missing = sorted(key for key in used_keys(uses) if key not in CATALOGS[locale])
    where = {key: uses.keys.get(key) or "a dynamic key (see DYNAMIC)" for key in missing}
    assert not missing, f"keys used but not in {locale}.py: {where}"


def test_every_error_code_has_a_message(uses):
    missing = {code: at for code, at in uses.codes.items() if f"error.{code}" not in KEYS}
    assert not missing, f"ApiError codes without an error.<code> message: {missing}"


def test_every_event_type_has_a_timeline_label(uses):
    missing = {event: at for event, at in uses.events.items() if f"event.{event}" not in KEYS}
    assert not missing, f"event types without an event.<type> label: {missing}"


def test_every_key_built_at_run_time_is_listed(uses):
    unlisted = {p: at for p, at in uses.patterns.items() if p not in DYNAMIC}
    assert not unlisted, f"keys built at run time: list them in DYNAMIC: {unlisted}"
    stale = sorted(set(DYNAMIC) - set(uses.patterns))
    assert not stale, f"DYNAMIC lists keys no code builds any more: {stale}"


def test_no_key_is_left_unused(uses):
    unused = sorted(KEYS - used_keys(uses) - uses.seen)
    assert not unused, f"keys no code uses (remove them, or list their use in DYNAMIC): {unused}"


# Keys in one language only fail the test above; these are the rest.
@pytest.mark.parametrize("key", sorted(ja.MESSAGES.keys() & en.MESSAGES.keys()))
def test_both_languages_have_the_same_placeholders(key):
    expected = placeholders(ja.MESSAGES[key])
    for locale, catalog in CATALOGS.items():
        for text in forms(catalog[key]):
            assert placeholders(text) == expected, f"{locale}: {text!r}"


def test_plurals_are_well_formed():
    problems = [
        p
        for catalog in CATALOGS.values()
        for k, e in catalog.items()
        for p in plural_problems(k, e)
    ]
    assert not problems


# "1 minutes", "1 SMS segments", "segment(s)"; "1 is" is a name or an address.
WRONG_NUMBER = re.compile(r"\b1 (?:[A-Z]+ )?(?!is\b|has\b|does\b|was\b)[a-z]+s\b|\(s\)")


def test_english_shows_no_count_in_the_wrong_number():
    """Every placeholder as 1: no "1 minutes", no "segment(s)"."""
    wrong = {}
    for key, entry in en.MESSAGES.items():
        shown = set().union(*(placeholders(text) for text in forms(entry)))
        if not shown:
            continue
        rendered = translate("en", key, **dict.fromkeys(shown, 1))
        found = re.findall(WRONG_NUMBER, rendered)
        if found:
            wrong[key] = rendered
    assert not wrong


@pytest.mark.parametrize(
    ("key", "params", "ja_text", "en_text"),
    [
        (
            "error.too_many_logins",
            {"minutes": 1, "seconds": 42},
            "ログインの失敗が続いたため、一時的にロックしています。"
            "1 分後にもう一度お試しください。",
            "Too many failed logins. Try again in 1 minute.",
        ),
        (
            "error.too_many_logins",
            {"minutes": 15, "seconds": 900},
            "ログインの失敗が続いたため、一時的にロックしています。"
            "15 分後にもう一度お試しください。",
            "Too many failed logins. Try again in 15 minutes.",
        ),
        ("sms.segments", {"count": 1}, "SMS 1 通分", "1 SMS segment"),
        ("sms.segments", {"count": 0}, "SMS 0 通分", "0 SMS segments"),
        (
            "event.data.expired",
            {"days": 1, "captures": 3},
            "保存期間（1 日）を過ぎたデータを削除しました（キャプチャ 3 件）",
            "Data past the retention period (1 day) deleted (3 captures)",
        ),
        (
            "event.data.expired",
            {"days": 30, "captures": 1},
            "保存期間（30 日）を過ぎたデータを削除しました（キャプチャ 1 件）",
            "Data past the retention period (30 days) deleted (1 capture)",
        ),
    ],
)
def test_the_count_picks_the_english_form_and_japanese_stays(key, params, ja_text, en_text):
    assert translate("ja", key, **params) == ja_text
    assert translate("en", key, **params) == en_text


def test_every_call_gives_the_placeholders_its_message_shows(uses):
    """Where a key and its parameters are both written out (translate,
    redirect, t() in templates, ApiError with a params dict), the message
    shows only parameters it is given: a missing one would raise KeyError."""
    short = {}
    for key, given, at in uses.calls:
        if key not in KEYS:
            continue  # reported by test_every_key_in_use_exists
        texts = [t for c in CATALOGS.values() if key in c for t in forms(c[key])]
        needed = set().union(*(placeholders(t) for t in texts))
        if given and needed - given:
            short[at] = (key, sorted(needed - given))
    assert not short


# The embedded widget carries its own few words (it runs on other sites and
# loads nothing from the catalog): its Japanese and English tables must match.
EMBED_TABLES = {"embed/widget.js": "S", "embed/capture.js": "LABELS"}
JS_ENTRY = re.compile(r"(\w+):\s*\"((?:[^\"\\]|\\.)*)\"")


def embed_table(source: str, locale: str) -> dict[str, str]:
    start = re.search(rf"\b{locale}:\s*\{{", source)
    assert start, f"no {locale}: {{...}} table"
    depth, end = 0, start.end() - 1
    for end in range(start.end() - 1, len(source)):
        depth += {"{": 1, "}": -1}.get(source[end], 0)
        if depth == 0:
            break
    return dict(JS_ENTRY.findall(source[start.end() : end]))


@pytest.mark.parametrize("path", sorted(EMBED_TABLES))
def test_the_widget_speaks_both_languages_alike(path):
    source = (ROOT / path).read_text()
    tables = {locale: embed_table(source, locale) for locale in LOCALES}
    assert tables["ja"], f"no strings found in {path}"
    assert set(tables["ja"]) == set(tables["en"])
    for name, text in tables["ja"].items():
        assert set(re.findall(r"\{\w+\}", text)) == set(re.findall(r"\{\w+\}", tables["en"][name]))
