"""The serving process's side of the playback processes (playback.py): hands them jobs, routes
live-call updates to the process playing the call, takes in what they send back.

Same interface as pool.Pool, so the engine does not care where a call plays out. At most
`backlog` jobs wait besides the `processes x concurrency` being played; a create that finds no
room waits for it (backpressure, as in Pool)."""

from __future__ import annotations

import copy
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable

from simulator import playback, sync
from simulator.logs import log
from simulator.pool import Pool
from simulator.settings import Settings
from simulator.state import Call, Message, Store

CONTROL_TIMEOUT = 5.0  # seconds a live-call update waits for the playback process to take it in


class Processes:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        count = settings.processes
        self.limit = settings.backlog + count * settings.concurrency
        # fork: quick, and nothing to re-import. Safe because this runs before the server or
        # any other thread starts (Runtime.build, from create_app).
        context = multiprocessing.get_context("fork")
        self.outbox = context.Queue()
        self.inboxes = [context.Queue() for _ in range(count)]
        self.processes = [
            context.Process(target=playback.main, args=(settings, inbox, self.outbox, os.getpid()),
                            name=f"sim-playback-{i}", daemon=True)
            for i, inbox in enumerate(self.inboxes)
        ]
        for process in self.processes:
            process.start()
        self._room = threading.Condition()
        self._stopping = threading.Event()
        self._applied: dict[int, threading.Event] = {}  # live-call updates not yet taken in
        self._load = [0] * count  # jobs handed to each process and not done yet
        self._owner: dict[str, int] = {}  # sid -> index of the process playing it
        threading.Thread(target=self._read, name="sim-playback-reader", daemon=True).start()
        threading.Thread(target=self._watch, name="sim-playback-watch", daemon=True).start()

    def submit(self, fn: Callable[..., object], rt: object, record: Call | Message) -> None:
        # Busy from the moment it is queued, as in Pool.submit.
        self.store.begin_work()
        with self._room:
            self._room.wait_for(lambda: sum(self._load) < self.limit)
            index = min(range(len(self._load)), key=self._load.__getitem__)
            self._load[index] += 1
            self._owner[record.sid] = index
        self.inboxes[index].put(("job", fn, record))

    def has_room(self) -> bool:
        """Whether a job submitted now would be handed out without waiting for room."""
        return sum(self._load) < self.limit

    def control(self, call: Call) -> None:
        """Tell the process playing `call` what a live-call update changed, and wait until it
        has taken it in. A gateway often redirects a call while handling one of its webhooks
        (the machine verdict); the call must see the redirect when that webhook's answer
        comes back, as it does when it plays out in this process."""
        with self._room:
            index = self._owner.get(call.sid)
        if index is None:
            return
        with self.store.lock:
            fields = sync.control(call)
        applied = threading.Event()
        token = id(applied)
        with self._room:
            self._applied[token] = applied
        self.inboxes[index].put(("control", call.sid, fields, token))
        if not applied.wait(CONTROL_TIMEOUT):
            log("playback_control_late", logging.WARNING, call_sid=call.sid)
        with self._room:
            self._applied.pop(token, None)

    def share(self, store: Store) -> None:
        """Send every process the numbers' behaviours and the config (a <Dial> looks up the
        dialled number, the speed scales every wait)."""
        with store.lock:
            item = ("share", dict(store.config), dict(store.overrides), copy.deepcopy(store.incoming))
        for inbox in self.inboxes:
            inbox.put(item)

    sleep = Pool.sleep  # the same simulated wait: it reads only self.store's speed

    def _read(self) -> None:
        while True:
            # No timeout: with one, every get() builds and tears down a selector, which cost a
            # quarter of this process's time under load (py-spy). _watch does the checking.
            try:
                item = self.outbox.get()
            except Exception:
                if self._stopping.is_set():  # the queue went away with the processes
                    return
                raise
            if item is None:
                return
            try:
                self._take(item)
            except Exception:  # one bad item must not stop the reader
                logging.getLogger("simulator").exception("playback update failed")

    def _take(self, item: tuple) -> None:
        kind = item[0]
        if kind == "done":
            self._done(item[1])
        elif kind == "applied":
            with self._room:
                applied = self._applied.get(item[1])
            if applied is not None:
                applied.set()
        elif kind in ("call", "message"):
            sync.apply(self.store, *item)
        elif kind == "new_call":
            self.store.add_call(item[1])
        elif kind == "new_message":
            self.store.add_message(item[1])
        elif kind == "recording":
            self.store.add_recording(item[1])

    def _done(self, sid: str) -> None:
        with self._room:
            index = self._owner.pop(sid, None)
            if index is None:
                return
            self._load[index] -= 1
            self._room.notify_all()
        self.store.end_work()

    def _watch(self) -> None:
        while not self._stopping.wait(1):
            self._check_alive()

    def _check_alive(self) -> None:
        """A playback process that died takes its jobs with it: count them as done, so that
        /sim/wait and waiting creates do not hang on them."""
        for index, process in enumerate(self.processes):
            if process.is_alive() or process.exitcode is None:
                continue
            with self._room:
                lost = [sid for sid, owner in self._owner.items() if owner == index]
            if lost:
                log("playback_process_died", logging.ERROR, index=index, exitcode=process.exitcode,
                    jobs=len(lost))
            for sid in lost:
                self._done(sid)

    def shutdown(self) -> None:
        self._stopping.set()
        for inbox in self.inboxes:
            inbox.put(None)
        for process in self.processes:
            process.join(timeout=2)
            if process.is_alive():
                process.terminate()
        self.outbox.put(None)
