"""Municipality staff's view of the participant registry: how many people can be alerted per
postcode area (PC4) and channel. A console page of its own (the console's other pages are for
the control room); the same figures are at GET /api/participants/statistics."""

from __future__ import annotations

from flask import Blueprint, g, render_template

from gateway import channels
from gateway.auth import console_requires
from gateway.runtime import of_app
from gateway.service import participants

bp = Blueprint("registry", __name__)


@bp.get("/console/participants")
@console_requires("participants:read")
def statistics():
    with of_app().sessions() as db:
        figures = participants.per_area(db)
    config = of_app().config
    lat, lon, zoom = (float(v) for v in config.map_start.split(","))
    page = {"tiles": config.map_tile_url, "attribution": config.map_tile_attribution,
            "start": [lat, lon], "zoom": zoom, "channels": list(channels.NAMES),
            "areas": [a for a in figures["areas"] if a.get("centre")]}
    return render_template("participant_statistics.html", figures=figures,
                           channels=channels.NAMES, operator=g.operator, page=page)
