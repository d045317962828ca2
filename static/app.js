// freshet: charts (uPlot) and small page helpers. Charts read JSON from
// the element's data-src and redraw every data-refresh seconds.
(function () {
  "use strict";
  var charts = new WeakMap();

  function fmtTime(ms) {
    var d = new Date(ms);
    return d.toISOString().slice(0, 16).replace("T", " ");
  }

  function countsChart(el) {
    var src = el.getAttribute("data-src");
    var bucket = el.getAttribute("data-bucket") || "hour";
    function load() {
      fetch(src + (src.indexOf("?") < 0 ? "?" : "&") + "bucket=" + bucket, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (d) { draw(d); })
        .catch(function () {});
    }
    function draw(d) {
      var xs = [], n = [], l = [];
      (d.buckets || []).forEach(function (b) { xs.push(b.t / 1000); n.push(b.n); l.push(b.n > 0 ? 100 * b.labeled / b.n : null); });
      var data = [xs, n, l];
      var old = charts.get(el);
      if (old && old.bucket === bucket) { old.plot.setData(data); return; }
      if (old) { old.plot.destroy(); }
      el.innerHTML = "";
      var bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.8, 12] }) : null;
      var opts = {
        width: el.clientWidth || 800, height: 260,
        cursor: { drag: { x: true, y: false } },
        scales: { x: { time: true }, y: { range: function (u, lo, hi) { return [0, Math.max(1, hi * 1.1)]; } }, pct: { range: [0, 105] } },
        axes: [
          { stroke: "#5f6b7a", grid: { stroke: "#eef1f5" } },
          { stroke: "#5f6b7a", grid: { stroke: "#eef1f5" }, size: 50, label: "rows" },
          { scale: "pct", side: 1, stroke: "#1a9e5f", grid: { show: false }, size: 50, values: function (u, vs) { return vs.map(function (v) { return v + "%"; }); } }
        ],
        series: [
          { label: "Time (UTC)", value: function (u, v) { return v == null ? "-" : fmtTime(v * 1000); } },
          { label: "Observations per " + (d.bucket || bucket), stroke: "#1f7ae0", fill: "rgba(31,122,224,.28)", width: 1, paths: bars },
          { label: "Labeled", scale: "pct", stroke: "#1a9e5f", width: 2, value: function (u, v) { return v == null ? "-" : v.toFixed(1) + "%"; } }
        ]
      };
      var plot = new uPlot(opts, data, el);
      charts.set(el, { plot: plot, bucket: bucket });
    }
    load();
    var every = parseInt(el.getAttribute("data-refresh") || "0", 10);
    if (every > 0) {
      var t = setInterval(function () { if (!document.body.contains(el)) { clearInterval(t); return; } load(); }, every * 1000);
    }
    el._freshetSetBucket = function (b) { bucket = b; load(); };
    window.addEventListener("resize", function () {
      var c = charts.get(el); if (c) { c.plot.setSize({ width: el.clientWidth, height: 260 }); }
    });
  }

  function init(root) {
    (root || document).querySelectorAll("[data-chart=counts]").forEach(function (el) {
      if (!el._freshetInit) { el._freshetInit = true; countsChart(el); }
    });
    (root || document).querySelectorAll("[data-bucket-for]").forEach(function (btn) {
      if (btn._freshetInit) { return; }
      btn._freshetInit = true;
      btn.addEventListener("click", function () {
        var el = document.getElementById(btn.getAttribute("data-bucket-for"));
        btn.parentNode.querySelectorAll("button").forEach(function (b) { b.classList.remove("on"); });
        btn.classList.add("on");
        if (el && el._freshetSetBucket) { el._freshetSetBucket(btn.getAttribute("data-bucket")); }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (e) { init(e.target); });
})();
