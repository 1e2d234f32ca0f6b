// Drawing a group's area on the registration form (/buurtpreventie/aanmelden): each click on
// the map adds a corner; the polygon is written as GeoJSON into the hidden `area` field, which
// the server checks like any area. Without JavaScript the form takes postcodes instead.
(function () {
  "use strict";
  var element = document.getElementById("draw-map");
  var field = document.getElementById("area");
  if (!element || !field || !window.L) { return; }
  var data = element.dataset;
  element.hidden = false;
  document.getElementById("draw-tools").hidden = false;
  var map = L.map(element).setView([52.06, 4.49], 14);
  if (data.tiles) {
    L.tileLayer(data.tiles, {maxZoom: 19, attribution: data.attribution}).addTo(map);
  }
  var corners = [];
  var shape = null;

  function round(value) { return Math.round(value * 1e6) / 1e6; }

  function redraw() {
    if (shape) { map.removeLayer(shape); shape = null; }
    if (corners.length) {
      shape = (corners.length < 3 ? L.polyline(corners) : L.polygon(corners)).addTo(map);
    }
    if (corners.length < 3) { field.value = ""; return; }
    var ring = corners.map(function (c) { return [round(c.lng), round(c.lat)]; });
    ring.push(ring[0]);  // GeoJSON rings are closed
    field.value = JSON.stringify({type: "Polygon", coordinates: [ring]});
  }

  // A polygon sent back after an error is drawn again, so it is not lost.
  try {
    var kept = JSON.parse(field.value || "null");
    if (kept && kept.type === "Polygon") {
      corners = kept.coordinates[0].slice(0, -1).map(function (p) { return L.latLng(p[1], p[0]); });
      redraw();
      if (shape) { map.fitBounds(shape.getBounds(), {padding: [20, 20]}); }
    }
  } catch (ignored) { field.value = ""; }

  map.on("click", function (event) { corners.push(event.latlng); redraw(); });
  document.getElementById("draw-undo").addEventListener("click", function () {
    corners.pop(); redraw();
  });
  document.getElementById("draw-clear").addEventListener("click", function () {
    corners = []; redraw();
  });
}());
