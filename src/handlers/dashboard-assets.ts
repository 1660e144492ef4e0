/*
 * The dashboard's browser side: one stylesheet and one script, served as they are (no build step). The
 * script builds every node with textContent (never innerHTML), talks to the admin API with the session
 * cookie and the page's CSRF token, and follows GET /admin/stream and GET /runs/:id/stream with
 * EventSource. Kept free of backticks and dollar-braces so it can live in a template string here.
 */

export const DASHBOARD_CSS = String.raw`:root { color-scheme: light dark; --fg: #1b1f24; --muted: #5b6470; --bg: #f6f7f9; --card: #fff; --line: #d8dde3; --accent: #0b57d0; --bad: #b3261e; --ok: #146c2e; --warn: #8a5300; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e8eb; --muted: #9aa4b0; --bg: #111417; --card: #1a1e23; --line: #2d333b; --accent: #8ab4f8; --bad: #f2b8b5; --ok: #81c995; --warn: #fdd663; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
code, pre, .status { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: 12.5px; }
h1 { font-size: 18px; margin: 0; } h2 { font-size: 15px; margin: 0 0 8px; } h3 { font-size: 13px; margin: 12px 0 4px; }
.muted { color: var(--muted); }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: var(--card); padding: 6px; z-index: 2; }
.top { display: flex; gap: 16px; align-items: center; padding: 10px 16px; border-bottom: 1px solid var(--line); background: var(--card); }
.top p { margin: 0; } .top form { margin-left: auto; }
main { padding: 12px 16px; }
.counters dl { display: grid; grid-template-columns: repeat(4, minmax(120px, 1fr)); gap: 12px; margin: 0 0 12px; }
.counters div { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; }
.counters dt { color: var(--muted); font-size: 12px; } .counters dd { margin: 0; font-size: 22px; font-weight: 600; }
.grid { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1.3fr); gap: 12px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; min-width: 0; }
#events { grid-column: 1 / -1; }
table { width: 100%; border-collapse: collapse; } caption { text-align: left; color: var(--muted); font-size: 12px; padding: 4px 0; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { font-size: 12px; color: var(--muted); font-weight: 600; }
tr.selected { background: color-mix(in srgb, var(--accent) 12%, transparent); }
button { font: inherit; padding: 4px 10px; border-radius: 6px; border: 1px solid var(--line); background: var(--bg); color: var(--fg); cursor: pointer; }
button:disabled { opacity: 0.45; cursor: default; }
button.link { border: 0; background: none; padding: 0; color: var(--accent); text-decoration: underline; font-family: ui-monospace, Menlo, monospace; font-size: 12.5px; }
button:focus-visible, input:focus-visible, a:focus-visible, [tabindex]:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
.actions { display: flex; gap: 8px; margin: 8px 0; }
.status { padding: 0 6px; border-radius: 4px; border: 1px solid var(--line); }
.s-completed, .s-succeeded { color: var(--ok); } .s-failed, .s-dead_lettered, .s-governor_breached { color: var(--bad); } .s-cancelled, .s-abandoned { color: var(--warn); } .s-running, .s-queued, .s-waiting { color: var(--accent); }
.error-text { color: var(--bad); }
pre#live { white-space: pre-wrap; max-height: 180px; overflow: auto; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 8px; margin: 0; min-height: 2.5em; }
ol.events { list-style: none; margin: 0; padding: 0; max-height: 260px; overflow: auto; }
ol.events li { padding: 2px 0; border-bottom: 1px dashed var(--line); } ol.events li.err { color: var(--bad); }
ol.events time { color: var(--muted); font-size: 12px; }
.signin { max-width: 380px; margin: 12vh auto; background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 20px 24px; }
.signin form { display: grid; gap: 8px; } .signin input { font: inherit; padding: 6px 8px; border-radius: 6px; border: 1px solid var(--line); background: var(--bg); color: var(--fg); }
.alert { color: var(--bad); font-weight: 600; }
@media (max-width: 900px) { .grid { grid-template-columns: 1fr; } .counters dl { grid-template-columns: repeat(2, 1fr); } }
`;

export const DASHBOARD_JS = String.raw`"use strict";
(function () {
  var csrf = (document.querySelector('meta[name="csrf"]') || {}).content || "";
  var runs = new Map();
  var events = [];
  var calls = [];
  var selected = null;
  var runStream = null;
  var live = {};
  var MAX_EVENTS = 200;
  var FINISHED = ["completed", "failed", "cancelled", "governor_breached"];

  function $(id) {
    return document.getElementById(id);
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k.indexOf("on") === 0) node.addEventListener(k.slice(2), attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }
  function api(method, path, body) {
    var init = { method: method, credentials: "same-origin", headers: { "x-csrf": csrf } };
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (r.status === 401) location.reload();
        if (!r.ok) throw new Error(j.message || "HTTP " + r.status);
        return j;
      });
    });
  }
  function ms(v) {
    if (v === null || v === undefined) return "";
    return v >= 10000 ? (v / 1000).toFixed(1) + " s" : Math.round(v) + " ms";
  }
  function time(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    return d.toLocaleTimeString();
  }
  function statusBadge(status) {
    return el("span", { class: "status s-" + status, text: status });
  }
  function percentile(list, p) {
    if (list.length === 0) return null;
    var s = list.slice().sort(function (a, b) { return a - b; });
    return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  }

  // ---- counters ---------------------------------------------------------------------------------
  function count(path, key) {
    return api("GET", path).then(function (j) {
      var n = (j[key] || []).length;
      return j.nextCursor ? n + "+" : String(n);
    });
  }
  function loadCounters() {
    var day = new Date(Date.now() - 86400000).toISOString();
    var hour = new Date(Date.now() - 3600000).toISOString();
    count("/admin/deliveries?limit=500&since=" + day, "deliveries").then(function (n) { $("c-deliveries").textContent = n; }, function () {});
    Promise.all([count("/runs?limit=500&status=running", "runs"), count("/runs?limit=500&status=waiting", "runs")]).then(function (n) {
      var a = parseInt(n[0], 10) + parseInt(n[1], 10);
      $("c-active").textContent = String(a) + (n[0].indexOf("+") >= 0 || n[1].indexOf("+") >= 0 ? "+" : "");
    }, function () {});
    count("/runs?limit=500&status=failed&since=" + hour, "runs").then(function (n) { $("c-failures").textContent = n; }, function () {});
  }
  var countersTimer = null;
  function countersSoon() {
    if (countersTimer) return;
    countersTimer = setTimeout(function () {
      countersTimer = null;
      loadCounters();
    }, 1000);
  }
  function tickUptime() {
    var booted = Number($("c-uptime").getAttribute("data-booted"));
    var s = Math.max(0, Math.floor((Date.now() - booted) / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    $("c-uptime").textContent = (h > 0 ? h + " h " : "") + m + " min " + (s % 60) + " s";
  }

  // ---- recent runs ------------------------------------------------------------------------------
  function loadRuns() {
    return api("GET", "/runs?limit=25").then(function (j) {
      (j.runs || []).forEach(function (r) { upsertRun(r); });
      renderRuns();
    });
  }
  function upsertRun(r) {
    var had = runs.get(r.runId) || {};
    var merged = Object.assign({}, had, r);
    if (had.status && FINISHED.indexOf(had.status) >= 0 && FINISHED.indexOf(r.status) < 0) merged.status = had.status;
    runs.set(r.runId, merged);
  }
  function renderRuns() {
    var body = $("runs-body");
    // Re-rendering must not take the keyboard focus away from the run button it was on.
    var active = document.activeElement;
    var focusedRun = active && body.contains(active) ? active.getAttribute("data-run") : null;
    var list = Array.from(runs.values()).sort(function (a, b) {
      return String(b.startedAt).localeCompare(String(a.startedAt));
    }).slice(0, 25);
    clear(body);
    if (list.length === 0) body.appendChild(el("tr", {}, [el("td", { colspan: "5", class: "muted", text: "no runs yet" })]));
    list.forEach(function (r) {
      var open = el("button", { type: "button", class: "link", "data-run": r.runId, "aria-label": "Open run " + r.runId, onclick: function () { select(r.runId, true); } }, [r.runId.slice(0, 16)]);
      var tr = el("tr", { "data-run": r.runId, class: r.runId === selected ? "selected" : "" }, [
        el("td", {}, [open]),
        el("td", {}, [statusBadge(r.status)]),
        el("td", { text: r.workflowId || "" }),
        el("td", { text: r.source || "" }),
        el("td", { text: time(r.startedAt) }),
      ]);
      body.appendChild(tr);
    });
    if (focusedRun) {
      var again = body.querySelector('button[data-run="' + focusedRun + '"]');
      if (again) again.focus();
    }
  }

  // ---- run detail -------------------------------------------------------------------------------
  function select(runId, focus) {
    selected = runId;
    live = {};
    $("live").textContent = "";
    $("act-result").textContent = "";
    renderRuns();
    if (runStream) runStream.close();
    runStream = new EventSource("/runs/" + encodeURIComponent(runId) + "/stream");
    runStream.addEventListener("token", function (e) {
      var t = JSON.parse(e.data);
      live[t.attemptId] = (live[t.attemptId] || "").slice(0, t.offset) + t.text;
      $("live").textContent = Object.keys(live).map(function (k) { return "[" + k + "] " + live[k]; }).join("\n\n");
    });
    runStream.addEventListener("end", function () {
      runStream.close();
      refreshDetail();
    });
    runStream.onmessage = function () {};
    ["run.state", "step.start", "step.finish", "model.call", "run.cancel", "run.relaunched"].forEach(function (type) {
      runStream.addEventListener(type, detailSoon);
    });
    refreshDetail().then(function () {
      if (focus) $("detail-h").focus();
    });
  }
  var detailTimer = null;
  function detailSoon() {
    if (detailTimer) return;
    detailTimer = setTimeout(function () {
      detailTimer = null;
      refreshDetail();
    }, 150);
  }
  function refreshDetail() {
    var runId = selected;
    if (!runId) return Promise.resolve();
    return api("GET", "/runs/" + encodeURIComponent(runId)).then(function (t) {
      if (runId !== selected) return;
      renderDetail(t);
      upsertRun({ runId: t.runId, status: t.status, workflowId: t.workflowId, source: t.source, startedAt: t.createdAt });
      renderRuns();
    }, function (err) {
      $("act-result").textContent = "Could not load the run: " + err.message;
    });
  }
  function linkButton(runId, label) {
    return el("button", { type: "button", class: "link", onclick: function () { select(runId, true); } }, [label + " " + runId.slice(0, 16)]);
  }
  function renderDetail(t) {
    $("detail-empty").hidden = true;
    $("detail-body").hidden = false;
    $("d-id").textContent = t.runId;
    var st = $("d-status");
    st.textContent = t.status;
    st.className = "status s-" + t.status;
    $("d-workflow").textContent = t.workflowId + (t.workflowVersion ? " v" + t.workflowVersion : "");
    var links = $("d-links");
    clear(links);
    if (t.restartOf) links.appendChild(linkButton(t.restartOf, "restart of"));
    if (t.retryOf) links.appendChild(linkButton(t.retryOf, "retry of"));
    (t.relaunches || []).forEach(function (r) { links.appendChild(linkButton(r.runId, r.kind + " →")); });
    var cancel = t.cancel && t.cancel.latencyMs !== null ? " · cancel acknowledged in " + ms(t.cancel.latencyMs) : "";
    $("d-error").textContent = (t.error ? t.error.message : "") + cancel;
    var running = FINISHED.indexOf(t.status) < 0;
    $("act-stop").disabled = !running;
    $("act-retry").disabled = running || t.status === "completed";
    var body = $("steps-body");
    clear(body);
    (t.steps || []).forEach(function (s) {
      var tokens = s.inputTokens === null && s.outputTokens === null ? "" : (s.inputTokens || 0) + " / " + (s.outputTokens || 0);
      body.appendChild(el("tr", {}, [
        el("th", { scope: "row", text: s.stepId + (s.attempt > 1 ? " #" + s.attempt : "") }),
        el("td", { text: s.kind }),
        el("td", { text: s.mode }),
        el("td", {}, [statusBadge(s.status)]),
        el("td", { text: ms(s.latencyMs) }),
        el("td", { text: tokens }),
        el("td", { text: s.tokensPerSec ? s.tokensPerSec.toFixed(1) : "" }),
        el("td", { text: s.costUsd ? "$" + s.costUsd.toFixed(6) : "" }),
        el("td", { class: "error-text", text: s.error || "" }),
      ]));
      if (s.output && s.output.text && !live[s.attemptId] && s.status === "succeeded" && s.kind === "llm") {
        live[s.attemptId] = s.output.text;
      }
    });
    if (Object.keys(live).length > 0)
      $("live").textContent = Object.keys(live).map(function (k) { return "[" + k + "] " + live[k]; }).join("\n\n");
  }
  function act(kind) {
    var runId = selected;
    if (!runId) return;
    var out = $("act-result");
    var t0 = performance.now();
    out.textContent = kind === "stop" ? "Stopping…" : kind === "restart" ? "Restarting…" : "Retrying…";
    var path = "/runs/" + encodeURIComponent(runId) + "/" + (kind === "stop" ? "cancel" : kind);
    api("POST", path).then(function (j) {
      var took = Math.round(performance.now() - t0);
      if (kind === "stop") {
        out.textContent = j.alreadyFinished
          ? "Already " + j.status + "."
          : "Stopped: " + j.status + " · latency " + j.latencyMs + " ms (server), " + took + " ms round trip";
        refreshDetail();
      } else {
        clear(out);
        out.appendChild(document.createTextNode((kind === "restart" ? "Restarted" : "Retrying from " + j.fromStep) + " as "));
        out.appendChild(linkButton(j.runId, "run"));
        upsertRun({ runId: j.runId, status: j.status, workflowId: runs.has(runId) ? runs.get(runId).workflowId : "", startedAt: new Date().toISOString() });
        renderRuns();
        refreshDetail();
        loadDead();
      }
    }, function (err) {
      out.textContent = "Refused: " + err.message;
    });
  }

  // ---- model calls ------------------------------------------------------------------------------
  function renderModels() {
    var groups = {};
    calls.forEach(function (c) {
      var key = (c.provider || "?") + " / " + (c.model || "?");
      (groups[key] = groups[key] || []).push(c);
    });
    var body = $("models-body");
    clear(body);
    var keys = Object.keys(groups).sort();
    if (keys.length === 0) body.appendChild(el("tr", {}, [el("td", { colspan: "5", class: "muted", text: "no model calls yet" })]));
    keys.forEach(function (k) {
      var g = groups[k];
      var lat = g.map(function (c) { return c.latency_ms; });
      var tps = g.map(function (c) { return c.tokens_per_sec; }).filter(function (v) { return typeof v === "number"; });
      body.appendChild(el("tr", {}, [
        el("th", { scope: "row", text: k }),
        el("td", { text: String(g.length) }),
        el("td", { text: ms(percentile(lat, 50)) }),
        el("td", { text: ms(percentile(lat, 95)) }),
        el("td", { text: tps.length ? percentile(tps, 50).toFixed(1) : "" }),
      ]));
    });
  }

  // ---- events and errors ------------------------------------------------------------------------
  function isError(e) {
    return /failed|error|dead|breach/.test(e.type) || (e.type === "run.state" && (e.data.state === "failed" || e.data.state === "governor_breached")) || (e.type === "step.finish" && e.data.status === "failed");
  }
  function describe(e) {
    var d = e.data || {};
    if (e.type === "run.state") return d.state + (d.error ? ": " + d.error : "");
    if (e.type === "step.start" || e.type === "step.finish") return (d.step_id || "") + " " + (d.status || "") + (d.latency_ms !== undefined ? " " + ms(d.latency_ms) : "") + (d.error ? ": " + d.error : "");
    if (e.type === "model.call") return (d.provider || "") + "/" + (d.model || "") + " " + ms(d.latency_ms) + " " + d.output_tokens + " tok";
    if (e.type === "run.relaunched") return d.kind + " → " + d.run_id;
    return JSON.stringify(d).slice(0, 160);
  }
  function renderEvents() {
    var only = $("errors-only").checked;
    var list = $("events-list");
    clear(list);
    events.filter(function (e) { return !only || isError(e); }).slice(-60).reverse().forEach(function (e) {
      list.appendChild(el("li", { class: isError(e) ? "err" : "" }, [
        el("time", { text: new Date(e.at).toLocaleTimeString() }), " ",
        el("code", { text: e.type }), " ",
        e.runId ? el("button", { type: "button", class: "link", onclick: function () { select(e.runId, true); } }, [e.runId.slice(0, 12)]) : "",
        " " + describe(e),
      ]));
    });
  }

  // ---- dead letters and failed runs -------------------------------------------------------------
  function loadDead() {
    api("GET", "/admin/events/dead").then(function (j) { $("dead-count").textContent = String(j.total); }, function () {});
    api("GET", "/runs?limit=10&status=failed").then(function (j) {
      var body = $("failed-body");
      clear(body);
      if ((j.runs || []).length === 0) body.appendChild(el("tr", {}, [el("td", { colspan: "4", class: "muted", text: "no failed runs" })]));
      (j.runs || []).forEach(function (r) {
        body.appendChild(el("tr", {}, [
          el("td", {}, [el("button", { type: "button", class: "link", onclick: function () { select(r.runId, true); } }, [r.runId.slice(0, 16)])]),
          el("td", { text: r.workflowId }),
          el("td", { text: time(r.updatedAt) }),
          el("td", {}, [el("button", { type: "button", "data-retry": r.runId, "aria-label": "Retry run " + r.runId + " from its failed step", onclick: function () { select(r.runId, false); selected = r.runId; act("retry"); } }, ["Retry"])]),
        ]));
      });
    }, function () {});
  }
  function replayDead() {
    var out = $("dead-result");
    out.textContent = "Replaying…";
    api("POST", "/admin/events/replay").then(function (j) {
      out.textContent = "Replayed " + (j.replayed !== undefined ? j.replayed : JSON.stringify(j)) + ".";
      loadDead();
    }, function (err) { out.textContent = "Refused: " + err.message; });
  }

  // ---- the feed ---------------------------------------------------------------------------------
  function onEvent(e) {
    events.push(e);
    if (events.length > MAX_EVENTS) events.shift();
    if (e.type === "model.call") {
      calls.push(e.data);
      if (calls.length > 500) calls.shift();
    }
    if (e.type === "run.state" && e.runId) {
      var st = e.data.state === "started" ? "running" : e.data.state;
      if (st !== "cancel_requested") {
        var r = { runId: e.runId, status: st, workflowId: e.workflowId, source: e.source, updatedAt: new Date(e.at).toISOString() };
        if (e.data.state === "started") r.startedAt = new Date(e.at).toISOString();
        else if (!runs.has(e.runId)) r.startedAt = new Date(e.at).toISOString();
        upsertRun(r);
      }
      if (FINISHED.indexOf(st) >= 0 || st === "running") countersSoon();
      if (st === "failed") loadDead();
    }
  }
  var renderTimer = null;
  function renderSoon() {
    if (renderTimer) return;
    renderTimer = setTimeout(function () {
      renderTimer = null;
      renderRuns();
      renderEvents();
      renderModels();
    }, 100);
  }
  function connect() {
    var feed = new EventSource("/admin/stream");
    feed.addEventListener("open", function () { $("feed-status").textContent = "live"; });
    feed.addEventListener("error", function () { $("feed-status").textContent = "reconnecting…"; });
    feed.addEventListener("event", function (m) {
      onEvent(JSON.parse(m.data));
      renderSoon();
    });
    feed.addEventListener("reset", function () {
      loadRuns();
      loadCounters();
    });
  }

  $("act-stop").addEventListener("click", function () { act("stop"); });
  $("act-restart").addEventListener("click", function () { act("restart"); });
  $("act-retry").addEventListener("click", function () { act("retry"); });
  $("act-replay").addEventListener("click", replayDead);
  $("errors-only").addEventListener("change", renderEvents);
  tickUptime();
  setInterval(tickUptime, 1000);
  setInterval(loadCounters, 15000);
  loadCounters();
  loadDead();
  loadRuns().then(connect, connect);
})();
`;
