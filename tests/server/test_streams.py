"""The stream fan-out: order, isolation, the slow-consumer cut, closing and unsubscribing.

Everything runs on the test's event loop; ``asyncio.sleep(0)`` lets a parked reader task run once,
and ``asyncio.wait_for`` only guards against a hang, it times nothing.
"""

import asyncio
import gc
import random
import traceback
import weakref
from collections import deque
from collections.abc import Callable

import pytest

from paperex.server.core.streams import Hub, SlowConsumer, StreamClosed, Subscription

HANG_GUARD = 5.0


async def read(sub: Subscription[int], count: int) -> list[int]:
    """``count`` items from ``sub``, guarded against a hang."""

    async def take() -> list[int]:
        return [await anext(sub) for _ in range(count)]

    return await asyncio.wait_for(take(), HANG_GUARD)


async def read_to_end(sub: Subscription[int]) -> list[int]:
    async def take() -> list[int]:
        return [item async for item in sub]

    return await asyncio.wait_for(take(), HANG_GUARD)


async def settle() -> None:
    """Let every ready task run a few steps (no timing involved)."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_every_subscriber_gets_every_item_in_order() -> None:
    hub: Hub[int] = Hub()
    subs = [hub.subscribe("BTCUSDT", capacity=16) for _ in range(3)]

    for item in range(10):
        hub.publish("BTCUSDT", item)

    for sub in subs:
        assert await read(sub, 10) == list(range(10))
        assert sub.pending == 0


async def test_a_subscription_receives_from_creation_not_before() -> None:
    hub: Hub[int] = Hub()
    hub.publish("BTCUSDT", 1)
    sub = hub.subscribe("BTCUSDT", capacity=4)
    hub.publish("BTCUSDT", 2)

    assert await read(sub, 1) == [2]


async def test_topics_are_isolated() -> None:
    hub: Hub[int] = Hub()
    btc = hub.subscribe("BTCUSDT", capacity=4)
    eth = hub.subscribe("ETHUSDT", capacity=4)
    user = hub.subscribe(("user", 7), capacity=4)

    hub.publish("BTCUSDT", 1)
    hub.publish("ETHUSDT", 2)
    hub.publish(("user", 7), 3)
    hub.publish(("user", 8), 4)
    hub.publish("SOLUSDT", 5)

    assert (btc.pending, eth.pending, user.pending) == (1, 1, 1)
    assert await read(btc, 1) == [1]
    assert await read(eth, 1) == [2]
    assert await read(user, 1) == [3]


async def test_a_parked_reader_is_woken_by_a_publish() -> None:
    hub: Hub[int] = Hub()
    sub = hub.subscribe("BTCUSDT", capacity=4)
    reader = asyncio.create_task(read(sub, 2))
    await settle()

    hub.publish("BTCUSDT", 1)
    await settle()
    hub.publish("BTCUSDT", 2)

    assert await reader == [1, 2]


async def test_subscriber_count_per_topic_and_in_total() -> None:
    hub: Hub[int] = Hub()
    hub.subscribe("BTCUSDT", capacity=1)
    hub.subscribe("BTCUSDT", capacity=1)
    hub.subscribe("ETHUSDT", capacity=1)

    assert hub.subscriber_count("BTCUSDT") == 2
    assert hub.subscriber_count("ETHUSDT") == 1
    assert hub.subscriber_count("SOLUSDT") == 0
    assert hub.subscriber_count() == 3


def test_a_topic_left_by_its_last_subscriber_is_forgotten() -> None:
    class Topic:
        """Weak-referenceable, unlike a str."""

    hub: Hub[int] = Hub()
    topic = Topic()
    subs = [hub.subscribe(topic, capacity=1) for _ in range(3)]
    ref = weakref.ref(topic)
    subs[0].unsubscribe()  # one leaves by unsubscribing,
    subs[1].close("DELISTED")  # one is closed,
    hub.publish_many(topic, [1, 2])  # one is cut
    del topic, subs
    gc.collect()

    assert ref() is None
    assert hub.subscriber_count() == 0


@pytest.mark.parametrize("capacity", [0, -1])
def test_capacity_must_be_positive(capacity: int) -> None:
    with pytest.raises(ValueError, match="capacity"):
        Hub[int]().subscribe("BTCUSDT", capacity=capacity)


async def test_slow_consumer_is_cut_on_the_first_item_past_capacity() -> None:
    hub: Hub[int] = Hub()
    slow = hub.subscribe("BTCUSDT", capacity=3)
    fast = hub.subscribe("BTCUSDT", capacity=3)

    for item in range(3):
        hub.publish("BTCUSDT", item)
    assert (slow.pending, hub.subscriber_count("BTCUSDT")) == (3, 2)  # full, not over: kept
    assert await read(fast, 3) == [0, 1, 2]

    hub.publish("BTCUSDT", 3)

    assert slow.pending == 0
    assert hub.subscriber_count("BTCUSDT") == 1
    with pytest.raises(SlowConsumer) as cut:
        await read(slow, 1)
    assert (cut.value.pending, cut.value.capacity) == (3, 3)
    hub.publish("BTCUSDT", 4)
    assert slow.pending == 0  # no longer receives
    with pytest.raises(SlowConsumer):  # and says so on every read
        await read(slow, 1)
    assert await read(fast, 2) == [3, 4]


async def test_reading_an_ended_stream_again_does_not_grow_the_traceback() -> None:
    hub: Hub[int] = Hub()
    sub = hub.subscribe("BTCUSDT", capacity=1)
    sub.close("EXCHANGE_RESET")
    depths: list[int] = []
    for _ in range(3):
        with pytest.raises(StreamClosed) as closed:
            await anext(sub)
        depths.append(len(traceback.extract_tb(closed.value.__traceback__)))

    assert depths[0] == depths[1] == depths[2]


async def test_a_cut_releases_the_buffered_items() -> None:
    class Delta:
        """Weak-referenceable, unlike an int."""

    hub: Hub[Delta] = Hub()
    sub = hub.subscribe("BTCUSDT", capacity=2)
    buffered = [Delta(), Delta()]
    refs = [weakref.ref(delta) for delta in buffered]
    for delta in buffered:
        hub.publish("BTCUSDT", delta)
    del buffered, delta

    hub.publish("BTCUSDT", Delta())
    gc.collect()

    assert [ref() for ref in refs] == [None, None]
    with pytest.raises(SlowConsumer):
        await asyncio.wait_for(anext(sub), HANG_GUARD)


async def test_a_woken_reader_that_has_not_run_yet_is_still_cut() -> None:
    hub: Hub[int] = Hub()
    sub = hub.subscribe("BTCUSDT", capacity=1)
    reader = asyncio.create_task(read(sub, 1))
    await settle()

    hub.publish("BTCUSDT", 1)  # wakes the reader...
    hub.publish("BTCUSDT", 2)  # ...which has not taken item 1 yet: over capacity

    with pytest.raises(SlowConsumer) as cut:
        await reader
    assert cut.value.pending == 1


async def test_a_batch_is_delivered_in_order_with_one_wake_up(monkeypatch: pytest.MonkeyPatch) -> None:
    hub: Hub[int] = Hub()
    sub = hub.subscribe("BTCUSDT", capacity=8)
    loop = asyncio.get_running_loop()
    parks = 0
    create_future = loop.create_future

    def counting_create_future() -> "asyncio.Future[object]":
        nonlocal parks
        parks += 1
        return create_future()

    monkeypatch.setattr(loop, "create_future", counting_create_future)
    received: list[int] = []

    async def reader() -> None:
        async for item in sub:
            received.append(item)

    task = asyncio.create_task(reader())
    await settle()
    assert parks == 1

    hub.publish_many("BTCUSDT", [1, 2, 3, 4])
    await settle()
    hub.publish_many("BTCUSDT", [5, 6, 7, 8, 9])
    await settle()

    assert received == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert parks == 3  # parked once at the start and once after each batch
    sub.unsubscribe()
    await settle()
    assert task.done()


async def test_a_batch_is_all_or_nothing_per_subscriber() -> None:
    hub: Hub[int] = Hub()
    roomy = hub.subscribe("BTCUSDT", capacity=5)
    tight = hub.subscribe("BTCUSDT", capacity=5)
    hub.publish("BTCUSDT", 0)
    hub.publish("BTCUSDT", 1)
    assert await read(roomy, 2) == [0, 1]

    hub.publish_many("BTCUSDT", [2, 3, 4, 5])  # roomy: 0 + 4 <= 5; tight: 2 + 4 > 5

    assert roomy.pending == 4
    assert tight.pending == 0
    with pytest.raises(SlowConsumer) as cut:
        await read(tight, 1)
    assert cut.value.pending == 2
    assert await read(roomy, 4) == [2, 3, 4, 5]


async def test_a_batch_longer_than_capacity_cuts_and_an_empty_batch_is_nothing() -> None:
    hub: Hub[int] = Hub()
    sub = hub.subscribe("BTCUSDT", capacity=3)

    hub.publish_many("BTCUSDT", [])
    assert (sub.pending, hub.subscriber_count()) == (0, 1)
    hub.publish_many("BTCUSDT", [1, 2, 3, 4])

    assert hub.subscriber_count() == 0
    with pytest.raises(SlowConsumer):
        await read(sub, 1)


async def test_close_without_drain_drops_the_buffer_and_raises_stream_closed() -> None:
    hub: Hub[int] = Hub()
    sub = hub.subscribe("BTCUSDT", capacity=4)
    hub.publish_many("BTCUSDT", [1, 2])

    sub.close("EXCHANGE_RESET")

    assert (sub.pending, sub.close_reason, hub.subscriber_count()) == (0, "EXCHANGE_RESET", 0)
    with pytest.raises(StreamClosed) as closed:
        await read(sub, 1)
    assert closed.value.reason == "EXCHANGE_RESET"


async def test_close_with_drain_delivers_the_buffer_then_ends_cleanly() -> None:
    hub: Hub[int] = Hub()
    sub = hub.subscribe("BTCUSDT", capacity=4)
    hub.publish_many("BTCUSDT", [1, 2])

    sub.close("SHUTTING_DOWN", drain=True)
    hub.publish("BTCUSDT", 3)  # too late: it has left the hub

    assert await read_to_end(sub) == [1, 2]
    assert sub.close_reason == "SHUTTING_DOWN"


async def test_close_wakes_a_parked_reader() -> None:
    hub: Hub[int] = Hub()
    draining = hub.subscribe("BTCUSDT", capacity=4)
    resetting = hub.subscribe("ETHUSDT", capacity=4)
    drained = asyncio.create_task(read_to_end(draining))
    reset = asyncio.create_task(read_to_end(resetting))
    await settle()

    hub.close_topic("BTCUSDT", "SHUTTING_DOWN", drain=True)
    hub.close_topic("ETHUSDT", "EXCHANGE_RESET")

    assert await drained == []
    with pytest.raises(StreamClosed):
        await reset


async def test_close_topic_leaves_other_topics_alone() -> None:
    hub: Hub[int] = Hub()
    btc = [hub.subscribe("BTCUSDT", capacity=4) for _ in range(2)]
    eth = hub.subscribe("ETHUSDT", capacity=4)

    hub.close_topic("BTCUSDT", "DELISTED")
    hub.close_topic("SOLUSDT", "DELISTED")  # no subscribers: nothing to do
    hub.publish("ETHUSDT", 1)

    assert hub.subscriber_count() == 1
    assert [sub.close_reason for sub in btc] == ["DELISTED", "DELISTED"]
    assert await read(eth, 1) == [1]


async def test_close_all_ends_every_topic_and_the_hub_stays_usable() -> None:
    hub: Hub[int] = Hub()
    old = [hub.subscribe(topic, capacity=4) for topic in ("BTCUSDT", "ETHUSDT", ("user", 7))]
    for sub in old:
        hub.publish(sub.topic, 1)

    hub.close_all("EXCHANGE_RESET")

    assert hub.subscriber_count() == 0
    for sub in old:
        with pytest.raises(StreamClosed):
            await read(sub, 1)
    new = hub.subscribe("BTCUSDT", capacity=4)
    hub.publish("BTCUSDT", 2)
    assert await read(new, 1) == [2]


async def test_close_all_with_drain_lets_every_reader_finish_its_buffer() -> None:
    hub: Hub[int] = Hub()
    btc = hub.subscribe("BTCUSDT", capacity=4)
    eth = hub.subscribe("ETHUSDT", capacity=4)
    hub.publish_many("BTCUSDT", [1, 2])
    hub.publish("ETHUSDT", 3)

    hub.close_all("SHUTTING_DOWN", drain=True)

    assert await read_to_end(btc) == [1, 2]
    assert await read_to_end(eth) == [3]


async def test_an_ended_stream_keeps_its_first_ending() -> None:
    hub: Hub[int] = Hub()
    sub = hub.subscribe("BTCUSDT", capacity=1)
    hub.publish_many("BTCUSDT", [1, 2])

    sub.close("EXCHANGE_RESET")
    hub.close_all("SHUTTING_DOWN")

    assert sub.close_reason is None
    with pytest.raises(SlowConsumer):
        await read(sub, 1)


async def test_leaving_async_with_by_break_unsubscribes() -> None:
    hub: Hub[int] = Hub()
    seen: list[int] = []
    async with hub.subscribe("BTCUSDT", capacity=4) as sub:
        hub.publish_many("BTCUSDT", [1, 2, 3])
        async for item in sub:
            seen.append(item)
            if item == 2:
                break

    assert seen == [1, 2]
    assert (hub.subscriber_count(), sub.pending) == (0, 0)
    hub.publish("BTCUSDT", 4)
    assert sub.pending == 0


async def test_leaving_async_with_by_an_exception_unsubscribes() -> None:
    hub: Hub[int] = Hub()
    with pytest.raises(KeyError):
        async with hub.subscribe("BTCUSDT", capacity=4) as sub:
            hub.publish("BTCUSDT", 1)
            async for _ in sub:
                raise KeyError("handler failed")

    assert hub.subscriber_count() == 0


async def test_a_cancelled_reader_unsubscribes() -> None:
    """What happens when a gRPC client disconnects: the handler task is cancelled while parked."""
    hub: Hub[int] = Hub()

    async def handler() -> None:
        async with hub.subscribe("BTCUSDT", capacity=4) as sub:
            async for _ in sub:
                pass

    task = asyncio.create_task(handler())
    await settle()
    assert hub.subscriber_count() == 1

    task.cancel()  # cancels the reader's parked wait at once; the task itself runs later
    hub.publish("BTCUSDT", 1)  # so this publish meets a cancelled wait and must not trip on it
    with pytest.raises(asyncio.CancelledError):
        await task
    assert hub.subscriber_count() == 0


async def test_unsubscribe_in_finally_ends_iteration_and_is_idempotent() -> None:
    hub: Hub[int] = Hub()
    sub = hub.subscribe("BTCUSDT", capacity=4)
    try:
        hub.publish_many("BTCUSDT", [1, 2])
        assert await read(sub, 1) == [1]
    finally:
        sub.unsubscribe()
    sub.unsubscribe()

    assert (hub.subscriber_count(), sub.pending) == (0, 0)
    assert await read_to_end(sub) == []


async def test_a_forgotten_subscription_is_cut_at_capacity_so_memory_stays_bounded() -> None:
    """A ``break`` without ``async with`` or ``unsubscribe`` leaks only until the buffer overflows."""
    hub: Hub[int] = Hub()
    sub = hub.subscribe("BTCUSDT", capacity=2)
    hub.publish("BTCUSDT", 1)
    async for _ in sub:
        break

    hub.publish_many("BTCUSDT", [2, 3])
    assert hub.subscriber_count() == 1
    hub.publish("BTCUSDT", 4)

    assert (hub.subscriber_count(), sub.pending) == (0, 0)


async def test_a_subscription_has_one_reader() -> None:
    hub: Hub[int] = Hub()
    sub = hub.subscribe("BTCUSDT", capacity=4)
    first = asyncio.create_task(read(sub, 1))
    await settle()

    with pytest.raises(RuntimeError, match="one reader"):
        await read(sub, 1)
    hub.publish("BTCUSDT", 1)
    assert await first == [1]


@pytest.mark.parametrize("seed", range(5))
async def test_random_flows_match_a_naive_model(seed: int) -> None:
    """Random publishes, batches, reads and unsubscribes against per-subscriber lists.

    Reads only take what is buffered, so they never park and the test drives everything itself.
    """
    rng = random.Random(seed)
    hub: Hub[int] = Hub()
    topics = ["BTCUSDT", "ETHUSDT"]
    model: dict[Subscription[int], deque[int]] = {}
    ended: dict[Subscription[int], type[Exception]] = {}
    counter = iter(range(1_000_000))

    def deliver(topic: str, items: list[int]) -> None:
        for sub, expected in model.items():
            if sub.topic != topic or sub in ended:
                continue
            if len(expected) + len(items) > sub.capacity:
                expected.clear()
                ended[sub] = SlowConsumer
            else:
                expected.extend(items)

    actions: list[Callable[[], None]] = []

    def subscribe() -> None:
        model[hub.subscribe(rng.choice(topics), capacity=rng.randint(1, 6))] = deque()

    def publish() -> None:
        topic, item = rng.choice(topics), next(counter)
        hub.publish(topic, item)
        deliver(topic, [item])

    def publish_many() -> None:
        topic, items = rng.choice(topics), [next(counter) for _ in range(rng.randint(0, 4))]
        hub.publish_many(topic, items)
        deliver(topic, items)

    def unsubscribe() -> None:
        if model:
            sub = rng.choice(list(model))
            sub.unsubscribe()
            model[sub].clear()
            ended.setdefault(sub, StopAsyncIteration)

    actions.extend([subscribe, publish, publish, publish_many, unsubscribe])
    for _ in range(400):
        rng.choice(actions)()
        for sub, expected in model.items():
            assert sub.pending == len(expected) <= sub.capacity
        if model and rng.random() < 0.5:
            sub = rng.choice(list(model))
            for _ in range(rng.randint(0, sub.pending)):
                assert await anext(sub) == model[sub].popleft()
        live = sum(1 for sub in model if sub not in ended)
        assert hub.subscriber_count() == live

    for sub, expected in model.items():
        assert await read(sub, len(expected)) == list(expected)
        if sub in ended:
            with pytest.raises(ended[sub]):
                await read(sub, 1)
