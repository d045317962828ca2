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

  var palette = ["#1f7ae0", "#d3343b", "#1a9e5f", "#c77700", "#7b3fe4", "#0f9aa8", "#e0529c", "#5f6b7a", "#8c6d1f", "#2f4b7c"];

  function loader(el, draw) {
    var src = el.getAttribute("data-src");
    function load() {
      fetch(src, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(draw).catch(function () {});
    }
    load();
    var every = parseInt(el.getAttribute("data-refresh") || "0", 10);
    if (every > 0) {
      var t = setInterval(function () { if (!document.body.contains(el)) { clearInterval(t); return; } load(); }, every * 1000);
    }
  }

  function redraw(el, opts, data) {
    var old = charts.get(el);
    if (old && old.plot.series.length === opts.series.length) { old.plot.setData(data); return; }
    if (old) { old.plot.destroy(); }
    el.innerHTML = "";
    opts.width = el.clientWidth || 800;
    charts.set(el, { plot: new uPlot(opts, data, el) });
  }

  var timeSeries = { label: "Window (UTC)", value: function (u, v) { return v == null ? "-" : fmtTime(v * 1000).slice(0, 10); } };

  // Drift: each feature's score relative to its threshold, per window.
  function driftChart(el) {
    loader(el, function (d) {
      var ws = d.windows || [];
      if (!ws.length) { return; }
      var names = ws[ws.length - 1].features.map(function (f) { return f.name; });
      var data = [ws.map(function (w) { return w.start / 1000; })];
      var series = [timeSeries];
      names.forEach(function (n, i) {
        data.push(ws.map(function (w) {
          var f = w.features.find(function (x) { return x.name === n; });
          return f && f.ratio != null ? Math.min(f.ratio, 10) : null;
        }));
        series.push({ label: n, stroke: palette[i % palette.length], width: 1.5, value: function (u, v) { return v == null ? "-" : v.toFixed(2) + "×"; } });
      });
      data.push(ws.map(function () { return 1; }));
      series.push({ label: "threshold", stroke: "#8a96a6", dash: [6, 4], width: 1, value: function () { return "1×"; } });
      redraw(el, {
        height: 260, scales: { x: { time: true }, y: { range: function (u, lo, hi) { return [0, Math.max(2, Math.min(10, hi * 1.1))]; } } },
        axes: [{ stroke: "#5f6b7a", grid: { stroke: "#eef1f5" } }, { stroke: "#5f6b7a", grid: { stroke: "#eef1f5" }, size: 50, label: "drift ÷ threshold" }],
        series: series
      }, data);
    });
  }

  // Decay: AUC per window with its band, baseline and the CBPE estimate.
  function decayChart(el) {
    loader(el, function (d) {
      var ws = d.windows || [];
      if (!ws.length) { return; }
      var base = d.baseline && d.baseline.auc != null ? d.baseline.auc : null;
      var xs = ws.map(function (w) { return w.start / 1000; });
      var auc = ws.map(function (w) { return w.auc; });
      var lo = ws.map(function (w) { return w.auc != null && w.auc_stderr != null ? w.auc - 1.96 * w.auc_stderr : null; });
      var hi = ws.map(function (w) { return w.auc != null && w.auc_stderr != null ? w.auc + 1.96 * w.auc_stderr : null; });
      var est = ws.map(function (w) { return w.estimated_auc; });
      var bl = ws.map(function () { return base; });
      var alarm = ws.map(function (w) { return w.alarms && w.alarms.length ? (w.auc != null ? w.auc : (w.estimated_auc != null ? w.estimated_auc : base)) : null; });
      // Retraining decisions, drawn on the window whose end they saw.
      var evs = d.triggers || [];
      var eventsAt = function (outcome) {
        return ws.map(function (w) {
          var hit = evs.filter(function (e) { return e.outcome === outcome && e.at > w.start && e.at <= w.end; });
          return hit.length ? hit : null;
        });
      };
      var fired = eventsAt("fired"), suppressed = eventsAt("suppressed");
      var firedY = fired.map(function (h) { return h ? 0.985 : null; });
      var suppY = suppressed.map(function (h) { return h ? 0.965 : null; });
      var evText = function (hits) { return function (u, v, si, i) { return i != null && hits[i] ? hits[i].map(function (e) { return e.text; }).join("; ") : "-"; }; };
      var f3 = function (u, v) { return v == null ? "-" : v.toFixed(3); };
      redraw(el, {
        height: 260, scales: { x: { time: true }, y: { range: function (u, a, b) { return [Math.max(0, Math.min(a, 0.5)), 1]; } } },
        axes: [{ stroke: "#5f6b7a", grid: { stroke: "#eef1f5" } }, { stroke: "#5f6b7a", grid: { stroke: "#eef1f5" }, size: 50, label: "AUC" }],
        bands: [{ series: [2, 3], fill: "rgba(31,122,224,.12)" }],
        series: [timeSeries,
          { label: "AUC (labeled)", stroke: "#1f7ae0", width: 2, value: f3 },
          { label: "upper", stroke: "rgba(31,122,224,.25)", width: 1, value: f3 },
          { label: "lower", stroke: "rgba(31,122,224,.25)", width: 1, value: f3 },
          { label: "estimated (CBPE)", stroke: "#c77700", dash: [5, 4], width: 1.5, value: f3 },
          { label: "baseline", stroke: "#1a9e5f", dash: [8, 4], width: 1.5, value: f3 },
          { label: "detector alarm", stroke: "#d3343b", fill: "#d3343b", width: 0, paths: function () { return null; }, points: { show: true, size: 10, fill: "#d3343b" },
            value: function (u, v, si, i) { return i != null && ws[i] && ws[i].alarms && ws[i].alarms.length ? ws[i].alarms.join(", ") : "-"; } },
          { label: "retrain fired", stroke: "#1a9e5f", width: 0, paths: function () { return null; }, points: { show: true, size: 11, fill: "#1a9e5f", stroke: "#fff", width: 2 }, value: evText(fired) },
          { label: "suppressed", stroke: "#c77700", width: 0, paths: function () { return null; }, points: { show: true, size: 9, fill: "#fff", stroke: "#c77700", width: 2 }, value: evText(suppressed) }]
      }, [xs, auc, hi, lo, est, bl, alarm, firedY, suppY]);
    });
  }

  // Distribution: reference vs window shares per bin, as bars.
  function distChart(el) {
    var labels = JSON.parse(el.getAttribute("data-labels") || "[]");
    var ref = JSON.parse(el.getAttribute("data-ref") || "[]");
    var cur = JSON.parse(el.getAttribute("data-cur") || "[]");
    if (!labels.length) { return; }
    var xs = labels.map(function (_, i) { return i; });
    var bars = uPlot.paths && uPlot.paths.bars;
    var pct = function (u, v) { return v == null ? "-" : (100 * v).toFixed(1) + "%"; };
    redraw(el, {
      height: 240, scales: { x: { time: false, range: [-0.6, labels.length - 0.4] } },
      axes: [{ stroke: "#5f6b7a", grid: { show: false }, values: function (u, vs) { return vs.map(function (v) { return Number.isInteger(v) ? labels[v] || "" : ""; }); }, rotate: -30, size: 60 },
        { stroke: "#5f6b7a", grid: { stroke: "#eef1f5" }, size: 50, values: function (u, vs) { return vs.map(function (v) { return (100 * v).toFixed(0) + "%"; }); } }],
      series: [{ label: "bin", value: function (u, v) { return v == null ? "-" : labels[v]; } },
        { label: "reference", stroke: "#8a96a6", fill: "rgba(138,150,166,.35)", paths: bars ? bars({ size: [0.4, 40], align: -1 }) : null, value: pct },
        { label: "current", stroke: "#1f7ae0", fill: "rgba(31,122,224,.45)", paths: bars ? bars({ size: [0.4, 40], align: 1 }) : null, value: pct }]
    }, [xs, ref, cur]);
  }

  // Calibration: share of positives against mean score per bin, for the
  // champion and the challenger, with the diagonal.
  function calibrationChart(el) {
    var d = JSON.parse(el.getAttribute("data-cal") || "{}");
    var ch = d.champion || [], cl = d.challenger || [];
    var xs = [];
    ch.concat(cl).forEach(function (p) { if (xs.indexOf(p.X) < 0) { xs.push(p.X); } });
    xs.sort(function (a, b) { return a - b; });
    if (!xs.length) { return; }
    var at = function (pts) { return xs.map(function (x) { var p = pts.filter(function (q) { return q.X === x; })[0]; return p ? p.Y : null; }); };
    var f3 = function (u, v) { return v == null ? "-" : v.toFixed(3); };
    redraw(el, {
      height: 260, scales: { x: { time: false, range: [0, 1] }, y: { range: [0, 1] } },
      axes: [{ stroke: "#5f6b7a", grid: { stroke: "#eef1f5" }, label: "mean score" }, { stroke: "#5f6b7a", grid: { stroke: "#eef1f5" }, size: 50, label: "share positive" }],
      series: [{ label: "score", value: f3 },
        { label: "perfect", stroke: "#8a96a6", dash: [5, 4], width: 1, value: f3 },
        { label: "champion", stroke: "#8a96a6", width: 2, spanGaps: true, points: { show: true, size: 6 }, value: f3 },
        { label: "challenger", stroke: "#1f7ae0", width: 2, spanGaps: true, points: { show: true, size: 6 }, value: f3 }]
    }, [xs, xs.slice(), at(ch), at(cl)]);
  }

  // Labeling: one item at a time from the JSON API, keyboard first. Each
  // label's response carries the next item, so labeling never waits.
  function labeler(el) {
    var batch = el.getAttribute("data-labeling");
    var classes = (el.getAttribute("data-classes") || "").split("\x1f");
    var box = el.querySelector("[data-role=item]");
    var status = el.querySelector("[data-role=status]");
    var cur = null, busy = false;
    var text = function (s) { var d = document.createElement("div"); d.textContent = s == null ? "" : String(s); return d.innerHTML; };
    var bar = function (role, used, limit, label) {
      var b = el.querySelector("[data-role=" + role + "-bar]"), t = el.querySelector("[data-role=" + role + "-text]");
      if (limit < 0) { b.style.width = "0"; t.textContent = used + " (no limit)"; return; }
      b.style.width = Math.min(100, limit ? 100 * used / limit : 0) + "%";
      t.textContent = used + "/" + limit + (label ? " " + label : "");
    };
    var show = function (v) {
      cur = v;
      if (!v) { box.innerHTML = "<p class=\"muted\" data-testid=\"label-done\">Nothing left for you in this batch.</p>"; return; }
      var it = v.item, rows = (v.features || []).map(function (f) {
        return "<tr><td class=\"mono\">" + text(f.name) + "</td><td class=\"val\">" + text(f.value) + "</td><td class=\"hint\">" + text(f.range || "") + "</td></tr>";
      }).join("");
      box.innerHTML = "<div class=\"item-head\"><div><div class=\"hint\">Observation " + it.obs_id + " · item " + it.id + "</div>" +
        "<div class=\"hint\">Chosen by " + text(v.batch.strategy) + ": " + text(it.why) + "</div></div>" +
        "<div><div class=\"hint\">model score</div><div class=\"score\" data-testid=\"item-score\">" + Number(it.score).toFixed(3) + "</div></div></div>" +
        "<table class=\"features\" data-testid=\"item-features\"><thead><tr><th>Feature</th><th>Value</th><th>Reference range (5–95%)</th></tr></thead><tbody>" + rows + "</tbody></table>";
      box.setAttribute("data-item", it.id);
      bar("batch", v.batch.done, v.batch.size, "done");
      bar("budget", v.budget.used, v.budget.limit, "used");
    };
    var call = function (url, body, then) {
      if (busy) { return; }
      busy = true;
      fetch(url, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json", "Accept": "application/json" }, body: body ? JSON.stringify(body) : "{}" })
        .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
        .then(function (res) {
          busy = false;
          if (!res.ok) { status.textContent = (res.j.error && res.j.error.message) || "failed"; if (res.j.error && res.j.error.code === "not_found") { show(null); } return; }
          status.textContent = "";
          then(res.j);
        })
        .catch(function (e) { busy = false; status.textContent = String(e); });
    };
    var next = function (j) {
      if (j.next) { show(j.next); } else { show(null); if (j.next_error) { status.textContent = j.next_error; } }
    };
    var label = function (i) { if (cur) { call("/api/v1/items/" + cur.item.id + "/label", { label: i }, function (j) { status.textContent = "labeled " + classes[i]; next(j); }); } };
    var skip = function () { if (cur) { call("/api/v1/items/" + cur.item.id + "/skip", null, function (j) { status.textContent = "skipped"; next(j); }); } };
    var undo = function () { call("/api/v1/batches/" + batch + "/undo", null, function (j) { status.textContent = "undone"; next(j); }); };
    el.querySelectorAll("[data-label]").forEach(function (b) { b.addEventListener("click", function () { label(parseInt(b.getAttribute("data-label"), 10)); }); });
    el.querySelector("[data-action=skip]").addEventListener("click", skip);
    el.querySelector("[data-action=undo]").addEventListener("click", undo);
    var binary = classes.length === 2 && classes[0] === "0";
    document.addEventListener("keydown", function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey || (e.target && /INPUT|TEXTAREA|SELECT/.test(e.target.tagName))) { return; }
      var k = e.key.toLowerCase();
      if (k === "s") { e.preventDefault(); skip(); return; }
      if (k === "u") { e.preventDefault(); undo(); return; }
      if (/^[0-9]$/.test(k)) {
        var i = binary ? parseInt(k, 10) : parseInt(k, 10) - 1;
        if (i >= 0 && i < classes.length) { e.preventDefault(); label(i); }
      }
    });
    call("/api/v1/batches/" + batch + "/next", null, function (j) { show(j); });
  }

  // Labels spent against the model's metric, one point per version.
  function labelsCurve(el) {
    var pts = JSON.parse(el.getAttribute("data-curve") || "[]");
    if (!pts.length) { el.innerHTML = "<p class=\"muted\">No version trained since labeling began.</p>"; return; }
    var f3 = function (u, v) { return v == null ? "-" : v.toFixed(3); };
    redraw(el, {
      height: 240, scales: { x: { time: false } },
      axes: [{ stroke: "#5f6b7a", grid: { stroke: "#eef1f5" }, label: "annotator labels" }, { stroke: "#5f6b7a", grid: { stroke: "#eef1f5" }, size: 50, label: el.getAttribute("data-metric") }],
      series: [{ label: "labels" }, { label: el.getAttribute("data-metric"), stroke: "#1f7ae0", width: 2, points: { show: true, size: 7 }, value: f3 }]
    }, [pts.map(function (p) { return p.labels; }), pts.map(function (p) { return p.metric; })]);
  }

  // Backtest frontier: mean AUC against cost relative to retraining after
  // every batch (on an asinh scale, so "never" at 0 and the cheap updates
  // near it stay apart), one labelled point per policy, the Pareto front as
  // a line and the recommendation ringed.
  function frontierChart(el) {
    var pts = JSON.parse(el.getAttribute("data-points") || "[]");
    if (!pts.length) { el.innerHTML = "<p class=\"muted\">No policy has a mean AUC.</p>"; return; }
    pts.sort(function (a, b) { return a.cost - b.cost || a.auc - b.auc; });
    var xs = pts.map(function (p) { return p.cost; });
    var all = pts.map(function (p) { return p.auc; });
    var front = pts.map(function (p) { return p.pareto ? p.auc : null; });
    var rec = pts.map(function (p) { return p.rec ? p.auc : null; });
    var lo = Math.min.apply(null, all), hi = Math.max.apply(null, all), pad = Math.max(0.004, (hi - lo) * 0.15);
    var xmax = Math.max(1, Math.max.apply(null, xs)) * 1.25;
    var pct = function (v) { return v == null ? "-" : v === 0 ? "0" : (100 * v).toFixed(v < 0.0095 ? 1 : 0) + "%"; };
    var f4 = function (u, v) { return v == null ? "-" : v.toFixed(4); };
    // Labels next to their points, moved around to miss the others.
    var labels = function (u) {
      var ctx = u.ctx, pr = uPlot.pxRatio || 1, bb = u.bbox, placed = [];
      var font = (11.5 * pr) + "px ui-monospace, SFMono-Regular, 'DejaVu Sans Mono', Menlo, monospace";
      ctx.save();
      ctx.font = font;
      ctx.textAlign = "left";
      ctx.textBaseline = "middle";
      var pos = pts.map(function (p) { return [u.valToPos(p.cost, "x", true), u.valToPos(p.auc, "y", true)]; });
      pos.forEach(function (q) { placed.push([q[0] - 5 * pr, q[1] - 5 * pr, q[0] + 5 * pr, q[1] + 5 * pr]); });
      var hit = function (b) {
        if (b[0] < bb.left || b[2] > bb.left + bb.width || b[1] < bb.top || b[3] > bb.top + bb.height) { return true; }
        return placed.some(function (o) { return b[0] < o[2] && b[2] > o[0] && b[1] < o[3] && b[3] > o[1]; });
      };
      pts.forEach(function (p, i) {
        var x = pos[i][0], y = pos[i][1], w = ctx.measureText(p.name).width, h = 13 * pr, g = 7 * pr;
        var tries = [[g, -h / 2 - 2 * pr], [g, h / 2 + 2 * pr], [-g - w, -h / 2 - 2 * pr], [-g - w, h / 2 + 2 * pr], [-w / 2, -h - 4 * pr], [-w / 2, h + 4 * pr],
          [g, -1.5 * h], [g, 1.5 * h], [-g - w, -1.5 * h], [-g - w, 1.5 * h]];
        if (x > bb.left + 0.8 * bb.width) { tries = tries.slice(2, 4).concat(tries.slice(0, 2), tries.slice(4)); }
        var at = tries[0];
        for (var k = 0; k < tries.length; k++) {
          var b = [x + tries[k][0], y + tries[k][1] - h / 2, x + tries[k][0] + w, y + tries[k][1] + h / 2];
          if (!hit(b)) { at = tries[k]; break; }
        }
        placed.push([x + at[0], y + at[1] - h / 2, x + at[0] + w, y + at[1] + h / 2]);
        ctx.fillStyle = p.rec ? "#0d6b3f" : (p.pareto ? "#1b2330" : "#5f6b7a");
        ctx.font = p.rec ? "bold " + font : font;
        ctx.fillText(p.name, x + at[0], y + at[1]);
      });
      ctx.restore();
    };
    redraw(el, {
      height: 300, legend: { show: false },
      cursor: { points: { show: false }, drag: { x: false, y: false } },
      scales: { x: { time: false, distr: 4, asinh: 0.02, range: function () { return [0, xmax]; } }, y: { range: function () { return [lo - pad, hi + pad]; } } },
      axes: [{ stroke: "#5f6b7a", grid: { stroke: "#eef1f5" }, label: "rows × rounds, relative to a full retrain after every batch",
        splits: function () { return [0, 0.01, 0.03, 0.1, 0.3, 1, 3, 10].filter(function (v) { return v <= xmax; }); },
        filter: function (u, vs) { return vs; }, values: function (u, vs) { return vs.map(pct); } },
        { stroke: "#5f6b7a", grid: { stroke: "#eef1f5" }, size: 56, label: "mean AUC", values: function (u, vs) { return vs.map(function (v) { return v.toFixed(3); }); } }],
      series: [{ label: "cost", value: function (u, v) { return pct(v); } },
        { label: "Pareto front", stroke: "#1a9e5f", width: 2, spanGaps: true, points: { show: false }, value: f4 },
        { label: "policy", stroke: "#1f7ae0", width: 0, paths: function () { return null; }, points: { show: true, size: 8, fill: "#1f7ae0", stroke: "#fff", width: 1 }, value: f4 },
        { label: "recommended", stroke: "#1a9e5f", width: 0, paths: function () { return null; }, points: { show: true, size: 18, fill: "rgba(26,158,95,.12)", stroke: "#1a9e5f", width: 2 }, value: f4 }],
      hooks: { draw: [labels] }
    }, [xs, front, all, rec]);
  }

  // Backtest AUC per batch, one line per policy (the chips above pick
  // them), with a marker where the policy did a full retrain (filled) or a
  // cheap update (hollow) after the batch's labels.
  function backtestAUCChart(el) {
    var d = JSON.parse(el.getAttribute("data-series") || "{}");
    var ps = d.policies || [], ts = d.t || [];
    if (!ps.length || !ts.length) { return; }
    var f3 = function (u, v) { return v == null ? "-" : v.toFixed(3); };
    var lo = 1, hi = 0;
    var series = [{ label: "Batch end (UTC)", value: function (u, v) { return v == null ? "-" : fmtTime(v * 1000).slice(0, 10); } }];
    var data = [ts];
    // The recommendation green and drawn on top, never grey, every batch
    // navy; the rest from a palette long enough for the default list.
    var others = ["#1f7ae0", "#d3343b", "#c77700", "#7b3fe4", "#0f9aa8", "#e0529c", "#8c6d1f", "#6aa84f", "#b45f06", "#a64d79", "#45818e", "#5f6b7a"], k = 0;
    var colors = ps.map(function (p) {
      var base = p.name.split("@")[0];
      if (p.rec) { return "#1a9e5f"; }
      if (base === "never") { return "#8a96a6"; }
      if (base === "every:1") { return "#2f4b7c"; }
      return others[k++ % others.length];
    });
    var order = ps.map(function (p, i) { return i; }).sort(function (a, b) { return (ps[a].rec ? 1 : 0) - (ps[b].rec ? 1 : 0); });
    ps = order.map(function (i) { return ps[i]; });
    colors = order.map(function (i) { return colors[i]; });
    ps.forEach(function (p, i) {
      series.push({ label: p.name, show: p.show, stroke: colors[i], width: p.rec ? 2.5 : 1.5, points: { show: false }, value: f3 });
      data.push(p.auc);
      p.auc.forEach(function (v) { if (v != null) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
    });
    var markers = function (u) {
      var ctx = u.ctx, pr = uPlot.pxRatio || 1;
      ctx.save();
      ctx.beginPath();
      ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
      ctx.clip();
      ps.forEach(function (p, i) {
        if (!u.series[i + 1].show) { return; }
        var c = colors[i];
        p.upd.forEach(function (k, j) {
          if (!k || p.auc[j] == null) { return; }
          var x = u.valToPos(ts[j], "x", true), y = u.valToPos(p.auc[j], "y", true);
          ctx.beginPath();
          ctx.arc(x, y, (k === "full" ? 3.8 : 3.2) * pr, 0, 2 * Math.PI);
          ctx.lineWidth = 1.6 * pr;
          ctx.strokeStyle = c;
          ctx.fillStyle = k === "full" ? c : "#fff";
          ctx.fill();
          ctx.stroke();
        });
      });
      ctx.restore();
    };
    redraw(el, {
      height: 280, legend: { show: false },
      scales: { x: { time: true }, y: { range: function () { return [Math.max(0, lo - 0.02), Math.min(1, hi + 0.02)]; } } },
      axes: [{ stroke: "#5f6b7a", grid: { stroke: "#eef1f5" } }, { stroke: "#5f6b7a", grid: { stroke: "#eef1f5" }, size: 50, label: "AUC of the batch" }],
      series: series,
      hooks: { draw: [markers] }
    }, data);
    var chips = document.querySelector("[data-series-for=\"" + el.id + "\"]");
    if (!chips) { return; }
    chips.querySelectorAll("input[type=checkbox]").forEach(function (cb) {
      var i = ps.findIndex(function (p) { return p.name === cb.value; });
      if (i < 0) { return; }
      var sw = cb.parentNode.querySelector(".swatch");
      if (sw) { sw.style.background = colors[i]; }
      cb.addEventListener("change", function () {
        var c = charts.get(el);
        if (c) { c.plot.setSeries(i + 1, { show: cb.checked }); }
      });
    });
  }

  function init(root) {
    (root || document).querySelectorAll("[data-labeling]").forEach(function (el) { if (!el._freshetInit) { el._freshetInit = true; labeler(el); } });
    (root || document).querySelectorAll("[data-chart=labels-curve]").forEach(function (el) { if (!el._freshetInit) { el._freshetInit = true; labelsCurve(el); } });
    (root || document).querySelectorAll("[data-chart=calibration]").forEach(function (el) { if (!el._freshetInit) { el._freshetInit = true; calibrationChart(el); } });
    (root || document).querySelectorAll("[data-chart=drift]").forEach(function (el) { if (!el._freshetInit) { el._freshetInit = true; driftChart(el); } });
    (root || document).querySelectorAll("[data-chart=decay]").forEach(function (el) { if (!el._freshetInit) { el._freshetInit = true; decayChart(el); } });
    (root || document).querySelectorAll("[data-chart=dist]").forEach(function (el) { if (!el._freshetInit) { el._freshetInit = true; distChart(el); } });
    (root || document).querySelectorAll("[data-chart=frontier]").forEach(function (el) { if (!el._freshetInit) { el._freshetInit = true; frontierChart(el); } });
    (root || document).querySelectorAll("[data-chart=backtest-auc]").forEach(function (el) { if (!el._freshetInit) { el._freshetInit = true; backtestAUCChart(el); } });
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
