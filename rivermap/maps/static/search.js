// Search rivers and units by name (rivermap.build's plugin).
(function () {
  "use strict";
  var RM = (window.rivermap = window.rivermap || {});
  var el = RM.el;
  RM.plugins.push(function (h) {
    var map = h.map;
    var D = h.D;
    var T = h.T;
    var riverIndex = h.riverIndex;
    var unitIndex = h.unitIndex;
    var riverLayer = h.riverLayer;
    // --------------------------------------------------------------- search
    var Search = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var box = el("div", "rm-search leaflet-bar");
        var input = el("input", null, null, box);
        input.type = "search";
        input.placeholder = T.search;
        input.setAttribute("aria-label", T.search);
        var list = el("ul", null, null, box);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        var current = [];
        function show() {
          var q = input.value.trim().toLowerCase();
          list.textContent = "";
          current = [];
          if (!q) return;
          for (var i = 0; i < D.search.length && current.length < 12; i++) {
            if (D.search[i][0].toLowerCase().indexOf(q) >= 0) current.push(D.search[i]);
          }
          if (!current.length) { el("li", "rm-none", T.no_match, list); return; }
          current.forEach(function (item) {
            var li = el("li", "rm-result", null, list);
            el("span", "rm-name", item[0], li);
            el("span", "rm-kind", item[1], li);
            li.addEventListener("click", function () { go(item); });
          });
        }
        input.addEventListener("input", show);
        input.addEventListener("keydown", function (e) {
          if (e.key === "Enter" && current.length) go(current[0]);
        });
        return box;
      }
    });
    function go(item) {
      if (item[2] === "r") {
        var ls = riverIndex[item[3]] || [];
        if (!ls.length) return;
        var fg = L.featureGroup(ls);
        map.fitBounds(fg.getBounds(), { maxZoom: 12, padding: [20, 20] });
        if (!map.hasLayer(riverLayer)) map.addLayer(riverLayer);
        var first = ls[Math.floor(ls.length / 2)];
        var lls = first.getLatLngs();
        while (lls.length && Array.isArray(lls[0])) lls = lls[0];
        first.openPopup(lls[Math.floor(lls.length / 2)]);
      } else {
        var u = unitIndex[item[3]];
        if (!u) return;
        if (!map.hasLayer(u.group)) map.addLayer(u.group);
        map.fitBounds(u.layer.getBounds(), { maxZoom: 12, padding: [20, 20] });
        u.layer.openTooltip(u.layer.getBounds().getCenter());
      }
    }
    RM.go = go;
    new Search().addTo(map);
  });
})();
