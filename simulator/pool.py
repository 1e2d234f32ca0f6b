"""Worker threads that run calls, message deliveries and callbacks in the background."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from simulator.logs import log
from simulator.state import Store


class Pool:
    """`concurrency` threads run the jobs; at most `backlog` jobs wait for one of them. A create
    request that finds the backlog full waits for room: backpressure, so that creates faster
    than calls can play out never pile up in memory (as Twilio queues calls at an account's
    rate, the resource meanwhile shows `queued`)."""

    def __init__(self, store: Store, concurrency: int, backlog: int = 10_000) -> None:
        self.store = store
        self.executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="sim")
        self.backlog = backlog
        self._room = threading.Condition()
        self._waiting = 0

    def submit(self, fn: Callable[..., object], *args: object) -> None:
        # Counted as busy from the moment it is queued, so /sim/wait right after a create
        # cannot report idle before the job has even started.
        self.store.begin_work()
        with self._room:
            self._room.wait_for(lambda: self._waiting < self.backlog)
            self._waiting += 1
        self.executor.submit(self._run, fn, *args)

    def _run(self, fn: Callable[..., object], *args: object) -> None:
        with self._room:
            self._waiting -= 1
            self._room.notify()
        try:
            fn(*args)
        except Exception as exc:  # a bug in one call must not kill the worker thread
            log("job_crashed", logging.ERROR, job=getattr(fn, "__name__", fn), error=repr(exc))
            logging.getLogger("simulator").exception("job crashed")
        finally:
            self.store.end_work()

    def has_room(self) -> bool:
        """Whether a job submitted now would start without waiting for room."""
        return self._waiting < self.backlog

    def control(self, call: object) -> None:
        """A live-call update: nothing to pass on, the call is played out in this process."""

    def share(self, store: Store) -> None:
        """Behaviours and config changed: nothing to pass on, this process reads the store."""

    def sleep(self, seconds: float) -> None:
        """Simulated waiting, scaled by the current speed (0 = no waiting at all)."""
        delay = seconds * self.store.speed
        if delay > 0:
            time.sleep(delay)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
