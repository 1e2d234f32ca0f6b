// The public coverage map (/buurtpreventie): active groups from the GeoJSON feed as coloured
// areas; a click shows the group's streets and postcodes and, only when its administrator
// consented, whom to ask to join. Settings come from data- attributes (the CSP allows no
// inline script). Without a tile server the areas are drawn on a plain background.
(function () {
  "use strict";
  var element = document.getElementById("map");
  if (!element || !window.L) { return; }
  var data = element.dataset;
  var colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b"];
  var map = L.map(element).setView([52.2, 5.3], 7);  // the Netherlands until groups are loaded
  if (data.tiles) {
    L.tileLayer(data.tiles, {maxZoom: 19, attribution: data.attribution}).addTo(map);
  }

  function text(tag, content) {
    var node = document.createElement(tag);
    node.textContent = content;
    return node;
  }

  function popup(properties) {
    // Built from DOM nodes, never from HTML strings: names are typed by residents.
    var box = document.createElement("div");
    box.appendChild(text("strong", properties.name));
    if (properties.streets.length) {
      box.appendChild(text("p", data.streets + ": " + properties.streets.join(", ")));
    }
    if (properties.postcodes.length) {
      box.appendChild(text("p", data.postcodes + ": " + properties.postcodes.join(", ")));
    }
    if (properties.join) {
      var join = text("p", data.join + " " + properties.join.name + ": ");
      var mail = text("a", properties.join.email);
      mail.href = "mailto:" + properties.join.email;
      join.appendChild(mail);
      box.appendChild(join);
    } else {
      box.appendChild(text("p", data.noJoin));
    }
    return box;
  }

  fetch(data.geojson, {headers: {Accept: "application/geo+json"}})
    .then(function (response) { return response.json(); })
    .then(function (collection) {
      var drawn = collection.features.filter(function (f) { return f.geometry; });
      // A group given only by postcodes: a round marker at the centre of its postcodes.
      var marked = collection.features.filter(function (f) {
        return !f.geometry && f.properties.marker;
      });
      if (!drawn.length && !marked.length) { return; }
      var style = function (feature) {
        var colour = colours[feature.properties.id % colours.length];
        return {color: colour, weight: 2, fillColor: colour, fillOpacity: 0.3};
      };
      var layer = L.geoJSON({type: "FeatureCollection", features: drawn}, {
        style: style,
        onEachFeature: function (feature, shape) {
          shape.bindPopup(popup(feature.properties));
        }
      }).addTo(map);
      marked.forEach(function (feature) {
        var at = feature.properties.marker;  // [lon, lat]
        var options = style(feature);
        options.radius = 12;
        options.className = "postcode-group";
        L.circleMarker([at[1], at[0]], options).bindPopup(popup(feature.properties)).addTo(layer);
      });
      map.fitBounds(layer.getBounds(), {padding: [20, 20], maxZoom: 16});
    });
}());
