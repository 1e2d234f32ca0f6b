"""Neighbourhood-prevention groups: kept by municipality staff (`/api/groups`), registered by
residents (`POST /api/public/groups`, no token, limited per client address) and published as
GeoJSON (`GET /api/public/groups.geojson`, active groups, personal data only with consent).
The rules are in gateway/service/groups.py."""

from __future__ import annotations

import logging

from flask import g, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from gateway.api import bp
from gateway.api.validation import json_body
from gateway.auth import requires
from gateway.errors import ApiError
from gateway.models import Group
from gateway.models import group as states
from gateway.runtime import of_app
from gateway.service import groups as service
from gateway.service import privacy, supplies

log = logging.getLogger("gateway.groups")


def _group(db, group_id: int) -> Group:
    group = db.get(Group, group_id, options=[selectinload(Group.administrator)])
    if group is None:
        raise ApiError(404, "group_id", "no such group")
    return group


def _answer(db, group: Group) -> dict:
    return {**service.serialise(group), **service.notes(db, group)}


@bp.get("/groups")
@requires("groups:read")
def list_groups():
    status = request.args.get("status")
    if status is not None and status not in states.STATUSES:
        raise ApiError(422, "status", f"must be one of {', '.join(states.STATUSES)}")
    query = select(Group).options(selectinload(Group.administrator)).order_by(Group.id)
    if status:
        query = query.where(Group.status == status)
    with of_app().sessions() as db:
        return jsonify(groups=[service.summary(group) for group in db.scalars(query)])


@bp.post("/groups")
@requires("groups:write")
def create_group():
    rt = of_app()
    data = service.read(json_body(), rt.config.countries)
    with rt.transaction() as db:
        group = service.create(db, data, g.operator.id)
        answer = _answer(db, group)
    return jsonify(answer), 201


@bp.get("/groups/<int:group_id>")
@requires("groups:read")
def get_group(group_id: int):
    with of_app().sessions() as db:
        group = _group(db, group_id)
        return jsonify(_answer(db, group))


@bp.patch("/groups/<int:group_id>")
@requires("groups:write")
def patch_group(group_id: int):
    rt = of_app()
    changes = json_body()
    message_id = None
    with rt.transaction() as db:
        group = _group(db, group_id)
        if service.update(db, group, changes, rt.config.countries, g.operator.id):
            message_id = supplies.opt_in_message(db, group)
        answer = _answer(db, group)
    if message_id is not None:
        supplies.enqueue(rt, message_id)  # "reply JA to confirm"
    return jsonify(answer)


@bp.delete("/groups/<int:group_id>")
@requires("groups:write")
def erase_group(group_id: int):
    """Erase on request (the administrator's data, GDPR): the group, its administrator, its sign
    requests and texts go; the audit trail keeps who erased which id."""
    with of_app().transaction() as db:
        group = _group(db, group_id)
        privacy.erase_group_messages(db, group_id)
        db.delete(group)
        db.flush()
        service.audit(db, group, g.operator.id, "group.erased")
    log.info("group.erased group=%s", group_id)
    return jsonify(id=group_id, erased=True)


@bp.post("/groups/<int:group_id>/approve")
@requires("groups:write")
def approve_group(group_id: int):
    rt = of_app()
    with rt.transaction() as db:
        group = _group(db, group_id)
        service.approve(db, group, g.operator.id)
        message_id = supplies.approval_message(db, group)
        answer = _answer(db, group)
    supplies.enqueue(rt, message_id)  # the administrator's SMS, with the link to their page
    return jsonify(answer)


@bp.post("/public/groups")
def register_group():
    rt = of_app()
    group_id = service.register_public(rt, json_body(), request.remote_addr)
    with rt.sessions() as db:
        answer = service.public_answer(db, group_id)
    return jsonify(answer), 201


@bp.get("/public/groups.geojson")
def groups_geojson():
    rt = of_app()
    with rt.sessions() as db:
        active = db.scalars(select(Group).options(selectinload(Group.administrator))
                            .where(Group.status == states.ACTIVE).order_by(Group.id))
        features = [service.public_feature(group, rt.config.geocoder_table or None)
                    for group in active]
    response = jsonify(type="FeatureCollection", features=features)
    response.mimetype = "application/geo+json"
    return response
