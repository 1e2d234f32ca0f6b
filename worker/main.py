"""Start a worker: `burgernet worker`. Start more of them to scale out; they share nothing but
PostgreSQL and Redis, and the atomic claim keeps them from sending anything twice.

We use RQ's SimpleWorker (no fork per job): a send batch then reuses the database pool and the
Twilio HTTP connection, which is what makes sending fast. A crash takes down the worker with
its job; reconciliation finds the deliveries it left behind."""

from __future__ import annotations

import logging
import threading

from rq import SimpleWorker
from rq.serializers import JSONSerializer

from gateway import runtime as runtime_module
from gateway.config import Config
from gateway.runtime import Runtime

log = logging.getLogger("worker")

def _reconcile_periodically(rt: Runtime, stop: threading.Event) -> None:
    """One reconcile a minute across all workers: whoever takes the Redis lock enqueues it."""
    every = rt.config.reconcile_every_seconds
    while not stop.wait(every):
        try:
            if rt.redis.set(f"{rt.config.queue_prefix}:reconcile-lock", 1, nx=True,
                            px=int(every * 900)):
                rt.jobs.reconcile()
        except Exception:  # Redis restarting: try again next round
            log.warning("reconcile.enqueue_failed", exc_info=True)


def run_worker(config: Config, burst: bool = False) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    rt = Runtime.from_config(config)
    runtime_module.install(rt)
    # Catch up on whatever a previous crash left: pending sends whose jobs were lost with Redis.
    rt.jobs.reconcile()
    stop = threading.Event()
    if not burst:
        threading.Thread(target=_reconcile_periodically, args=(rt, stop), daemon=True).start()
    worker = SimpleWorker(rt.jobs.ordered(), connection=rt.redis, serializer=JSONSerializer)
    try:
        worker.work(with_scheduler=True, burst=burst, logging_level="WARNING")
    finally:
        stop.set()
