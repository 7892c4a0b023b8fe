"""Fixtures shared by the suite.

Database tests run once per backend: SQLite always, PostgreSQL too when
``TSUNAGU_TEST_POSTGRES_URL`` is set (each test on a freshly emptied schema).
Rate-limit tests likewise run against Redis when ``TSUNAGU_TEST_REDIS_URL``
is set. Browser tests drive Debian's Chromium through Playwright against the
real server started with ``tsunagu run`` in a subprocess.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from server.accounts import users
from server.settings import Settings
from server.storage.database import create_engine, migrate
from server.storage.models import User
from server.web.app import create_app
from server.web.services import services
from tests.live_server import LiveServer, free_port, start_server

POSTGRES_URL = os.environ.get("TSUNAGU_TEST_POSTGRES_URL", "")
REDIS_URL = os.environ.get("TSUNAGU_TEST_REDIS_URL", "")
# An S3-protocol server (.ci/run starts moto's): the PostgreSQL runs of the
# app fixture keep their blobs there. Unset, the S3 tests start their own.
S3_URL = os.environ.get("TSUNAGU_TEST_S3_URL", "")
S3_KEYS = {"s3_access_key_id": "testing", "s3_secret_access_key": "testing"}
DATABASES = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]
# Backends of the interfaces that can run in memory or on Redis.
BUS_BACKENDS = ["memory", *(["redis"] if REDIS_URL else [])]
PASSWORD = "correct horse battery"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
EXPECT_TIMEOUT_MS = 15_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# -- database and app -------------------------------------------------------


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'tsunagu.db'}"
    return POSTGRES_URL


async def empty_database(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def test_settings(data_dir: Path, database_url: str, **overrides: object) -> Settings:
    # Cheap argon2 parameters: hashing cost is not what these tests measure.
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        # Link meetings without the waiting room, as before it came (issue
        # #14): its own tests turn it on; the rest join by link directly.
        **{"waiting_room_links": False, **overrides},  # type: ignore[arg-type]
    ).resolved()


test_settings.__test__ = False  # type: ignore[attr-defined]


@pytest.fixture
def settings_env(tmp_path: Path) -> Callable[..., dict[str, str]]:
    """An environment for ``Settings.from_env``: a throwaway data dir plus ``values``."""

    def make(**values: str) -> dict[str, str]:
        return {"TSUNAGU_DATA_DIR": str(tmp_path / "env-data"), **values}

    return make


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Settings:
    if S3_URL and database_url.startswith("postgresql"):
        return test_settings(
            tmp_path / "data", database_url, **request.getfixturevalue("s3_settings")
        )
    return test_settings(tmp_path / "data", database_url)


# -- an S3-protocol server ------------------------------------------------------


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The URL of an S3-protocol server: ``TSUNAGU_TEST_S3_URL``, or moto's
    server started here for the session (moto[server] is a dev dependency,
    so these tests never skip)."""
    if S3_URL:
        yield S3_URL
        return
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/moto-api/", process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def wait_for_http(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the S3 test server exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the S3 test server did not answer")


@pytest.fixture
def s3_bucket(s3_endpoint: str) -> str:
    """A new, empty bucket for one test."""
    import boto3

    name = f"test-{uuid.uuid4().hex}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_settings(s3_endpoint: str, s3_bucket: str) -> dict[str, object]:
    """``Settings`` fields that keep blobs in a fresh bucket of the test server."""
    return {
        "blob_store": "s3",
        "s3_bucket": s3_bucket,
        "s3_endpoint_url": s3_endpoint,
        "s3_region": "us-east-1",
        **S3_KEYS,
    }


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator:
    await empty_database(settings.database_url)
    engine = create_engine(settings.database_url)
    await migrate(engine)
    await engine.dispose()
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


def http_client(app, address: str = "198.51.100.7", base_url: str = "http://testserver"):
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url=base_url)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app) as c:
        yield c


@pytest.fixture
def make_user(app) -> Callable[..., Awaitable[User]]:
    async def make(username: str, role: str = "host", password: str = PASSWORD) -> User:
        async with services(app).db.begin() as db:
            return await users.create_user(
                db, services(app).passwords, username=username, password=password, role=role
            )

    return make


async def log_in(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    return await client.post(
        "/login", data={"username": username, "password": password, "next": "/"}
    )


async def csrf_token(client: httpx.AsyncClient, path: str = "/") -> str:
    page = await client.get(path)
    match = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', page.text)
    assert match, f"no CSRF token on {path} (status {page.status_code})"
    return match.group(1)


@pytest.fixture
async def admin_client(client: httpx.AsyncClient, make_user) -> httpx.AsyncClient:
    """A client logged in to the console as an admin."""
    await make_user("boss", role="admin")
    response = await log_in(client, "boss")
    assert response.status_code == 303
    return client


@pytest.fixture
async def host(app, make_user) -> AsyncIterator[httpx.AsyncClient]:
    """An API client logged in as a host ("tanaka"), with the CSRF header set."""
    await make_user("tanaka")
    async with http_client(app) as client:
        await log_in(client, "tanaka")
        client.headers["x-csrf-token"] = await csrf_token(client)
        yield client


@pytest.fixture
def postgres_and_redis() -> None:
    """For tests of several instances sharing PostgreSQL and Redis: they
    fail, rather than skip, without them (``make test`` and ``.ci/run``
    point the suite at the machine's own)."""
    if not (POSTGRES_URL and REDIS_URL):
        pytest.fail(
            "set TSUNAGU_TEST_POSTGRES_URL and TSUNAGU_TEST_REDIS_URL "
            "(make test sets them to the machine's PostgreSQL and Redis)"
        )


# -- the real server in a subprocess ------------------------------------------


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # Every browser test's guest comes from 127.0.0.1; the per-address
    # number limit (tested on its own) must not depend on how many there are.
    server = start_server(tmp_path_factory.mktemp("live"), TSUNAGU_NUMBER_ISSUES_PER_MINUTE="1000")
    yield server
    server.stop()


# -- the browser ---------------------------------------------------------------


FAILED = pytest.StashKey[bool]()


# What the browser saw in a test (console messages, page errors, failed or
# refused requests), shown with the live server's last log lines when the
# test fails: a failure in CI must say why without a rerun.
BROWSER_LOG = pytest.StashKey[list[str]]()
SERVER_LOG_LINES = 60


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
        if report.failed:
            for title, text in failure_sections(item):
                report.sections.append((title, text))
    return report


def failure_sections(item: pytest.Item) -> list[tuple[str, str]]:
    sections = []
    seen = item.stash.get(BROWSER_LOG, [])
    if seen:
        sections.append(("browser log", "\n".join(seen[-200:])))
    server = getattr(item, "funcargs", {}).get("live_server")
    if isinstance(server, LiveServer) and server.log.exists():
        lines = server.log.read_text(errors="replace").splitlines()[-SERVER_LOG_LINES:]
        sections.append((f"live server log ({server.log.name})", "\n".join(lines)))
    return sections


def watch(page, log: list[str], name: str) -> None:
    """Note on ``log`` what the test would want to know if it fails."""
    started = time.monotonic()

    def note(text: str) -> None:
        log.append(f"{time.monotonic() - started:7.2f}s {name}: {text}")

    page.on("console", lambda message: note(f"console.{message.type}: {message.text}"))
    page.on("pageerror", lambda error: note(f"pageerror: {error}"))
    page.on("requestfailed", lambda req: note(f"failed {req.method} {req.url}: {req.failure}"))
    page.on(
        "response",
        lambda response: (
            response.status >= 400
            and note(f"{response.status} {response.request.method} {response.url}")
        ),
    )
    page.on("framenavigated", lambda frame: frame.parent_frame or note(f"at {frame.url}"))


@pytest.fixture(scope="module")
def browser():
    # Module scope: the sync API must not hold an event loop while the
    # asyncio tests of other modules run in this thread.
    from playwright.sync_api import expect, sync_playwright

    # An expectation passes as soon as it holds; the wait only bounds how
    # long a failing one takes. Playwright's 5 s ran out on a loaded machine
    # (a server restart, a video connection) where nothing was wrong.
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser, request: pytest.FixtureRequest):
    """Open pages in fresh browser contexts; screenshots are kept on failure."""
    contexts = []
    log = request.node.stash.setdefault(BROWSER_LOG, [])

    def open_page(**context_options):
        context_options.setdefault("locale", "ja-JP")
        context = browser.new_context(**context_options)
        contexts.append(context)
        page = context.new_page()
        watch(page, log, f"page {len(contexts)}")
        return page

    yield open_page
    if request.node.stash.get(FAILED, False):
        ARTIFACTS.mkdir(exist_ok=True)
        for index, context in enumerate(contexts):
            for number, page in enumerate(context.pages):
                page.screenshot(path=ARTIFACTS / f"{request.node.name}-{index}-{number}.png")
    for context in contexts:
        context.close()


def console_host(new_page, live_server: LiveServer):
    """A host logged in to the console through the real login page, on the dashboard."""
    from playwright.sync_api import expect

    host = new_page(viewport={"width": 1280, "height": 800})
    host.goto(live_server.url + "/login")
    host.get_by_label("ユーザー名").fill("admin")
    host.get_by_label("パスワード").fill(live_server.first_run_password())
    host.get_by_role("button", name="ログイン").click()
    expect(host.get_by_role("heading", name="接続番号を入力")).to_be_visible()
    host.on("dialog", lambda dialog: dialog.accept())
    return host


def type_number(host, number: str) -> None:
    """Type a connection number into the dashboard's boxes (the fourth digit submits)."""
    host.locator("input.digit").first.click()
    host.keyboard.type(number)
