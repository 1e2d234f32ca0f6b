"""Start a worker: `burgernet worker`. Start more of them to scale out; they share nothing but
PostgreSQL and Redis, and the atomic claim keeps them from sending anything twice.

We use RQ's SimpleWorker (no fork per job): a send batch then reuses the database pool and the
Twilio HTTP connection, which is what makes sending fast. A crash takes down the worker with
its job; reconciliation finds the deliveries it left behind.

RQ's work loop gives up when Redis goes away. A worker here outlives that: it waits for Redis
with backoff, says so in its log, reconciles (Redis may have come back empty) and works on."""

from __future__ import annotations

import logging
import threading
import time

from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from gateway import logs
from gateway import runtime as runtime_module
from gateway.config import Config
from gateway.runtime import Runtime
from worker import purge

log = logging.getLogger("worker")

REDIS_BACKOFF_MAX_SECONDS = 30.0


def _reconcile_periodically(rt: Runtime, stop: threading.Event) -> None:
    """One reconcile a minute across all workers: whoever takes the Redis lock enqueues it."""
    every = rt.config.reconcile_every_seconds
    while not stop.wait(every):
        try:
            if rt.redis.set(f"{rt.config.queue_prefix}:reconcile-lock", 1, nx=True,
                            px=int(every * 900)):
                rt.jobs.reconcile()
        except RedisError as exc:  # Redis restarting: the main loop waits for it
            log.warning("reconcile.enqueue_failed error=%s", type(exc).__name__)


class Worker(SimpleWorker):
    """Remembers a stop request (SIGTERM, SIGINT): RQ forgets it when the worker was idle, and
    then we could not tell a deploy's stop from a lost Redis."""

    stopping = False

    def request_stop(self, signum, frame):
        Worker.stopping = True
        super().request_stop(signum, frame)


def _redis_up(rt: Runtime) -> bool:
    try:
        return bool(rt.redis.ping())
    except RedisError:
        return False


def wait_for_redis(rt: Runtime, sleep=time.sleep) -> None:
    """Block until Redis answers, backing off from 0.5 s to 30 s between tries."""
    delay, since = 0.5, time.monotonic()
    while not _redis_up(rt):
        log.warning("redis.unavailable retry_in=%.1fs", delay)
        sleep(delay)
        delay = min(delay * 2, REDIS_BACKOFF_MAX_SECONDS)
    if time.monotonic() - since > 0.1:
        log.warning("redis.back after=%.1fs", time.monotonic() - since)


def run_worker(config: Config, burst: bool = False) -> None:
    logs.configure()
    rt = Runtime.from_config(config)
    runtime_module.install(rt)
    stop = threading.Event()
    if not burst:
        threading.Thread(target=_reconcile_periodically, args=(rt, stop), daemon=True).start()
        purge.start_schedule(rt, stop)  # data retention (worker/purge.py)
    try:
        while True:
            wait_for_redis(rt)
            try:
                # Catch up on whatever was lost: jobs of a Redis that came back empty, or of a
                # previous crash.
                rt.jobs.reconcile()
                worker = Worker(rt.jobs.ordered(), connection=rt.redis, serializer=JSONSerializer)
                worker.work(with_scheduler=True, burst=burst, logging_level="WARNING")
            except RedisError as exc:
                log.warning("redis.lost error=%s", type(exc).__name__)
            if burst or Worker.stopping:
                return
            if _redis_up(rt):  # RQ quit for another reason (it logged it): start over, gently
                log.warning("worker.restart reason=work-loop-ended")
                time.sleep(1.0)
            else:
                log.warning("redis.lost")
    finally:
        stop.set()
