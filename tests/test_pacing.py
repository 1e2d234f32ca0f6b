"""The shared rate limiter on real Redis (database 15): what the provider is promised.

"With several workers the provider never sees more than the configured rate in any 1-second
window (allowing ~150 ms of network jitter in arrival times), and sees at least 95% of it while
there is work." Read as: every sliding window of 0.85 s holds at most `rate` arrivals, and the
achieved rate (arrivals - 1) / (last - first) is at least 95% of the configured one.

Every test uses its own key prefix and deletes its keys afterwards.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
import time
import uuid
from bisect import bisect_left

import pytest
from redis import Redis

from gateway.channels import ProviderRequest
from gateway.provider.gateway import Accepted, ProviderGateway
from gateway.provider.pacing import MAX_AHEAD_SECONDS, RateLimiter

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
WINDOW = 0.85  # one second, less 150 ms of allowed arrival jitter


def worst_window(stamps: list[float], width: float) -> int:
    """The most timestamps in any window [t, t + width) (a worst window starts at one of them).
    Half-open: a perfect stream at r/s puts exactly r in every 1-second window."""
    stamps = sorted(stamps)
    return max((bisect_left(stamps, t + width) - i for i, t in enumerate(stamps)), default=0)


def achieved_rate(stamps: list[float]) -> float:
    stamps = sorted(stamps)
    return (len(stamps) - 1) / (stamps[-1] - stamps[0])


def test_worst_window_counts_a_half_open_window():
    assert worst_window([0.0, 0.5, 0.85, 0.86, 1.0, 2.0], 0.85) == 4  # 0.5 .. 1.0
    assert worst_window([i / 20 for i in range(200)], 1.0) == 20  # a perfect 20/s stream
    assert worst_window([], 0.85) == 0


@pytest.fixture
def redis():
    connection = Redis.from_url(REDIS_URL)
    connection.ping()
    yield connection
    connection.close()


@pytest.fixture
def prefix(redis):
    prefix = f"pacing-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    for key in redis.scan_iter(f"{prefix}:*", count=100_000):
        redis.delete(key)


def _callers(prefix: str, bucket: str, rate: float, threads: int, go, deadline_of,
             out: list[float]) -> None:
    """`threads` callers on one limiter, each acquiring and stamping until the deadline."""
    limiter = RateLimiter(Redis.from_url(REDIS_URL), prefix)
    lock = threading.Lock()

    def loop() -> None:
        go.wait()
        deadline = deadline_of()
        while time.time() < deadline:
            limiter.acquire(bucket, rate)
            stamp = time.time()
            with lock:
                out.append(stamp)

    pool = [threading.Thread(target=loop, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()


def _child(prefix: str, bucket: str, rate: float, threads: int, ready, go, deadline, results):
    """One worker-like process (spawned): says it is ready, waits for the start, then sends
    its timestamps back."""
    Redis.from_url(REDIS_URL).ping()
    ready.put(os.getpid())
    stamps: list[float] = []
    _callers(prefix, bucket, rate, threads, go, lambda: deadline.value, stamps)
    results.put(stamps)


def test_threads_and_processes_share_one_schedule(redis, prefix):
    rate, seconds, processes, threads = 40.0, 2.5, 3, 2
    ctx = multiprocessing.get_context("spawn")
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    deadline = ctx.Value("d", 0.0)
    children = [ctx.Process(target=_child, daemon=True,
                            args=(prefix, "calls", rate, threads, ready, go, deadline, results))
                for _ in range(processes)]
    for child in children:
        child.start()
    try:
        for _ in children:
            ready.get(timeout=60)
        here: list[float] = []
        local = threading.Thread(target=_callers, daemon=True, args=(
            prefix, "calls", rate, threads, go, lambda: deadline.value, here))
        local.start()
        deadline.value = time.time() + seconds
        go.set()
        try:
            stamps = [s for _ in children for s in results.get(timeout=seconds + 20)]
        except queue.Empty:
            raise AssertionError("a caller process never finished: acquire() did not return") from None
        local.join(20)
        assert not local.is_alive(), "a caller thread never finished: acquire() did not return"
        stamps += here
    finally:
        for child in children:
            child.join(10)
            if child.is_alive():
                child.kill()

    callers = (processes + 1) * threads
    assert len(stamps) >= rate * seconds * 0.9, f"only {len(stamps)} acquires from {callers} callers"
    worst = worst_window(stamps, WINDOW)
    assert worst <= rate, f"{worst} arrivals within {WINDOW} s at {rate}/s"
    achieved = achieved_rate(stamps)
    assert achieved >= 0.95 * rate, f"achieved {achieved:.1f}/s of {rate}/s"
    # And no more than the rate over the whole run either (the window test's other face).
    assert achieved <= 1.05 * rate, f"achieved {achieved:.1f}/s of {rate}/s"


def _tat_us(redis: Redis, prefix: str, bucket: str) -> int:
    """How far ahead of Redis's clock the bucket's schedule is booked, in microseconds."""
    raw = redis.get(f"{prefix}:rate:{bucket}")
    seconds, micros = redis.time()
    return int(raw) - (seconds * 1_000_000 + micros) if raw is not None else 0


def test_cost_is_charged_in_units(redis, prefix):
    limiter = RateLimiter(redis, prefix)
    assert limiter.reserve("sms_segments", 10, cost=3) == 0  # a fresh bucket: send at once
    booked = _tat_us(redis, prefix, "sms_segments") / 1e6
    assert 0.25 < booked <= 0.3, f"a 3-segment text booked {booked:.3f} s at 10 segments/s"
    wait = limiter.reserve("sms_segments", 10)  # the next segment waits for all three
    assert 0.25 < wait <= 0.3
    assert 0.35 < _tat_us(redis, prefix, "sms_segments") / 1e6 <= 0.4
    # cost 0 or less still costs one unit: nothing goes out unpaced
    limiter.reserve("sms_segments", 10, cost=0)
    assert 0.45 < _tat_us(redis, prefix, "sms_segments") / 1e6 <= 0.5


class _Created:
    sid = "SM00000000000000000000000000000001"


class _Messages:
    def __init__(self):
        self.params: list[dict] = []

    def create(self, **params):
        self.params.append(params)
        return _Created()


class _Client:
    def __init__(self):
        self.messages = _Messages()


def test_the_gateway_charges_the_request_cost(redis, prefix):
    client = _Client()
    gateway = ProviderGateway(client, RateLimiter(redis, prefix),
                              {"sms_segments": 10.0, "calls": 1.0}, max_in_flight=8)
    request = ProviderRequest("messages", {"to": "+31612345678", "body": "x"}, "sms_segments", 3)
    started = time.monotonic()
    assert gateway.send(request) == Accepted(_Created.sid)
    assert gateway.send(request) == Accepted(_Created.sid)  # waits for the first one's 3 units
    elapsed = time.monotonic() - started
    assert 0.25 < elapsed < 0.6, f"two 3-segment texts at 10/s took {elapsed:.3f} s"
    assert len(client.messages.params) == 2
    # the second text went out at its slot (0.3 s) and booked three more units after it
    assert 0.2 < _tat_us(redis, prefix, "sms_segments") / 1e6 <= 0.3
    assert redis.get(f"{prefix}:rate:calls") is None  # other buckets untouched


def fill(limiter: RateLimiter, bucket: str, rate: float) -> int:
    """Book `bucket` as far ahead as it goes; how many slots that took."""
    for booked in range(int(rate * MAX_AHEAD_SECONDS) + 10):
        if limiter.reserve(bucket, rate) < 0:
            return booked
    raise AssertionError("the schedule kept booking past MAX_AHEAD_SECONDS")


def test_buckets_are_independent(redis, prefix):
    limiter = RateLimiter(redis, prefix)
    fill(limiter, "calls", 2)
    assert limiter.reserve("calls", 2) < 0
    assert limiter.reserve("sms_segments", 2) == 0
    assert limiter.reserve("whatsapp", 2) == 0
    assert limiter.reserve("sms_segments", 2) > 0.4  # its own schedule, at its own rate
    assert _tat_us(redis, prefix, "calls") > 0.9e6


def test_never_books_more_than_max_ahead(redis, prefix):
    limiter = RateLimiter(redis, prefix)
    rate, interval = 10.0, 0.1
    waits = []
    for _ in range(40):
        wait = limiter.reserve("calls", rate)
        waits.append(wait)
        if wait < 0:
            break
    assert waits[-1] < 0, "the schedule kept booking past MAX_AHEAD_SECONDS"
    booked = waits[:-1]
    assert all(0 <= w <= MAX_AHEAD_SECONDS for w in booked), booked
    assert len(booked) >= MAX_AHEAD_SECONDS * rate  # it did book ahead up to the limit
    assert max(booked) > MAX_AHEAD_SECONDS - 2 * interval
    come_back = -waits[-1]
    assert 0 < come_back <= interval, come_back

    before = redis.get(f"{prefix}:rate:calls")
    for _ in range(5):  # refusals book nothing
        assert limiter.reserve("calls", rate) < 0
    assert redis.get(f"{prefix}:rate:calls") == before
    assert _tat_us(redis, prefix, "calls") <= (MAX_AHEAD_SECONDS + interval) * 1e6

    # A big cost is refused the same way while the schedule is full ...
    assert limiter.reserve("calls", rate, cost=5) < 0
    # ... and after coming back when told, a caller gets a slot within the limit.
    time.sleep(come_back + 0.01)
    wait = limiter.reserve("calls", rate)
    assert 0 <= wait <= MAX_AHEAD_SECONDS


def test_acquire_sleeps_until_its_slot(redis, prefix):
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    limiter = RateLimiter(redis, prefix, sleep=sleep)
    fill(limiter, "calls", 5)
    started = time.monotonic()
    limiter.acquire("calls", 5)
    elapsed = time.monotonic() - started
    assert slept and slept[-1] > 0.5  # came back, then slept out its (almost a second) wait
    assert 0.9 < elapsed < 1.6, elapsed


class _Clock:
    """A clock that only moves when the limiter sleeps (or a test says so)."""

    def __init__(self):
        self.now, self.slept = 1000.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _counting(limiter: RateLimiter) -> list[int]:
    """Wrap the limiter's Redis booking: the costs it books, one entry per round trip."""
    booked, reserve = [], limiter.reserve

    def counted(bucket, rate, cost=1):
        booked.append(cost)
        return reserve(bucket, rate, cost)

    limiter.reserve = counted
    return booked


def test_high_rates_book_a_run_of_slots_per_round_trip(redis, prefix):
    clock = _Clock()
    limiter = RateLimiter(redis, prefix, sleep=clock.sleep, clock=clock)
    booked = _counting(limiter)
    rate = 2000.0  # 40 slots per run of LEASE_SECONDS
    stamps = []
    for _ in range(100):
        limiter.acquire("calls", rate)
        stamps.append(clock.now)
    assert len(booked) == 3 and set(booked) == {40}, booked
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    # Each slot used at its time: one interval apart within a run (the runs themselves are
    # booked from Redis's clock, which the fake clock does not follow).
    within = [g for i, g in enumerate(gaps) if (i + 1) % 40]
    assert all(abs(g - 1 / rate) < 1e-9 for g in within), within[:5]


def test_a_run_gives_up_slots_whose_time_has_passed(redis, prefix):
    clock = _Clock()
    limiter = RateLimiter(redis, prefix, sleep=clock.sleep, clock=clock)
    booked = _counting(limiter)
    rate = 1000.0  # runs of 20
    limiter.acquire("calls", rate)
    clock.now += 0.5  # the worker was busy: the rest of the run is long past
    limiter.acquire("calls", rate)
    assert len(booked) == 2, "a stale run was used (a burst of late sends)"
    clock.now += 0.002  # two slots later: one was missed, within LEASE_SECONDS: still used
    limiter.acquire("calls", rate)
    assert len(booked) == 2


def test_a_cost_above_the_run_books_itself_and_low_rates_book_per_request(redis, prefix):
    clock = _Clock()
    limiter = RateLimiter(redis, prefix, sleep=clock.sleep, clock=clock)
    booked = _counting(limiter)
    limiter.acquire("sms_segments", 100.0, cost=3)  # a run would be 2 units: per request
    limiter.acquire("calls", 1.0)  # Twilio's default call rate
    limiter.acquire("calls", 1.0)
    assert booked == [3, 1, 1]
