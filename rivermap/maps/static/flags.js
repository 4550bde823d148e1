// The flags' severity threshold (rivermap.build's plugin): a group in the legend,
// under the river styles, with a slider that sets from which severity flagged
// rivers are haloed, and the halo's grades, each with how many rivers it holds.
//
// The slider's positions are D.flagScale.stops (0 = every flagged river, then
// round values up to the greatest severity), the default is
// D.flagScale.threshold (see flag_scale in web.py). Moving it changes the
// flags layer (h.layers.flags.rmSetThreshold, built in map.js), shows that
// layer if it was hidden, and updates the counts; grades under the threshold
// are dimmed. The legend is rebuilt in the other language by controls.js; the
// group is then added again, at the same threshold. Every word is read from
// h.T when the group is made.
(function () {
  "use strict";
  var RM = (window.rivermap = window.rivermap || {});
  var el = RM.el;
  var NS = "http://www.w3.org/2000/svg";

  function fill(tpl, fields) {
    return String(tpl).replace(/\{(\w+)\}/g, function (m, k) {
      return Object.prototype.hasOwnProperty.call(fields, k) ? String(fields[k]) : m;
    });
  }
  function num(v) { return String(Number(v.toPrecision(6))); }
  function swatch(parent, colour, width, opacity) {
    var svg = document.createElementNS(NS, "svg");
    svg.setAttribute("width", "28"); svg.setAttribute("height", "16");
    var line = document.createElementNS(NS, "line");
    line.setAttribute("x1", "2"); line.setAttribute("y1", "8");
    line.setAttribute("x2", "26"); line.setAttribute("y2", "8");
    line.setAttribute("stroke", colour); line.setAttribute("stroke-width", String(width));
    line.setAttribute("stroke-opacity", String(opacity));
    line.setAttribute("stroke-linecap", "round");
    svg.appendChild(line);
    parent.appendChild(svg);
  }
  // the severities a grade holds: "< 10", "10–20", "≥ 50"
  function range(grades, i) {
    if (i === 0) return "< " + num(grades[1][0]);
    if (i === grades.length - 1) return "≥ " + num(grades[i][0]);
    return num(grades[i][0]) + "–" + num(grades[i + 1][0]);
  }

  RM.plugins.push(function (h) {
    var map = h.map, D = h.D, T = h.T, halo = h.layers.flags, scale = D.flagScale;
    if (!scale || !halo || !halo.rmCounts || !halo.rmCounts().total) return;
    var stops = scale.stops;
    var grades = scale.grades;

    function stopOf(t) {
      var best = 0;
      stops.forEach(function (v, i) { if (v <= t) best = i; });
      return best;
    }
    function build() {
      var body = h.legend && h.legend._body;
      if (!body) return null;
      var g = el("div", "rm-group rm-flags-group");
      var styles = body.querySelector(".rm-styles-group");
      body.insertBefore(g, styles ? styles.nextSibling : body.firstChild);
      var title = el("div", "rm-group-title", T.flag_grades + " ", g);
      var shown = el("span", "rm-flag-shown", null, title);
      var row = el("label", "rm-flag-threshold", null, g);
      el("span", null, T.flag_threshold, row);
      var input = el("input", null, null, row);
      input.type = "range";
      input.min = "0";
      input.max = String(stops.length - 1);
      input.step = "1";
      input.value = String(stopOf(halo.rmThreshold));
      input.title = T.flag_threshold_hint;
      var value = el("output", "rm-flag-value", null, row);
      var list = el("div", "rm-grid rm-flag-grades", null, g);
      var items = grades.map(function (gr) {
        var it = el("div", "rm-item rm-flag-grade", null, list);
        swatch(it, gr[1], Math.min(gr[2], 12), gr[3]);
        return el("span", null, null, it);
      });
      function update() {
        var t = stops[Number(input.value)], counts = halo.rmCounts();
        var word = t > 0 ? num(t) : T.flag_all;
        value.textContent = word;
        input.setAttribute("aria-valuetext", T.flag_threshold + " " + word);
        input.setAttribute("aria-label", T.flag_threshold_hint);
        shown.textContent = fill(T.flag_shown, { shown: counts.shown, total: counts.total });
        items.forEach(function (span, i) {
          var c = counts.grades[i] || [0, 0];
          span.textContent = range(grades, i) + " (" + c[1] + ")";
          span.parentNode.classList.toggle("rm-off", c[1] === 0);
        });
      }
      L.DomEvent.on(input, "input change", function () {
        halo.rmSetThreshold(stops[Number(input.value)]);
        if (!map.hasLayer(halo)) map.addLayer(halo);
        update();
      });
      update();
      // the most severe grade first, as a reader looks for it
      items.slice().reverse().forEach(function (span) { list.appendChild(span.parentNode); });
      if (h.legend._fit) h.legend._fit();
      return g;
    }
    build();
    h.onLang(function () { build(); });
  });
})();
