"""The event bus delivers the same way in memory and through Redis."""

from __future__ import annotations

import uuid

import anyio
import pytest

from server.live.event_bus import QUEUE_SIZE, MemoryEventBus, RedisEventBus
from tests.conftest import BUS_BACKENDS, REDIS_URL


@pytest.fixture(params=BUS_BACKENDS)
async def bus(request):
    backend = MemoryEventBus() if request.param == "memory" else RedisEventBus(REDIS_URL)
    yield backend
    await backend.close()


@pytest.fixture
def channel() -> str:
    return f"test:{uuid.uuid4()}"  # Redis is shared between runs


async def receive(subscription, count: int) -> list:
    with anyio.fail_after(5):
        return [await subscription.get() for _ in range(count)]


async def test_subscribers_get_their_channels_messages_in_order(bus, channel):
    async with bus.subscribe() as mine, bus.subscribe() as other:
        await mine.add(channel)
        await other.add(channel + ":other")
        for number in range(5):
            await bus.publish(channel, {"id": number})
        await bus.publish(channel + ":other", {"id": 99})
        assert [m["id"] for m in await receive(mine, 5)] == [0, 1, 2, 3, 4]
        assert [m["id"] for m in await receive(other, 1)] == [99]


async def test_one_subscription_can_follow_several_channels(bus, channel):
    async with bus.subscribe() as subscription:
        await subscription.add(channel + ":a")
        await subscription.add(channel + ":b")
        await bus.publish(channel + ":a", {"id": 1})
        await bus.publish(channel + ":b", {"id": 2})
        assert sorted(m["id"] for m in await receive(subscription, 2)) == [1, 2]


async def test_nothing_arrives_after_unsubscribing(bus, channel):
    async with bus.subscribe() as first:
        await first.add(channel)
    async with bus.subscribe() as second:
        await second.add(channel)
        await bus.publish(channel, {"id": 7})
        assert [m["id"] for m in await receive(second, 1)] == [7]
    assert first._queue.empty()


async def test_a_subscriber_that_falls_too_far_behind_is_ended_not_left_growing(channel):
    bus = MemoryEventBus()
    async with bus.subscribe() as slow:
        await slow.add(channel)
        for number in range(QUEUE_SIZE + 10):
            await bus.publish(channel, {"id": number})
        first = await slow.get()
    # Nothing is handed over past a gap: the queue is dropped whole and the
    # subscriber is told at once to reconnect and catch up from the database.
    assert first is None
    assert slow.closed


@pytest.mark.skipif(not REDIS_URL, reason="needs TSUNAGU_TEST_REDIS_URL")
async def test_two_processes_sharing_redis_hear_each_other(channel):
    a, b = RedisEventBus(REDIS_URL), RedisEventBus(REDIS_URL)
    try:
        async with b.subscribe() as listener:
            await listener.add(channel)
            await a.publish(channel, {"id": 1, "from": "a"})
            assert await receive(listener, 1) == [{"id": 1, "from": "a"}]
    finally:
        await a.close()
        await b.close()
