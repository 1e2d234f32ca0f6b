"""The scheduled purge: registrations and codes older than UNVERIFIED_RETENTION_HOURS,
participants never verified by then, and (with DELIVERY_RETENTION_DAYS) the numbers on old
deliveries; and the tip line's recordings past their retention. Every worker runs the schedule
thread; a Redis lock lets one of them enqueue the job
once per PURGE_EVERY_SECONDS, so more workers do not mean more purges."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from redis.exceptions import RedisError

from gateway import runtime
from gateway.models import utcnow
from gateway.queues import DEFAULT
from gateway.runtime import Runtime
from gateway.service import privacy

log = logging.getLogger("worker.purge")

PURGE_EVERY_SECONDS = 3600.0


def purge() -> dict[str, int]:
    rt = runtime.current()
    days = rt.config.delivery_retention_days
    with rt.transaction() as db:
        done = privacy.purge(db, utcnow(), timedelta(hours=rt.config.unverified_retention_hours),
                             timedelta(days=days) if days > 0 else None)
    log.info("purge.done %s", " ".join(f"{k}={v}" for k, v in done.items()))
    return done


def enqueue(rt: Runtime) -> None:
    rt.jobs.queues[DEFAULT].enqueue("worker.purge.purge")
    rt.jobs.purge_recordings()  # the tip line's recordings past RECORDING_RETENTION_DAYS


def _schedule(rt: Runtime, stop: threading.Event, every: float) -> None:
    while True:
        try:
            if rt.redis.set(f"{rt.config.queue_prefix}:purge-lock", 1, nx=True,
                            px=int(every * 900)):
                enqueue(rt)
        except RedisError as exc:  # Redis restarting: try again next round
            log.warning("purge.enqueue_failed error=%s", type(exc).__name__)
        if stop.wait(every):
            return


def start_schedule(rt: Runtime, stop: threading.Event, every: float = PURGE_EVERY_SECONDS) -> None:
    """Purge at start, then every `every` seconds, until `stop` is set."""
    threading.Thread(target=_schedule, args=(rt, stop, every), daemon=True,
                     name="purge-schedule").start()
