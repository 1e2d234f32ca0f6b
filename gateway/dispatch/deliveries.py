"""Creating, claiming and advancing deliveries: every write to the deliveries table is here.
Each is a single conditional statement, so two workers, a replayed callback or a crash cannot
break the state machine (gateway/models/delivery.py). Writes that belong to one attempt name it:
a late callback of an earlier attempt changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import String, bindparam, case, func, insert, literal, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from gateway import optout
from gateway.models import Action, Delivery, utcnow
from gateway.models import delivery as state
from gateway.models.action import ACTIVE
from gateway.models.base import UTCDateTime
from gateway.phones import mask

INSERT_CHUNK = 1000
# Who was reached by voicemail gets updates and the outcome as a text: every participant has a
# mobile number, and a second voicemail is easily missed.
TEXT_FALLBACK = "sms"
# A delayed job may be run a moment early by the scheduler; still claim what is due by then.
DUE_SLACK = timedelta(seconds=1)
# The partial indexes' own predicates (gateway/models/delivery.py), as literal SQL: a bound
# parameter would not let the planner prove that the index covers the query.
IS_WAITING = text("deliveries." + state.WAITING_SQL)
IS_SENDING = text("deliveries." + state.SENDING_SQL)
# Purposes that stop with the action: nobody gets an alert or update of a closed action.
WHILE_ACTIVE = (state.ALERT, state.UPDATE, state.GROUP_ALERT, state.GROUP_UPDATE,
                state.FALLBACK[state.GROUP_ALERT], state.FALLBACK[state.GROUP_UPDATE])
# A group message goes by WhatsApp; when that ends in one of these, an SMS follows.
FALLBACK_CHANNEL = "sms"
FAILED_FOR_GOOD = (state.FAILED, state.UNDELIVERED)


def _insert_ignoring_duplicates(session: Session, rows: list[dict]) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt = postgresql.insert(Delivery).on_conflict_do_nothing(constraint="uq_delivery_once")
    elif dialect == "sqlite":
        stmt = sqlite.insert(Delivery).on_conflict_do_nothing()
    else:  # pragma: no cover - only the two databases above are supported
        stmt = insert(Delivery)
    for start in range(0, len(rows), INSERT_CHUNK):
        session.execute(stmt, rows[start:start + INSERT_CHUNK])


def _insert_in_batches(session: Session, rows: list[dict], batch_key, size: int) -> None:
    """Rows are grouped into send batches as they are inserted: batch n of this fan-out gets
    `batch_key(n)`, the id of the job that will send it. A row that already existed (a retried
    job) keeps its own batch."""
    for i, row in enumerate(rows):
        row["batch"] = batch_key(i // size)
    _insert_ignoring_duplicates(session, rows)


def _followup_channel():
    """An update or outcome goes by the alert's channel, or by text when voicemail took it."""
    return case((Delivery.status == state.VOICEMAIL, literal(TEXT_FALLBACK)), else_=Delivery.channel)


def _reached_alerts(action_id: int, purpose: str = state.ALERT):
    """The alerts that reached their person; null participant: erased since (privacy.py). For a
    group purpose: the group alerts (WhatsApp, or its SMS fallback) that reached the
    administrator."""
    if purpose in state.GROUP_PURPOSES:
        return (Delivery.action_id == action_id) & Delivery.purpose.in_(state.GROUP_ALERTS) \
            & Delivery.status.in_(state.REACHED)
    return (Delivery.action_id == action_id) & (Delivery.purpose == state.ALERT) \
        & Delivery.status.in_(state.REACHED) & Delivery.participant_id.is_not(None)


def insert_group_alerts(session: Session, action_id: int, reached, batch_key, size: int) -> int:
    """A pending WhatsApp group alert per administrator reached (gateway/dispatch/groups.py):
    one per number, whatever it administers, and none to a number that has one already."""
    now, rows, seen = utcnow(), [], set()
    for r in reached:
        if r.phone in seen:
            continue
        seen.add(r.phone)
        rows.append({"action_id": action_id, "participant_id": None, "group_id": r.group_id,
                     "phone": r.phone, "channel": "whatsapp", "purpose": state.GROUP_ALERT,
                     "round": 0, "status": state.PENDING, "attempts": 0, "redials": 0,
                     "created_at": now, "updated_at": now})
    before = _count_purpose(session, action_id, state.GROUP_ALERT)
    _insert_in_batches(session, rows, batch_key, size)
    return _count_purpose(session, action_id, state.GROUP_ALERT) - before


def _count_purpose(session: Session, action_id: int, purpose: str) -> int:
    return session.scalar(select(func.count()).where(Delivery.action_id == action_id,
                                                     Delivery.purpose == purpose))


def create_fallback(session: Session, delivery_id: int, batch_key) -> str | None:
    """A group message whose WhatsApp failed for good goes again by SMS: a delivery of its own
    (purpose `..._sms`), so the overview shows both. Only once (the unique key), and an alert or
    update only while the action is active. Returns the new delivery's batch, or None."""
    row = session.execute(
        select(Delivery, Action.status.label("action_status"))
        .join(Action, Action.id == Delivery.action_id).where(Delivery.id == delivery_id)).first()
    if row is None:
        return None
    failed, action_status = row
    if failed.purpose not in state.FALLBACK or failed.channel == FALLBACK_CHANNEL \
            or failed.status not in FAILED_FOR_GOOD:
        return None
    if failed.purpose in WHILE_ACTIVE and action_status != ACTIVE:
        return None
    purpose = state.FALLBACK[failed.purpose]
    batch = batch_key(failed.action_id, purpose, failed.round, f"d{delivery_id}")(0)
    now = utcnow()
    before = _count_purpose(session, failed.action_id, purpose)
    _insert_ignoring_duplicates(session, [{
        "action_id": failed.action_id, "participant_id": None, "group_id": failed.group_id,
        "phone": failed.phone, "channel": FALLBACK_CHANNEL, "purpose": purpose,
        "round": failed.round, "status": state.PENDING, "attempts": 0, "redials": 0,
        "batch": batch, "created_at": now, "updated_at": now}])
    return batch if _count_purpose(session, failed.action_id, purpose) > before else None


def followup_reach(session: Session, action_id: int) -> dict[str, int]:
    """Who an update or the outcome would go to now, per channel: what create_followups sends."""
    channel = _followup_channel()
    return dict(session.execute(select(channel, func.count()).where(_reached_alerts(action_id))
                                .group_by(channel)).all())


def group_followup_reach(session: Session, action_id: int) -> int:
    """Administrators an update or the outcome would go to now."""
    return session.scalar(select(func.count()).where(
        _reached_alerts(action_id, state.GROUP_UPDATE)))


def create_followups(session: Session, action_id: int, purpose: str, round_: int, batch_key,
                     size: int, alert_ids: Sequence[int] | None = None) -> int:
    """An update or outcome delivery for every alert that reached its person: by the alert's
    channel, or by text when voicemail took the alert. A group purpose: for every group alert
    that reached its administrator, by the channel that reached them (WhatsApp, or SMS when
    WhatsApp had failed)."""
    channel = Delivery.channel if purpose in state.GROUP_PURPOSES else _followup_channel()
    done = aliased(Delivery)
    kinds = (purpose, state.FALLBACK[purpose]) if purpose in state.FALLBACK else (purpose,)
    has_one = select(done.id).where(done.action_id == action_id, done.phone == Delivery.phone,
                                    done.purpose.in_(kinds), done.round == round_).exists()
    # Only those who have none yet: a retried job, or the reconcile sweep, inserts nothing twice
    # and costs a lookup per reached alert, not an insert.
    query = select(Delivery.participant_id, Delivery.group_id, Delivery.phone,
                   channel.label("channel")).where(
        _reached_alerts(action_id, purpose), ~has_one).order_by(Delivery.id)
    if alert_ids is not None:
        query = query.where(Delivery.id.in_(alert_ids))
    now = utcnow()
    rows = [
        {"action_id": action_id, "participant_id": r.participant_id, "group_id": r.group_id,
         "phone": r.phone, "channel": r.channel, "purpose": purpose, "round": round_, "status": state.PENDING,
         "attempts": 0, "redials": 0, "created_at": now, "updated_at": now}
        for r in session.execute(query)
    ]
    _insert_in_batches(session, rows, batch_key, size)
    return len(rows)


def _still_sendable():
    """Outcomes go out after the close; alerts and updates only while the action is active."""
    action_status = select(Action.status).where(Action.id == Delivery.action_id).scalar_subquery()
    return Delivery.purpose.not_in(WHILE_ACTIVE) | (action_status == ACTIVE)


def waiting_batches(session: Session, action_id: int | None = None) -> list[str]:
    """Batch keys holding deliveries that wait to be sent and still may be."""
    query = select(Delivery.batch).where(
        IS_WAITING, Delivery.batch.is_not(None), _still_sendable())
    if action_id is not None:
        query = query.where(Delivery.action_id == action_id)
    return list(session.scalars(query.distinct()))


def claim(session: Session, batch: str, now: datetime | None = None,
          limit: int | None = None) -> list[Delivery]:
    """Waiting -> SENDING for (up to `limit` of) a batch, atomically: of two workers running the
    same batch each delivery goes to one of them. Each claim is one more attempt."""
    now = now or utcnow()
    due = (Delivery.batch == batch) & IS_WAITING & (
        Delivery.next_attempt_at.is_(None) | (Delivery.next_attempt_at <= now + DUE_SLACK)) \
        & _still_sendable()
    if limit is not None:
        due = Delivery.id.in_(select(Delivery.id).where(due).order_by(Delivery.id).limit(limit)) \
            & IS_WAITING
    claimed = session.scalars(
        update(Delivery).where(due)
        .values(status=state.SENDING, attempts=Delivery.attempts + 1, claimed_at=now,
                next_attempt_at=None, updated_at=now)
        .returning(Delivery),
        execution_options={"populate_existing": True},
    ).all()
    return sorted(claimed, key=lambda d: d.id)


def still_mine(session: Session, delivery_id: int, attempt: int) -> bool:
    """Renew a claim just before its request goes out, after a long wait for a pacing slot.
    False: verification released it meanwhile (it looked stale), so it must not be sent."""
    result = session.execute(
        update(Delivery).where(_this_attempt(delivery_id, attempt),
                               Delivery.status == state.SENDING)
        .values(claimed_at=utcnow()))
    return result.rowcount == 1


def _this_attempt(delivery_id: int, attempt: int):
    return (Delivery.id == delivery_id) & (Delivery.attempts == attempt)


def cancel_claimed(session: Session, delivery_id: int, attempt: int) -> None:
    """A claimed delivery whose action closed before its turn came: never sent."""
    session.execute(
        update(Delivery).where(_this_attempt(delivery_id, attempt),
                               Delivery.status == state.SENDING)
        .values(status=state.CANCELLED, updated_at=utcnow()))


def accepted(session: Session, delivery_id: int, attempt: int, sid: str) -> None:
    """The provider took it."""
    accepted_many(session, [(delivery_id, attempt, sid)])


def accepted_many(session: Session, sends: Sequence[tuple[int, int, str]]) -> None:
    """The provider took these (delivery id, attempt, sid): one statement, executemany. A status
    callback may already have moved one further: that is kept."""
    table = Delivery.__table__
    statement = table.update().where(
        table.c.id == bindparam("b_id"), table.c.attempts == bindparam("b_attempt")).values(
        provider_sid=bindparam("b_sid"),
        status=case((table.c.status == state.SENDING, state.QUEUED), else_=table.c.status),
        updated_at=bindparam("b_now", type_=UTCDateTime()))
    now = utcnow()
    session.connection().execute(statement, [
        {"b_id": i, "b_attempt": attempt, "b_sid": sid, "b_now": now} for i, attempt, sid in sends])


def schedule_retry(session: Session, delivery_id: int, attempt: int, delay: timedelta,
                   batch: str, reason: str, message: str | None = None,
                   redial: bool = False, claimed_at: datetime | None = None,
                   uncount: bool = False) -> bool:
    """-> RETRY, to be claimed again after `delay` by the job `batch`. From SENDING (a temporary
    error, or verification found nothing) or, for a redial, from a call still in progress.
    With `claimed_at`: only if the claim was not renewed since (its sender is still at work).
    `uncount`: the claim never reached the provider (its worker or Redis died first), so it
    does not use up an attempt: our own outages must not make anyone skipped."""
    sources = [s for s, rank in state.RANK.items() if rank < state.RANK[state.RETRY]]
    now = utcnow()
    values = {"status": state.RETRY, "next_attempt_at": now + delay, "batch": batch,
              "error_code": reason[:10], "error_message": message, "updated_at": now}
    if redial:
        values.update(redials=Delivery.redials + 1, provider_sid=None)
    if uncount:
        values["attempts"] = Delivery.attempts - 1
    where = _this_attempt(delivery_id, attempt) & Delivery.status.in_(sources)
    if claimed_at is not None:
        where &= Delivery.claimed_at == claimed_at
    return session.execute(update(Delivery).where(where).values(**values)).rowcount == 1


def fail(session: Session, delivery_id: int, attempt: int, code: str,
         message: str | None = None, claimed_at: datetime | None = None) -> bool:
    """Final: refused for good, or out of attempts. The provider's code and reason are kept."""
    where = _this_attempt(delivery_id, attempt) & (Delivery.status == state.SENDING)
    if claimed_at is not None:
        where &= Delivery.claimed_at == claimed_at
    optout.on_permanent_error(session, delivery_id, code)  # 21610: the recipient unsubscribed
    return session.execute(
        update(Delivery).where(where)
        .values(status=state.FAILED, error_code=code[:10], error_message=message,
                updated_at=utcnow())).rowcount == 1


# The states each state may move forward from.
_LOWER = {status: [s for s, r in state.RANK.items() if r < rank] for status, rank in state.RANK.items()}


def advance(session: Session, delivery_id: int, attempt: int, new_status: str,
            sid: str | None = None, error_code: str | None = None,
            answered_by: str | None = None) -> bool:
    """Apply a provider status if it moves this attempt forward. Late, replayed and reordered
    callbacks lose: one UPDATE whose WHERE admits only a higher rank. Returns whether it moved."""
    lower = _LOWER[new_status]
    values = {"status": new_status, "updated_at": utcnow()}
    if sid:
        values["provider_sid"] = func.coalesce(Delivery.provider_sid, sid)
    if error_code:
        values["error_code"] = error_code[:10]
    if answered_by:
        values["answered_by"] = answered_by
    result = session.execute(
        update(Delivery).where(_this_attempt(delivery_id, attempt), Delivery.status.in_(lower))
        .values(**values))
    return result.rowcount == 1


# The common status callback: an accepted request of this attempt moving forward. One prebuilt
# statement that also reads what the follow-up needs, instead of a SELECT, an UPDATE and the
# statement building of both; hundreds arrive a second during a large action.
_ACTION_STATUS = select(Action.status).where(Action.id == Delivery.action_id).scalar_subquery()
_FORWARD = (
    update(Delivery)
    .where(Delivery.id == bindparam("d_id"), Delivery.attempts == bindparam("d_attempt"),
           Delivery.channel == bindparam("d_channel"), Delivery.provider_sid == bindparam("d_sid"),
           Delivery.status.in_(bindparam("d_lower", expanding=True)))
    .values(status=bindparam("d_status"),
            updated_at=bindparam("d_now", type_=UTCDateTime()),
            error_code=func.coalesce(bindparam("d_error", type_=String), Delivery.error_code),
            answered_by=func.coalesce(bindparam("d_verdict", type_=String), Delivery.answered_by))
    .returning(Delivery.purpose, _ACTION_STATUS.label("action_status")))


def advance_known(conn: Connection, delivery_id: int, attempt: int, channel: str,
                  new_status: str, sid: str, error_code: str | None = None,
                  answered_by: str | None = None):
    """advance() for a request whose sid we already hold, as one statement that needs no
    transaction around it. Returns (purpose, action_status) if it moved, else None: then the
    caller takes the full path, which tells a replay, a stale attempt or a sid we never
    recorded apart."""
    return conn.execute(_FORWARD, {
        "d_id": delivery_id, "d_attempt": attempt, "d_channel": channel, "d_sid": sid,
        "d_lower": _LOWER[new_status], "d_status": new_status, "d_now": utcnow(),
        "d_error": error_code[:10] if error_code else None, "d_verdict": answered_by or None,
    }).one_or_none()


def note_answered_by(session: Session, delivery_id: int, attempt: int, answered_by: str) -> None:
    session.execute(update(Delivery).where(_this_attempt(delivery_id, attempt))
                    .values(answered_by=answered_by))


def correct_to_voicemail(session: Session, delivery_id: int, attempt: int) -> bool:
    """A machine verdict that arrives after the call already ended as answered."""
    result = session.execute(
        update(Delivery).where(_this_attempt(delivery_id, attempt),
                               Delivery.status == state.ANSWERED)
        .values(status=state.VOICEMAIL, updated_at=utcnow()))
    return result.rowcount == 1


def cancel_waiting(session: Session, action_id: int) -> int:
    """Closing: alerts and updates not yet sent (or waiting for a retry) are never sent."""
    result = session.execute(
        update(Delivery).where(Delivery.action_id == action_id,
                               Delivery.purpose.in_(WHILE_ACTIVE),
                               Delivery.status.in_(state.WAITING))
        .values(status=state.CANCELLED, updated_at=utcnow()))
    return result.rowcount


def stale_sending(session: Session, claimed_before: datetime) -> list[tuple[int, int]]:
    """(id, attempt) of claims whose worker went silent: the provider may or may not have them."""
    rows = session.execute(select(Delivery.id, Delivery.attempts).where(
        IS_SENDING, Delivery.claimed_at < claimed_before))
    return [(r.id, r.attempts) for r in rows]


def counts(session: Session, action_ids: Sequence[int]) -> dict[int, dict[str, dict[str, int]]]:
    """Delivery counts per action, purpose and status, for many actions in one query."""
    result: dict[int, dict[str, dict[str, int]]] = {
        a: {p: {} for p in (state.ALERT, state.UPDATE, state.OUTCOME)} for a in action_ids}
    if not action_ids:
        return result
    rows = session.execute(
        select(Delivery.action_id, Delivery.purpose, Delivery.status, func.count())
        .where(Delivery.action_id.in_(action_ids))
        .group_by(Delivery.action_id, Delivery.purpose, Delivery.status))
    for action_id, purpose, status, n in rows:
        bucket = result[action_id].setdefault(purpose, {})
        bucket[status] = bucket.get(status, 0) + n
    return result


def groups_reached(session: Session, action_id: int) -> list[dict]:
    """Heterdaadkracht: the groups an action reached, each with its administrator (number
    masked) and every message to them: purpose, round, channel, status. A group erased since
    shows as null id and name."""
    from gateway.models.group import Group  # the group registry is not the engine's

    rows = session.execute(
        select(Delivery.group_id, Group.name, Delivery.phone, Delivery.purpose, Delivery.round,
               Delivery.channel, Delivery.status, Delivery.error_code)
        .outerjoin(Group, Group.id == Delivery.group_id)
        .where(Delivery.action_id == action_id, Delivery.purpose.in_(state.GROUP_PURPOSES))
        .order_by(Delivery.group_id, Delivery.id))
    found: dict[tuple, dict] = {}
    for r in rows:
        entry = found.setdefault((r.group_id, r.phone), {
            "id": r.group_id, "name": r.name, "messages": [],
            "administrator": mask(r.phone) if r.phone.startswith("+") else "erased"})
        entry["messages"].append({"purpose": state.GROUP_OF[r.purpose], "round": r.round,
                                  "channel": r.channel, "status": r.status,
                                  "fallback": r.purpose in state.FALLBACK.values(),
                                  "error_code": r.error_code})
    return list(found.values())
