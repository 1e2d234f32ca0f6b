"""Tips across actions: the ones no action could claim must be findable too."""

from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import select

from gateway.api import bp
from gateway.api.actions import serialise_tip
from gateway.auth import requires
from gateway.errors import ApiError
from gateway.models import Tip
from gateway.runtime import of_app

PAGE = 200


@bp.get("/tips")
@requires("actions:read")
def list_all_tips():
    """Newest first. `unlinked=true`: only tips no action could be found for (a caller we did
    not alert while several actions were active)."""
    unlinked = request.args.get("unlinked", "false")
    if unlinked not in ("true", "false"):
        raise ApiError(422, "unlinked", "must be true or false")
    query = select(Tip).order_by(Tip.id.desc()).limit(PAGE)
    if unlinked == "true":
        query = query.where(Tip.action_id.is_(None))
    with of_app().sessions() as db:
        return jsonify(tips=[serialise_tip(t) for t in db.scalars(query)])
