"""Server-sent events for the console's active-action page: `GET /api/actions/{id}/events`.

Each poll (every POLL_SECONDS) reads the action's delivery counts and new tips from the database,
the source of truth, and sends one `state` event only when something changed: one event per
change batch, never one per delivery, however many thousands are sent. A stream ends after
`events_stream_seconds` and the browser's EventSource reconnects by itself; the event id is the
newest tip sent, so a reconnect (Last-Event-ID) continues the tip feed without repeats, and the
first event after it carries the full counts again."""

from __future__ import annotations

import json
import threading
import time

from flask import Response, jsonify, request, stream_with_context
from sqlalchemy import func, select

from gateway.api import bp
from gateway.api.tips import serialise_tips
from gateway.auth import requires
from gateway.dispatch import deliveries
from gateway.errors import ApiError
from gateway.models import ActionUpdate, Tip
from gateway.models import delivery as state
from gateway.runtime import of_app
from gateway.service import actions as service

POLL_SECONDS = 1.0
RECONNECT_MS = 2000
TIPS_PER_EVENT = 200

# The counters the console shows, in this order, from the delivery states behind them.
BUCKETS = {
    "waiting": (state.PENDING, state.RETRY),
    "calling": (state.SENDING, state.QUEUED, state.RINGING, state.IN_PROGRESS, state.SENT),
    "answered": (state.ANSWERED,),
    "voicemail": (state.VOICEMAIL,),
    "delivered": (state.DELIVERED,),
    "failed": (state.BUSY, state.NO_ANSWER, state.UNDELIVERED, state.FAILED),
    "cancelled": (state.CANCELLED,),
}


def progress(counts: dict[str, dict[str, int]]) -> dict:
    """Counters, done/total of the alerts, and of each update round and the outcome together."""
    alerts = counts.get(state.ALERT, {})
    followups = {p: {"done": sum(n for s, n in counts.get(p, {}).items() if s in state.FINAL),
                     "total": sum(counts.get(p, {}).values())}
                 for p in (state.UPDATE, state.OUTCOME)}
    return {"counters": {name: sum(alerts.get(s, 0) for s in states)
                         for name, states in BUCKETS.items()},
            "states": alerts,
            "done": sum(n for s, n in alerts.items() if s in state.FINAL),
            "total": sum(alerts.values()),
            "reached": sum(n for s, n in alerts.items() if s in state.REACHED),
            "followups": followups}


def tip_views(db, tips: list[Tip]) -> list[dict]:
    """Tips as the API shows them (gateway/api/tips.py: the caller masked, when they were
    alerted, the recording played through the app, handled and note). `caller` is what the
    feed shows: the masked number. New fields also go into the feed (static/console-action.js)."""
    return [{**view, "caller": view["phone"] or "–", "caller_key": view["caller"]}
            for view in serialise_tips(db, tips)]


def snapshot(db, action_id: int, after_tip: int) -> tuple[dict, list[dict]]:
    action = service.load(db, action_id)
    body = {"id": action.id, "status": action.status, "outcome": action.outcome,
            "started_at": action.started_at.isoformat() if action.started_at else None,
            "closed_at": action.closed_at.isoformat() if action.closed_at else None,
            "areas": action.areas,
            "updates": [{"id": u.id, "text": u.text, "created_at": u.created_at.isoformat()}
                        for u in db.scalars(select(ActionUpdate).where(
                            ActionUpdate.action_id == action_id).order_by(ActionUpdate.id))],
            "groups_reached": deliveries.groups_reached(db, action_id),
            **progress(deliveries.counts(db, [action_id])[action_id])}
    tips = list(db.scalars(select(Tip).where(Tip.action_id == action_id, Tip.id > after_tip)
                           .order_by(Tip.id).limit(TIPS_PER_EVENT)))
    return body, tip_views(db, tips)


def _last_event_id() -> int:
    raw = request.headers.get("Last-Event-ID", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else 0


def _event(body: dict, tips: list[dict], last_tip: int) -> str:
    return f"id: {last_tip}\nevent: state\ndata: {json.dumps({**body, 'tips': tips})}\n\n"


_slots: dict[int, threading.BoundedSemaphore] = {}  # per app (tests make many in one process)
_slots_lock = threading.Lock()


def _stream_slots(rt) -> threading.BoundedSemaphore:
    with _slots_lock:
        key = id(rt)
        if key not in _slots:
            _slots[key] = threading.BoundedSemaphore(rt.config.event_streams_per_process)
        return _slots[key]


@bp.get("/actions/<int:action_id>/events")
@requires("actions:read")
def action_events(action_id: int):
    rt = of_app()
    with rt.sessions() as db:
        service.load(db, action_id)  # 404 before any stream starts
        total_tips = db.scalar(select(func.count()).where(Tip.action_id == action_id))
    slots = _stream_slots(rt)
    if not slots.acquire(blocking=False):
        error = ApiError(503, None, "too many live pages are open on this server; the page "
                                    "retries by itself")
        response = jsonify(error={"field": error.field, "message": error.message})
        response.headers["Retry-After"] = "5"
        return response, 503
    last_tip, seconds = _last_event_id(), rt.config.events_stream_seconds

    def stream():
        nonlocal last_tip
        yield f"retry: {RECONNECT_MS}\n: {total_tips} tips in all\n\n"
        shown = None
        deadline = time.monotonic() + seconds
        while True:
            with rt.sessions() as db:
                body, tips = snapshot(db, action_id, last_tip)
            if body != shown or tips:
                last_tip = tips[-1]["id"] if tips else last_tip
                yield _event(body, tips, last_tip)
                shown = body
            else:
                # A comment (no event): writing is how a closed tab is noticed, within a poll or
                # two, so its thread is free again; proxies also see a live stream.
                yield ":\n\n"
            if time.monotonic() + POLL_SECONDS > deadline:
                return
            time.sleep(POLL_SECONDS)

    response = Response(stream_with_context(stream()), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    # The server closes every response, read to its end or not: the slot is always given back.
    response.call_on_close(slots.release)
    return response
