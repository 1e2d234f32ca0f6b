"""One rate limiter for every worker on every machine: GCRA on Redis server time.

Each bucket (calls, SMS segments, WhatsApp messages) keeps one number in Redis, the theoretical
arrival time (TAT) of the next unit. Asking for `cost` units reserves the next free slot and moves
the TAT on by cost x interval; the caller sleeps until its slot and then sends. Slots are spaced
evenly, so the provider sees a steady stream at the contracted rate, not bursts; and because the
clock is Redis's own (TIME inside the script), workers on machines with skewed clocks still share
one schedule. A caller never books more than MAX_AHEAD into the future: one that would has to
come back later, so a dying worker wastes at most that much of the schedule.
"""

from __future__ import annotations

import time

from redis import Redis

MAX_AHEAD_SECONDS = 1.0

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


class RateLimiter:
    def __init__(self, redis: Redis, prefix: str, sleep=time.sleep):
        self.redis, self.prefix, self.sleep = redis, prefix, sleep
        self.script = redis.register_script(GCRA)

    def reserve(self, bucket: str, rate: float, cost: int = 1) -> float:
        """Book `cost` units of `bucket` at `rate` units/s; seconds to wait before sending,
        or a negative number of seconds after which to ask again."""
        interval_us = 1_000_000 / rate
        result = self.script(keys=[f"{self.prefix}:rate:{bucket}"],
                             args=[interval_us, max(1, cost), int(MAX_AHEAD_SECONDS * 1e6)])
        return int(result) / 1e6

    def acquire(self, bucket: str, rate: float, cost: int = 1) -> None:
        """Block until this caller's slot has come."""
        while True:
            wait = self.reserve(bucket, rate, cost)
            if wait >= 0:
                if wait > 0:
                    self.sleep(wait)
                return
            self.sleep(-wait)
