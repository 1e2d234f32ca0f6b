"""A playback process: plays out the calls and message deliveries the serving process hands it.

Why separate processes: at speed 0 a call makes five to seven webhooks (status callbacks, TwiML,
the AMD verdict), and in one process (one GIL) playing them out took two thirds of the CPU
while creates waited for it (py-spy, bench/simulator.py). Here they run in their own processes,
at a lower priority (PLAYBACK_NICE), so that on a busy machine answering creates comes first
and calls wait in the backlog, as they wait in Twilio's queue.

The serving process keeps every record; a playback process holds only what it is playing out,
and sends what changes (sync.snapshot), the child calls of a <Dial> and recordings back on one
queue, then "done" for each job. It keeps a copy of the numbers' behaviours and the config
(`share`), which the serving process sends whenever the control API changes them.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from simulator import sync
from simulator.callbacks import Webhooks
from simulator.pool import Pool
from simulator.runtime import Runtime
from simulator.settings import Settings
from simulator.state import Call, Message, Recording, Store

PLAYBACK_NICE = 10  # creates first: a playback process gets a fraction of a busy CPU


class PlaybackStore(Store):
    """The store of a playback process: live records only; what it records goes to `outbox`."""

    def __init__(self, settings: Settings, outbox: Any) -> None:
        super().__init__(speed=settings.speed, incoming=settings.incoming)
        self.outbox = outbox

    def add_call(self, call: Call) -> Call:  # a <Dial>'s child call
        self.outbox.put(("new_call", call))
        return call

    def add_message(self, message: Message) -> Message:
        self.outbox.put(("new_message", message))
        return message

    def add_recording(self, recording: Recording) -> Recording:
        self.outbox.put(("recording", recording))
        return recording

    def publish(self, record: Call | Message, full: bool = False) -> None:
        self.outbox.put(sync.snapshot(record, full))


def play(rt: Runtime, fn: Callable[[Runtime, Any], None], record: Call | Message) -> None:
    try:
        fn(rt, record)
    finally:
        with rt.store.lock:
            (rt.store.calls if isinstance(record, Call) else rt.store.messages).pop(record.sid, None)
        rt.store.outbox.put(("done", record.sid))


def main(settings: Settings, inbox: Any, outbox: Any, parent: int) -> None:
    """Run jobs from `inbox` until it says None or the serving process is gone."""
    # Ctrl-C reaches the whole process group; the serving process then stops us in order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(PLAYBACK_NICE)
    store = PlaybackStore(settings, outbox)
    # The serving process bounds the jobs it hands out (SIM_BACKLOG), so no second bound here.
    pool = Pool(store, settings.concurrency, backlog=settings.backlog + settings.concurrency)
    rt = Runtime(settings, store, pool, Webhooks(settings.auth_token, settings.webhook_timeout, pool.sleep))
    threading.Thread(target=watch, args=(parent,), name="sim-playback-watch", daemon=True).start()
    while True:
        item = inbox.get()  # no timeout: with one, every get() builds a selector
        if item is None:
            break
        try:
            receive(rt, item)
        except Exception:  # one bad item must not end the process
            logging.getLogger("simulator").exception("playback item failed")
    pool.shutdown()


def watch(parent: int) -> None:
    """End this process if the serving process died without telling us (SIGKILL)."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def receive(rt: Runtime, item: tuple) -> None:
    store = rt.store
    kind = item[0]
    if kind == "job":
        _, fn, record = item
        with store.lock:
            (store.calls if isinstance(record, Call) else store.messages)[record.sid] = record
        rt.pool.submit(play, rt, fn, record)
    elif kind == "control":
        _, sid, fields, token = item
        with store.lock:
            call = store.calls.get(sid)
            if call is not None:
                for name, value in fields.items():
                    setattr(call, name, value)
        store.outbox.put(("applied", token))
    elif kind == "share":
        _, config, overrides, incoming = item
        with store.lock:
            store.config, store.overrides, store.incoming = config, overrides, incoming
