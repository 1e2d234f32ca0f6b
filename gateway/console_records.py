"""What happened: the history of actions with their figures and filters, the anonymised CSV of
an action's deliveries, and the audit log for supervisors."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time, timedelta

from flask import Response, abort, render_template, request, stream_with_context
from sqlalchemy import func, select

from gateway import i18n
from gateway.api.events import progress
from gateway.auth import console_requires
from gateway.console import bp
from gateway.models import Action, AuditEvent, Delivery, Operator, Tip
from gateway.models.action import INCIDENT_TYPES, STATUSES
from gateway.runtime import of_app
from gateway.service import actions as service

PAGE = 200
CSV_COLUMNS = ("delivery", "purpose", "round", "channel", "status", "status_text", "attempts",
               "redials", "error_code", "answered_by", "created_at", "updated_at")


def _day(name: str) -> datetime | None:
    raw = request.args.get(name, "")
    if not raw:
        return None
    try:
        return datetime.combine(datetime.strptime(raw, "%Y-%m-%d").date(), time(), UTC)
    except ValueError:
        abort(400, description=f"{name} must be a date as YYYY-MM-DD")


def _filters() -> dict:
    chosen = {k: request.args.get(k, "") for k in ("status", "type", "q", "from", "to")}
    if chosen["status"] and chosen["status"] not in STATUSES:
        abort(400, description=f"status must be one of {', '.join(STATUSES)}")
    if chosen["type"] and chosen["type"] not in INCIDENT_TYPES:
        abort(400, description=f"type must be one of {', '.join(INCIDENT_TYPES)}")
    if len(chosen["q"]) > 100:
        abort(400, description="q must be at most 100 characters")
    return chosen


@bp.get("/console/history")
@console_requires("actions:read")
def history():
    chosen = _filters()
    query = select(Action).order_by(Action.id.desc()).limit(PAGE)
    if chosen["status"]:
        query = query.where(Action.status == chosen["status"])
    if chosen["type"]:
        query = query.where(Action.incident_type == chosen["type"])
    if chosen["q"]:
        query = query.where(Action.description.ilike(f"%{chosen['q']}%"))
    if (start := _day("from")) is not None:
        query = query.where(Action.created_at >= start)
    if (end := _day("to")) is not None:
        query = query.where(Action.created_at < end + timedelta(days=1))
    with of_app().sessions() as db:
        rows = list(db.scalars(query))
        ids = [a.id for a in rows]
        figures = {a: progress(c) for a, c in service.overview(db, ids).items()}
        tips = dict(db.execute(select(Tip.action_id, func.count()).where(Tip.action_id.in_(ids))
                               .group_by(Tip.action_id)).all()) if ids else {}
    return render_template("history.html", actions=rows, figures=figures, tips=tips,
                           chosen=chosen, statuses=STATUSES, incident_types=INCIDENT_TYPES,
                           duration=_duration)


def _duration(action: Action) -> str:
    if not action.started_at:
        return "–"
    seconds = int(((action.closed_at or datetime.now(UTC)) - action.started_at).total_seconds())
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


@bp.get("/console/actions/<int:action_id>/deliveries.csv")
@console_requires("actions:read")
def deliveries_csv(action_id: int):
    """Every delivery's outcome, anonymised: no phone number, no participant; streamed, so an
    action of 50,000 deliveries does not sit in memory."""
    rt = of_app()
    with rt.sessions() as db:
        service.load(db, action_id)
    words = {key: i18n.t(key) for key in i18n.MESSAGES["nl"] if key.startswith("state.")}

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        with rt.sessions() as db:
            result = db.execute(select(
                Delivery.id, Delivery.purpose, Delivery.round, Delivery.channel, Delivery.status,
                Delivery.attempts, Delivery.redials, Delivery.error_code, Delivery.answered_by,
                Delivery.created_at, Delivery.updated_at)
                .where(Delivery.action_id == action_id).order_by(Delivery.id)
                .execution_options(yield_per=1000))
            for row in result:
                writer.writerow([row.id, row.purpose, row.round, row.channel, row.status,
                                 words.get(f"state.{row.status}", row.status), row.attempts,
                                 row.redials, row.error_code or "", row.answered_by or "",
                                 row.created_at.isoformat(), row.updated_at.isoformat()])
                if buffer.tell() > 64 * 1024:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(rows()), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="action-{action_id}-deliveries.csv"'})


@bp.get("/console/audit")
@console_requires("audit:read")
def audit():
    action_id = request.args.get("action", "")
    if action_id and not (action_id.isdigit() and len(action_id) < 10):
        abort(400, description="action must be an action number")
    query = (select(AuditEvent, Operator.username).outerjoin(Operator, Operator.id == AuditEvent.operator_id)
             .order_by(AuditEvent.id.desc()).limit(PAGE))
    if action_id:
        query = query.where(AuditEvent.action_id == int(action_id))
    with of_app().sessions() as db:
        events = db.execute(query).all()
    return render_template("audit.html", events=events, action_id=action_id)
