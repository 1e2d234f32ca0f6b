// The area on the map: draw a circle (click the centre, drag the handle on its edge, or type
// centre and radius) or a polygon (click corners, then close it), and show stored areas.
// Areas are GeoJSON as the API takes them: {"type": "Circle", "center": [lon, lat], "radius_m"}
// or a Polygon in [lon, lat] order. Works without tiles: the areas show on a plain background.
"use strict";

const AreaMap = (() => {
  // The console's map as every page has it: its start, the tiles if configured, a scale.
  function base(element) {
    const config = Console.config;
    const map = L.map(element, {keyboard: true}).setView(config.start, config.zoom);
    if (config.tiles) {
      L.tileLayer(config.tiles, {maxZoom: 19, attribution: config.attribution}).addTo(map);
    }
    L.control.scale({imperial: false}).addTo(map);
    return map;
  }

  function create(element, options) {
    const map = base(element);
    const drawn = L.layerGroup().addTo(map);
    const stored = L.layerGroup().addTo(map);
    const handleIcon = (cls) => L.divIcon({className: "map-handle " + cls, iconSize: [16, 16]});
    let tool = "circle", circle = null, centre = null, handle = null, corners = [], polygon = null;
    const listeners = [];
    const changed = () => listeners.forEach((fn) => fn(area()));

    function clear() {
      drawn.clearLayers();
      circle = centre = handle = polygon = null;
      corners = [];
      changed();
    }

    function edgeOf(latlng, radius) {
      // East of the centre, on the circle: where the radius handle sits.
      const dLon = radius / (111320 * Math.cos(latlng.lat * Math.PI / 180));
      return L.latLng(latlng.lat, latlng.lng + dLon);
    }

    function setCircle(latlng, radius) {
      if (polygon || corners.length) { drawn.clearLayers(); polygon = null; corners = []; }
      if (!circle) {
        circle = L.circle(latlng, {radius, className: "area-new"}).addTo(drawn);
        centre = L.marker(latlng, {draggable: true, icon: handleIcon("centre"), keyboard: false,
                                   title: Console.t("map.centre")}).addTo(drawn);
        handle = L.marker(edgeOf(latlng, radius), {draggable: true, icon: handleIcon("radius"),
                                                   keyboard: false, title: Console.t("map.radius")}).addTo(drawn);
        centre.on("drag", () => {
          circle.setLatLng(centre.getLatLng());
          handle.setLatLng(edgeOf(centre.getLatLng(), circle.getRadius()));
        });
        centre.on("dragend", changed);
        handle.on("drag", () => circle.setRadius(Math.max(50, map.distance(centre.getLatLng(), handle.getLatLng()))));
        handle.on("dragend", () => { handle.setLatLng(edgeOf(centre.getLatLng(), circle.getRadius())); changed(); });
      } else {
        circle.setLatLng(latlng).setRadius(radius);
        centre.setLatLng(latlng);
        handle.setLatLng(edgeOf(latlng, radius));
      }
      changed();
    }

    function addCorner(latlng) {
      if (circle) { drawn.clearLayers(); circle = centre = handle = null; }
      if (polygon) { drawn.clearLayers(); polygon = null; corners = []; }
      if (corners.length >= 3 && map.latLngToContainerPoint(corners[0]).distanceTo(
        map.latLngToContainerPoint(latlng)) < 12) {
        return closePolygon();
      }
      corners.push(latlng);
      drawn.clearLayers();
      L.polyline(corners, {className: "area-new", dashArray: "4 4"}).addTo(drawn);
      corners.forEach((c) => L.circleMarker(c, {radius: 5, className: "area-new"}).addTo(drawn));
      changed();
    }

    function closePolygon() {
      if (corners.length < 3) return;
      drawn.clearLayers();
      polygon = L.polygon(corners, {className: "area-new"}).addTo(drawn);
      changed();
    }

    map.on("click", (event) => {
      if (tool === "circle") setCircle(event.latlng, circle ? circle.getRadius() : options.radius());
      else addCorner(event.latlng);
    });

    function area() {
      if (circle) {
        const c = circle.getLatLng();
        return {type: "Circle", center: [round(c.lng), round(c.lat)], radius_m: Math.round(circle.getRadius())};
      }
      if (polygon) {
        const ring = corners.map((c) => [round(c.lng), round(c.lat)]);
        ring.push(ring[0]);
        return {type: "Polygon", coordinates: [ring]};
      }
      return null;
    }

    function showAreas(areas) {
      stored.clearLayers();
      for (const geo of areas) {
        const layer = geo.type === "Circle"
          ? L.circle([geo.center[1], geo.center[0]], {radius: geo.radius_m, className: "area-stored"})
          : L.geoJSON(geo, {style: {className: "area-stored"}});
        layer.addTo(stored);
      }
      const bounds = L.featureGroup(stored.getLayers()).getBounds();
      if (bounds.isValid()) map.fitBounds(bounds, {padding: [20, 20]});
    }

    return {
      map, area, clear, closePolygon, showAreas,
      onChange: (fn) => listeners.push(fn),
      setTool(name) { tool = name; },
      corners: () => corners.length,
      centreOn(lat, lon, radius) {
        const latlng = L.latLng(lat, lon);
        if (tool !== "circle") return map.setView(latlng, Math.max(map.getZoom(), 13));
        setCircle(latlng, radius);
        map.fitBounds(circle.getBounds(), {padding: [20, 20], maxZoom: 15});
      },
      radius: () => (circle ? circle.getRadius() : null),
    };
  }

  const round = (v) => Math.round(v * 1e6) / 1e6;  // about 10 cm: enough, and short

  // The toolbar under a map: circle / polygon / close / clear, and the centre fields.
  function tools(areaMap, ids) {
    const byId = (id) => document.getElementById(id);
    const circleButton = byId(ids.circle), polygonButton = byId(ids.polygon);
    const closeButton = byId(ids.close), help = byId(ids.help);
    const lat = byId(ids.lat), lon = byId(ids.lon), radius = byId(ids.radius);
    function select(name) {
      areaMap.setTool(name);
      circleButton.setAttribute("aria-pressed", String(name === "circle"));
      polygonButton.setAttribute("aria-pressed", String(name === "polygon"));
      if (help) help.textContent = Console.t(name === "circle" ? "map.help_circle" : "map.help_polygon");
    }
    circleButton.addEventListener("click", () => select("circle"));
    polygonButton.addEventListener("click", () => select("polygon"));
    closeButton.addEventListener("click", () => areaMap.closePolygon());
    byId(ids.clear).addEventListener("click", () => areaMap.clear());
    // A pasted pair ("52.0575, 4.4931", as maps and call systems copy it) fills both fields.
    lat.addEventListener("change", () => {
      const pair = lat.value.trim().split(/[\s;,]+/);
      if (pair.length === 2 && pair.every((v) => Number.isFinite(parseFloat(v)))) {
        [lat.value, lon.value] = pair;
      }
    });
    byId(ids.apply).addEventListener("click", () => {
      const la = parseFloat(lat.value.replace(",", ".")), lo = parseFloat(lon.value.replace(",", "."));
      if (Number.isFinite(la) && Number.isFinite(lo)) {
        select("circle");
        areaMap.centreOn(la, lo, Number(radius.value) || 800);
      }
    });
    radius.addEventListener("change", () => {
      const area = areaMap.area();
      if (area && area.type === "Circle" && Number(radius.value) > 0) {
        areaMap.centreOn(area.center[1], area.center[0], Number(radius.value));
      }
    });
    areaMap.onChange((area) => {
      closeButton.disabled = !(areaMap.corners() >= 3 && (!area || area.type !== "Polygon"));
      if (area && area.type === "Circle") {
        lat.value = area.center[1]; lon.value = area.center[0]; radius.value = area.radius_m;
      }
    });
    return {select};
  }

  return {base, create, tools};
})();
