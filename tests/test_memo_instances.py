"""The shared memo on two server instances sharing PostgreSQL and Redis:
the host's socket on one, the guest's on the other."""

from __future__ import annotations

import pytest

from server.web.app import create_app
from tests.conftest import POSTGRES_URL, REDIS_URL, test_settings
from tests.served_app import serving
from tests.sockets import next_message
from tests.test_memo import (
    Typist,
    console_socket,
    guest_socket,
    send,
    start_meeting,
    stored,
    synced,
)


@pytest.fixture
def database_url(postgres_and_redis) -> str:
    return POSTGRES_URL


@pytest.fixture
def settings(tmp_path, database_url):
    return test_settings(tmp_path / "data", database_url, redis_url=REDIS_URL)


async def test_sockets_on_two_instances_type_into_one_memo(app, settings, host):
    """Each keystroke reaches the other side over Redis, what one instance
    had not saved yet reaches a memo opened on the other, and both
    instances' saves keep every character."""
    a, b = create_app(settings), create_app(settings)
    meeting, token = await start_meeting(host)
    async with (
        a.router.lifespan_context(a),
        b.router.lifespan_context(b),
        serving(a) as on_a,
        serving(b) as on_b,
    ):
        mine, theirs = Typist(), Typist()
        async with (
            console_socket(on_a, host, meeting["id"]) as console,
            guest_socket(on_b, token) as guest,
        ):
            await synced(console, mine)
            # Typed on A and not saved yet when the memo opens on B.
            await send(console, mine.type(0, "A: "))
            await synced(guest, theirs)
            for _ in range(30):
                await send(console, mine.type(len(str(mine)), "a"))
                await send(guest, theirs.type(len(str(theirs)), "b"))
            expected = sorted("A: " + "a" * 30 + "b" * 30)
            while sorted(str(mine)) != expected:
                mine.receive(await next_message(console, "memo.update"))
            while sorted(str(theirs)) != expected:
                theirs.receive(await next_message(guest, "memo.update"))
            assert str(mine) == str(theirs)
        await on_a.idle()
        await on_b.idle()
    row = await stored(app, meeting["id"])
    assert row is not None and row.text == str(mine)
