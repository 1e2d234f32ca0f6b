"""One rate limiter for every worker on every machine: GCRA on Redis server time.

Each bucket (calls, SMS segments, WhatsApp messages) keeps one number in Redis, the theoretical
arrival time (TAT) of the next unit. Asking for `cost` units reserves the next free slot and moves
the TAT on by cost x interval; the caller sleeps until its slot and then sends. Slots are spaced
evenly, so the provider sees a steady stream at the contracted rate, not bursts; and because the
clock is Redis's own (TIME inside the script), workers on machines with skewed clocks still share
one schedule. A caller never books more than MAX_AHEAD into the future: one that would has to
come back later, so a dying worker wastes at most that much of the schedule.

At high rates a round trip to Redis per request is a fifth of a worker's send path, so a caller
books a short run of consecutive slots at once (LEASE_SECONDS of the schedule, at most LEASE_MAX
units) and hands them to its threads in order. Each slot is still used no earlier than its time,
and a slot whose time passed more than LEASE_SECONDS ago is given up rather than sent late in a
burst. Below 1 / LEASE_SECONDS units a second (Twilio's default rates), a run is one slot: every
request books its own, as before.
"""

from __future__ import annotations

import math
import threading
import time

from redis import Redis

MAX_AHEAD_SECONDS = 1.0
LEASE_SECONDS = 0.02
LEASE_MAX = 64

# KEYS[1]: bucket; ARGV: microseconds per unit, cost in units, max reservation ahead (us).
# Returns >= 0: slot booked, wait that many us before sending; < 0: nothing booked, come back
# in -result us.
GCRA = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - now
local ahead = tonumber(ARGV[3])
if wait > ahead then return -(wait - ahead) end
local next_tat = tat + tonumber(ARGV[1]) * tonumber(ARGV[2])
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX',
           math.ceil((next_tat - now) / 1000) + 1000)
return wait
"""


class _Run:
    """Consecutive slots of one bucket booked together: the first at `start` (monotonic)."""

    def __init__(self, start: float, interval: float, units: int):
        self.start, self.interval, self.units, self.used = start, interval, units, 0

    def take(self, cost: int, now: float) -> float | None:
        """The time of the next `cost` units, or None when the run cannot serve them."""
        # Slots whose time is long past are given up: sending them now would be a burst.
        self.used = max(self.used, math.ceil((now - LEASE_SECONDS - self.start) / self.interval))
        if self.used + cost > self.units:
            return None
        at = self.start + self.used * self.interval
        self.used += cost
        return at


class RateLimiter:
    def __init__(self, redis: Redis, prefix: str, sleep=time.sleep, clock=time.monotonic):
        self.redis, self.prefix, self.sleep, self.clock = redis, prefix, sleep, clock
        self.script = redis.register_script(GCRA)
        self.lock = threading.Lock()
        self.runs: dict[str, _Run] = {}

    def reserve(self, bucket: str, rate: float, cost: int = 1) -> float:
        """Book `cost` units of `bucket` at `rate` units/s; seconds to wait before sending,
        or a negative number of seconds after which to ask again."""
        interval_us = 1_000_000 / rate
        result = self.script(keys=[f"{self.prefix}:rate:{bucket}"],
                             args=[interval_us, max(1, cost), int(MAX_AHEAD_SECONDS * 1e6)])
        return int(result) / 1e6

    def acquire(self, bucket: str, rate: float, cost: int = 1) -> None:
        """Block until this caller's slot has come."""
        cost = max(1, cost)
        units = min(LEASE_MAX, int(rate * LEASE_SECONDS))
        while True:
            if units <= cost:
                wait = self.reserve(bucket, rate, cost)
            else:
                wait = self._from_run(bucket, rate, cost, units)
            if wait >= 0:
                if wait > 0:
                    self.sleep(wait)
                return
            self.sleep(-wait)

    def _from_run(self, bucket: str, rate: float, cost: int, units: int) -> float:
        with self.lock:  # one booking at a time per bucket; the others take from its run
            now = self.clock()
            run = self.runs.get(bucket)
            at = run.take(cost, now) if run is not None else None
            if at is None:
                wait = self.reserve(bucket, rate, units)
                if wait < 0:
                    return wait
                now = self.clock()
                run = self.runs[bucket] = _Run(now + wait, 1 / rate, units)
                at = run.take(cost, now)
            return max(0.0, at - now)
