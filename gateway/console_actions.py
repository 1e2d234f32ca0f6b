"""Console pages for one action: drawing a new one, and following an action live. The pages are
shells; their scripts (static/console-*.js) call the API, which calls the action service, and
follow the action by server-sent events (api/events.py)."""

from __future__ import annotations

import xstatic.pkg.leaflet as leaflet
from flask import g, render_template, send_from_directory

from gateway import channels
from gateway.api.events import BUCKETS
from gateway.auth import allowed, console_requires
from gateway.console import bp
from gateway.models.action import INCIDENT_TYPES, NEEDS_CONSENT
from gateway.models.delivery import STATES
from gateway.runtime import of_app
from gateway.service import actions as service

LEAFLET = leaflet.BASE_DIR


@bp.get("/vendor/leaflet/<path:filename>")
def leaflet_file(filename: str):
    """Leaflet as the xstatic-leaflet package ships it: no CDN, and the CSP stays 'self'."""
    return send_from_directory(LEAFLET, filename, max_age=86400)


def _page_config(**extra) -> dict:
    """What a page's scripts need besides the API: the map's tiles and start, the words."""
    config = of_app().config
    lat, lon, zoom = (float(v) for v in config.map_start.split(","))
    return {"tiles": config.map_tile_url, "attribution": config.map_tile_attribution,
            "start": [lat, lon], "zoom": zoom, "confirm_above": service.CONFIRM_ABOVE,
            "channels": list(channels.NAMES), "counters": list(BUCKETS), "states": list(STATES),
            "may_write": allowed(g.operator, "actions:write"), **extra}


@bp.get("/console/actions/new")
@console_requires("actions:write")
def new_action():
    return render_template("new_action.html", incident_types=INCIDENT_TYPES,
                           needs_consent=sorted(NEEDS_CONSENT), page=_page_config(),
                           group_defaults=sorted(of_app().config.group_incident_types))


@bp.get("/console/actions/<int:action_id>")
@console_requires("actions:read")
def action_page(action_id: int):
    with of_app().sessions() as db:
        action = service.load(db, action_id)
    return render_template("action.html", action=action,
                           page=_page_config(action_id=action.id, areas=action.areas,
                                             started_at=action.started_at.isoformat()
                                             if action.started_at else None))
