"""Counters in Redis that keep unauthenticated parties from flooding us: login guesses, tips and
replies per sender. Fixed windows (INCR + EXPIRE): simple, shared by every web process, and
cheap enough to ask on every request.

With Redis away every counter reads as zero: the limits guard against abuse, they must not take
the console or the tip line down with them."""

from __future__ import annotations

from redis import Redis
from redis.exceptions import RedisError


class Counters:
    def __init__(self, redis: Redis, prefix: str):
        self.redis, self.prefix = redis, prefix

    def _key(self, name: str) -> str:
        return f"{self.prefix}:limit:{name}"

    def hit(self, name: str, window_seconds: int) -> int:
        """Count one more in this window; the count so far, this one included."""
        key = self._key(name)
        try:
            with self.redis.pipeline() as pipe:
                pipe.incr(key)
                pipe.expire(key, window_seconds, nx=True)
                count, _ = pipe.execute()
        except RedisError:
            return 0
        return int(count)

    def count(self, name: str) -> int:
        try:
            return int(self.redis.get(self._key(name)) or 0)
        except RedisError:
            return 0

    def seconds_left(self, name: str) -> int:
        try:
            return max(0, int(self.redis.ttl(self._key(name))))
        except RedisError:
            return 0

    def clear(self, name: str) -> None:
        try:
            self.redis.delete(self._key(name))
        except RedisError:
            pass

    def allow(self, name: str, limit: int, window_seconds: int) -> bool:
        """Count one more; whether it is within the limit."""
        return self.hit(name, window_seconds) <= limit
