// Participants per PC4 area on the map: a circle at the centre of each area's people, its size
// by how many can be alerted there, the counts per channel in its popup. Works without tiles.
"use strict";

(() => {
  const {config, n} = Console;
  const map = AreaMap.base(document.getElementById("map"));
  const markers = config.areas.map((area) => {
    const total = config.channels.reduce((sum, name) => sum + area[name], 0);
    const lines = config.channels.filter((name) => area[name]).map((name) => `${name} ${n(area[name])}`);
    return L.circleMarker([area.centre[1], area.centre[0]], {
      radius: 4 + Math.sqrt(total), className: "pc4-area", title: area.pc4,
    }).bindPopup(`<strong>${area.pc4}</strong><br>${lines.join("<br>")}`).addTo(map);
  });
  if (markers.length) map.fitBounds(L.featureGroup(markers).getBounds().pad(0.2));
})();
