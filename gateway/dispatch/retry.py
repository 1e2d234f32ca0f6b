"""The retry policy, in one place. Which failures are temporary and which final is decided by
the provider gateway (gateway/provider/gateway.py); this module decides what happens next:

- temporary (429, 5xx, connection refused): back off exponentially with jitter and resend;
- unknown (a timeout after the request left): verify with the provider first; if it has
  nothing, resend at once. The verification counts as part of that attempt;
- permanent (21211, 21610, 63016, ...): never retried; the code and message are kept;
- busy or unanswered alert calls: dialled again after CALL_RETRY_DELAYS_SECONDS, only while the
  action is active.

Every path is capped by MAX_SEND_ATTEMPTS: each claim of a delivery is one attempt.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from gateway.config import Config

BACKOFF_CAP_SECONDS = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_seconds: float = 2.0
    verify_after_seconds: float = 30.0
    call_retry_delays: tuple[float, ...] = (120.0, 300.0)

    @classmethod
    def from_config(cls, config: Config) -> RetryPolicy:
        return cls(config.max_send_attempts, config.retry_base_seconds,
                   config.verify_after_seconds, config.call_retry_delays)

    def attempts_left(self, attempts: int) -> bool:
        return attempts < self.max_attempts

    def after_temporary(self, attempts: int) -> timedelta | None:
        """How long to wait before the next attempt; None: give up."""
        if not self.attempts_left(attempts):
            return None
        delay = min(BACKOFF_CAP_SECONDS, self.base_seconds * 2.0 ** (attempts - 1))
        # Jitter, so many workers hitting one 429 do not come back in lockstep.
        return timedelta(seconds=delay * random.uniform(0.5, 1.0))

    def verify_after(self) -> timedelta:
        return timedelta(seconds=self.verify_after_seconds)

    def after_not_found(self, attempts: int) -> timedelta | None:
        """Verification found nothing at the provider: resend at once, if tries are left."""
        return timedelta(0) if self.attempts_left(attempts) else None

    def redial(self, redials: int, attempts: int, action_active: bool) -> timedelta | None:
        """A busy or unanswered alert call: when to dial again; None: it stays final."""
        if not action_active or redials >= len(self.call_retry_delays):
            return None
        if not self.attempts_left(attempts):
            return None
        return timedelta(seconds=self.call_retry_delays[redials])
