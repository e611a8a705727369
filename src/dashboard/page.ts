/**
 * The admin page: one HTML shell, its stylesheet and its script (plain DOM, no build step), served
 * by the Worker under /admin. Every value is put in the page with textContent, never as HTML; the
 * page keeps no data in the HTML itself, so an unauthenticated visitor sees only the sign-in form.
 */

export const ADMIN_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Golf Outreach · Admin</title>
<link rel="stylesheet" href="/admin/assets/uplot.css">
<link rel="stylesheet" href="/admin/assets/app.css">
<script src="/admin/assets/uplot.js" defer></script>
<script src="/admin/assets/app.js" defer></script>
</head>
<body>
<a class="skip" href="#view">Skip to content</a>
<header>
  <h1>Golf Outreach <span>admin</span></h1>
  <nav id="nav" aria-label="Dashboard sections" hidden>
    <a href="#/overview">Overview</a><a href="#/agents">Agents</a><a href="#/quality">Data quality</a><a href="#/runs">Runs</a>
    <a href="#/outreach">Outreach</a><a href="#/sync">Sync</a><a href="#/freshness">Freshness</a>
    <a href="#/routing">Routing rules</a><a href="#/templates">Email templates</a>
  </nav>
  <div id="toolbar" hidden>
    <div id="range" role="group" aria-label="Time range">
      <button type="button" data-days="7">7 days</button><button type="button" data-days="30">30 days</button><button type="button" data-days="90">90 days</button>
    </div>
    <button type="button" id="signout">Sign out</button>
  </div>
</header>
<main>
  <section id="signin" hidden>
    <h2>Sign in</h2>
    <form id="signin-form">
      <label for="admin-key">Admin key</label>
      <input type="password" id="admin-key" name="key" autocomplete="current-password" required>
      <button type="submit">Sign in</button>
      <p id="signin-error" role="alert"></p>
      <p class="hint">The key is <code>ADMIN_API_KEY</code> in <code>.dev.vars</code> (<code>npm start -- --sandbox</code> uses <code>sandbox-admin-key</code>). In production, Cloudflare Access signs you in.</p>
    </form>
  </section>
  <section id="view" tabindex="-1" aria-live="polite"></section>
</main>
</body>
</html>
`;

export const ADMIN_PAGE_CSS = `
:root { --fg:#1d2b23; --muted:#5b6b61; --line:#d8e0da; --bg:#f6f8f6; --card:#fff; --accent:#1f7a4d; --bad:#b3261e; --warn:#a15c00; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
* { box-sizing: border-box; }
body { margin:0; color:var(--fg); background:var(--bg); font-size:15px; line-height:1.45; }
.skip { position:absolute; left:-999px; } .skip:focus { left:8px; top:8px; background:#fff; padding:6px; z-index:9; }
header { display:flex; flex-wrap:wrap; align-items:center; gap:8px 16px; padding:10px 16px; background:#fff; border-bottom:1px solid var(--line); }
header h1 { font-size:18px; margin:0; } header h1 span { color:var(--muted); font-weight:400; }
nav { display:flex; flex-wrap:wrap; gap:4px; flex:1; }
nav a { padding:6px 10px; border-radius:6px; color:var(--fg); text-decoration:none; }
nav a[aria-current="page"] { background:var(--accent); color:#fff; }
nav a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, a:focus-visible { outline:3px solid #7cc4a0; outline-offset:1px; }
#toolbar { display:flex; gap:12px; align-items:center; }
button { font:inherit; padding:6px 12px; border:1px solid var(--line); border-radius:6px; background:#fff; cursor:pointer; }
button.primary, #range button[aria-pressed="true"] { background:var(--accent); border-color:var(--accent); color:#fff; }
main { padding:16px; max-width:1200px; margin:0 auto; }
h2 { font-size:20px; margin:8px 0 12px; } h3 { font-size:16px; margin:20px 0 8px; }
.cards { display:grid; grid-template-columns:repeat(auto-fill, minmax(170px, 1fr)); gap:10px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:10px 12px; }
.card .label { color:var(--muted); font-size:13px; } .card .value { font-size:22px; font-weight:600; }
.panel { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px; margin:12px 0; overflow-x:auto; }
.chart { width:100%; min-height:240px; }
table { border-collapse:collapse; width:100%; font-size:14px; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { color:var(--muted); font-weight:600; } td.num, th.num { text-align:right; font-variant-numeric: tabular-nums; }
.status-failed { color:var(--bad); font-weight:600; } .status-partial { color:var(--warn); font-weight:600; } .status-succeeded { color:var(--accent); }
.empty { background:#fff; border:1px dashed var(--line); border-radius:8px; padding:18px; color:var(--muted); }
.error { color:var(--bad); } .ok { color:var(--accent); }
form.inline { display:flex; flex-wrap:wrap; gap:8px; align-items:end; }
form.inline label { display:flex; flex-direction:column; font-size:13px; color:var(--muted); }
input, select, textarea { font:inherit; padding:6px 8px; border:1px solid var(--line); border-radius:6px; background:#fff; color:var(--fg); }
textarea { width:100%; min-height:260px; font-family: ui-monospace, Menlo, monospace; font-size:13px; }
pre.preview { white-space:pre-wrap; background:#fbfcfb; border:1px solid var(--line); border-radius:6px; padding:10px; }
.grid2 { display:grid; grid-template-columns: 1fr 1fr; gap:12px; }
#signin form { display:flex; flex-direction:column; gap:8px; max-width:360px; }
.hint { color:var(--muted); font-size:13px; }
@media (max-width: 720px) { nav { flex-wrap:nowrap; overflow-x:auto; width:100%; order:3; } nav a { white-space:nowrap; } .grid2 { grid-template-columns: 1fr; } main { padding:10px; } .card .value { font-size:18px; } }
`;

// Plain ES2020 for the browser; kept free of backticks and "${" so it can live in this template literal.
export const ADMIN_PAGE_JS = String.raw`"use strict";
(function () {
  var state = { csrf: null, days: Number(localStorage.getItem("admin.days")) || 30, charts: [] };
  var view = document.getElementById("view");
  var nf = new Intl.NumberFormat("en-US");
  var usdFmt = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 4 });
  var pctFmt = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 1 });

  function n(v) { return v == null ? "–" : nf.format(v); }
  function usd(v) { return v == null ? "–" : usdFmt.format(v); }
  function pct(v) { return v == null ? "–" : pctFmt.format(v); }
  function dur(ms) { if (ms == null) return "–"; if (ms < 1000) return Math.round(ms) + " ms"; if (ms < 60000) return (ms / 1000).toFixed(1) + " s"; return (ms / 60000).toFixed(1) + " min"; }
  function when(iso) { return iso ? new Date(iso).toLocaleString() : "–"; }
  function label(s) { return String(s == null ? "" : s).replace(/_/g, " "); }

  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (attrs[k] == null || attrs[k] === false) continue;
      if (k === "text") node.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
      else node.setAttribute(k, attrs[k] === true ? "" : attrs[k]);
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c == null || c === false) continue;
      if (Array.isArray(c)) c.forEach(function (x) { if (x != null) node.append(x); });
      else node.append(c);
    }
    return node;
  }
  function card(labelText, value, id) { return el("div", { class: "card", id: id }, el("div", { class: "label", text: labelText }), el("div", { class: "value", text: value })); }
  function empty(text) { return el("p", { class: "empty", role: "status", text: text }); }
  function table(headers, rows, opts) {
    opts = opts || {};
    return el("table", { id: opts.id },
      el("thead", null, el("tr", null, headers.map(function (h) { return el("th", { class: h.num ? "num" : null, scope: "col", text: h.label || h }); }))),
      el("tbody", null, rows.map(function (r) { return el("tr", null, r.map(function (cell, i) {
        var h = headers[i] || {};
        return cell instanceof Node ? el("td", { class: h.num ? "num" : null }, cell) : el("td", { class: h.num ? "num" : null, text: cell == null ? "–" : String(cell) });
      })); })));
  }

  function ApiError(status, body) { this.status = status; this.body = body; this.message = (body && body.error && body.error.message) || ("HTTP " + status); }

  async function api(path, opts, retried) {
    opts = opts || {};
    var headers = { "accept": "application/json" };
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    if (opts.method && opts.method !== "GET" && state.csrf) headers["x-csrf-token"] = state.csrf;
    var res = await fetch(path, { method: opts.method || "GET", headers: headers, credentials: "same-origin", body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    var body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (res.status === 401 && !opts.signin) { showSignIn(); throw new ApiError(401, body); }
    if (res.status === 403 && !retried && !opts.signin) { await loadSession(); return api(path, opts, true); }
    if (!res.ok) throw new ApiError(res.status, body);
    return body;
  }

  function destroyCharts() { state.charts.forEach(function (c) { c.destroy(); }); state.charts = []; }
  var PALETTE = ["#1f7a4d", "#2f6fb3", "#c2571a", "#8e44ad", "#b3261e", "#00897b", "#6d4c41", "#546e7a"];

  function chart(container, title, xs, series, opts) {
    opts = opts || {};
    var box = el("div", { class: "chart", role: "img", "aria-label": title });
    container.append(el("h3", { text: title }), box);
    if (typeof uPlot === "undefined") { box.append(empty("The chart library did not load.")); return; }
    var width = Math.max(280, box.clientWidth || container.clientWidth || 600);
    var u = new uPlot({
      width: width, height: opts.height || 240,
      scales: { x: opts.time === false ? { time: false, range: function (u, min, max) { return [min - 0.5, max + 0.5]; } } : { time: true }, y: opts.yRange ? { range: opts.yRange } : {} },
      series: [{}].concat(series.map(function (s, i) {
        var out = { label: s.label, stroke: s.color || PALETTE[i % PALETTE.length], width: 2, value: function (self, v) { return s.format ? s.format(v) : (v == null ? "–" : nf.format(v)); } };
        if (opts.bars) { out.fill = (s.color || PALETTE[i % PALETTE.length]) + "cc"; out.paths = uPlot.paths.bars({ size: [0.7, 60], align: 0 }); }
        return out;
      })),
      axes: [opts.time === false ? { incrs: [1], values: function (u, vals) { return vals.map(String); } } : {}, { values: function (u, vals) { return vals.map(function (v) { return opts.yFormat ? opts.yFormat(v) : nf.format(v); }); }, size: 60 }],
    }, [xs].concat(series.map(function (s) { return s.values; })), box);
    state.charts.push(u);
  }
  window.addEventListener("resize", function () {
    state.charts.forEach(function (u) { var w = u.root.parentElement && u.root.parentElement.clientWidth; if (w) u.setSize({ width: w, height: u.height }); });
  });
  function dayX(days) { return days.map(function (d) { return Date.parse(d.day + "T00:00:00Z") / 1000; }); }
  /** Every day from the range's first to today, so a chart spans the range even where a series has no point. */
  function daysSince(since) { var out = []; for (var t = Date.parse(since); t <= Date.now(); t += 86400000) out.push({ day: new Date(t).toISOString().slice(0, 10) }); return out; }

  // ---- views

  var VIEWS = {};

  VIEWS.overview = async function () {
    var o = await api("/api/admin/overview?days=" + state.days);
    var t = o.totals;
    var out = [el("h2", { text: "Overview, last " + state.days + " days" })];
    if (!t.runs) { out.push(empty("No runs in the last " + state.days + " days. Create a task in the ClickUp Intake list (\"Course name, ST\") or POST /api/enrich-course, and the figures appear here.")); return out; }
    out.push(el("div", { class: "cards", id: "overview-cards" },
      card("Courses enriched", n(t.courses_enriched), "card-courses"), card("Leads created", n(t.leads), "card-leads"),
      card("Qualified leads", n(t.qualified_leads)), card("Succeeded", n(t.succeeded)), card("Partial", n(t.partial)), card("Failed", n(t.failed)),
      card("Cost per course", usd(t.cost_per_course_usd), "card-cost-course"), card("Cost per qualified lead", usd(t.cost_per_qualified_lead_usd)),
      card("ClickUp task rate", pct(t.clickup_task_rate)), card("Mean run time", dur(t.mean_duration_ms)), card("Spend", usd(t.cost_usd))));
    var p1 = el("div", { class: "panel", id: "chart-daily" }); out.push(p1);
    var p2 = el("div", { class: "panel", id: "chart-outcomes" }); out.push(p2);
    var seg = el("div", { class: "panel" }, el("h3", { text: "Segment mix (high-end vs budget)" }),
      o.segments.length ? table([{ label: "Segment" }, { label: "Courses", num: true }, { label: "Share", num: true }],
        o.segments.map(function (s) { var all = o.segments.reduce(function (a, b) { return a + b.courses; }, 0); return [s.segment, n(s.courses), pct(s.courses / all)]; }), { id: "segment-mix" })
        : empty("No course has intel yet."));
    out.push(seg);
    out.after = function () {
      var xs = dayX(o.days);
      chart(p1, "Courses enriched and leads created per day", xs, [
        { label: "Courses enriched", values: o.days.map(function (d) { return d.courses_enriched; }) },
        { label: "Leads", values: o.days.map(function (d) { return d.leads; }) },
        { label: "Qualified leads", values: o.days.map(function (d) { return d.qualified_leads; }) }]);
      chart(p2, "Run outcomes per day", xs, [
        { label: "Succeeded", color: "#1f7a4d", values: o.days.map(function (d) { return d.succeeded; }) },
        { label: "Partial", color: "#a15c00", values: o.days.map(function (d) { return d.partial; }) },
        { label: "Failed", color: "#b3261e", values: o.days.map(function (d) { return d.failed; }) }], { bars: false });
    };
    return out;
  };

  VIEWS.agents = async function () {
    var a = await api("/api/admin/agents?days=" + state.days);
    var out = [el("h2", { text: "Agents, last " + state.days + " days" })];
    if (!a.agents.length) { out.push(empty("No agent calls recorded in this range. They are written with every run's result.")); return out; }
    out.push(el("div", { class: "panel" }, table(
      [{ label: "Agent" }, { label: "Calls", num: true }, { label: "Success", num: true }, { label: "Mean cost", num: true }, { label: "p50", num: true }, { label: "p95", num: true }, { label: "Errors" }],
      a.agents.map(function (g) { return [g.agent, n(g.calls), pct(g.success_rate), usd(g.mean_cost_usd), dur(g.p50_ms), dur(g.p95_ms),
        g.errors.length ? g.errors.map(function (e) { return e.type + " (" + n(e.count) + ")"; }).join(", ") : "none"]; }), { id: "agents-table" })));
    var p = el("div", { class: "panel", id: "chart-agents" }); out.push(p);
    var p2 = el("div", { class: "panel" }); out.push(p2);
    out.after = function () {
      var list = daysSince(a.since);
      var xs = dayX(list);
      function seriesOf(key, fmt) { return a.agents.map(function (g) { var m = {}; g.days.forEach(function (d) { m[d.day] = d[key]; }); return { label: g.agent, format: fmt, values: list.map(function (d) { return m[d.day] == null ? null : m[d.day]; }) }; }); }
      chart(p, "Success rate per day", xs, seriesOf("success_rate", pct), { yFormat: pct, yRange: [0, 1] });
      chart(p2, "p95 duration per day", xs, seriesOf("p95_ms", dur), { yFormat: dur });
    };
    return out;
  };

  VIEWS.quality = async function () {
    var q = await api("/api/admin/quality?days=" + state.days);
    var out = [el("h2", { text: "Data quality, courses enriched in the last " + state.days + " days" })];
    if (!q.contacts) { out.push(empty("No enriched contacts in this range yet: enrich a course and its contacts show here.")); return out; }
    var r = q.rates;
    out.push(el("div", { class: "cards" }, card("Contacts", n(q.contacts)), card("Email found", pct(r.email_found)), card("Email verified", pct(r.email_verified)),
      card("Phone found", pct(r.phone_found)), card("Direct phone", pct(r.phone_direct)), card("LinkedIn", pct(r.linkedin))));
    var conf = el("div", { class: "panel", id: "chart-confidence" }); out.push(conf);
    var rateHeaders = [{ label: "Contacts", num: true }, { label: "Email", num: true }, { label: "Verified", num: true }, { label: "Phone", num: true }, { label: "Direct", num: true }, { label: "LinkedIn", num: true }];
    function rateRow(x) { return [n(x.contacts), pct(x.email_found), pct(x.email_verified), pct(x.phone_found), pct(x.phone_direct), pct(x.linkedin)]; }
    out.push(el("div", { class: "grid2" },
      el("div", { class: "panel" }, el("h3", { text: "By segment" }), table([{ label: "Segment" }].concat(rateHeaders), q.by_segment.map(function (s) { return [s.segment].concat(rateRow(s)); }))),
      el("div", { class: "panel" }, el("h3", { text: "By state (top 20)" }), table([{ label: "State" }].concat(rateHeaders), q.by_state.map(function (s) { return [s.state].concat(rateRow(s)); })))));
    out.push(el("div", { class: "panel" }, el("h3", { text: "Opportunity scores (courses per score 1–10)" }),
      table([{ label: "Opportunity" }].concat([1,2,3,4,5,6,7,8,9,10].map(function (i) { return { label: String(i), num: true }; })).concat([{ label: "Mean", num: true }, { label: "Mean by segment" }]),
        q.opportunities.map(function (o) { return [label(o.opportunity)].concat(o.scores.map(n)).concat([o.mean == null ? "–" : o.mean.toFixed(1),
          Object.keys(o.mean_by_segment).map(function (k) { return k + " " + o.mean_by_segment[k].toFixed(1); }).join(", ")]); }), { id: "opportunities" })));
    out.after = function () {
      chart(conf, "Segment confidence (courses per score)", q.confidence.map(function (c) { return c.confidence; }), [
        { label: "High-end", values: q.confidence.map(function (c) { return c.high_end; }) },
        { label: "Budget", values: q.confidence.map(function (c) { return c.budget; }) },
        { label: "Both", values: q.confidence.map(function (c) { return c.both; }) }], { time: false, bars: true });
    };
    return out;
  };

  var runFilters = { status: "", source: "", from: "", to: "" };
  VIEWS.runs = async function () {
    var qs = ["limit=100"]; for (var k in runFilters) if (runFilters[k]) qs.push(k + "=" + encodeURIComponent(runFilters[k]));
    var data = await api("/api/admin/runs?" + qs.join("&"));
    function select(name, options) {
      return el("label", null, label(name), el("select", { name: name, id: "filter-" + name }, [el("option", { value: "", text: "any" })].concat(options.map(function (o) { return el("option", { value: o, text: o, selected: runFilters[name] === o }); }))));
    }
    var form = el("form", { class: "inline", id: "run-filters", onsubmit: function (e) { e.preventDefault(); var f = new FormData(form); for (var k in runFilters) runFilters[k] = String(f.get(k) || ""); render(); } },
      select("status", ["queued", "running", "succeeded", "partial", "failed"]), select("source", ["clickup", "supabase", "api", "csv", "cron", "manual"]),
      el("label", null, "from", el("input", { type: "date", name: "from", value: runFilters.from })), el("label", null, "to", el("input", { type: "date", name: "to", value: runFilters.to })),
      el("button", { type: "submit", class: "primary", text: "Filter" }));
    var out = [el("h2", { text: "Recent runs" }), el("div", { class: "panel" }, form)];
    if (!data.runs.length) { out.push(empty("No run matches. Runs appear here as courses are enriched (ClickUp intake tasks, the API, Supabase inserts).")); return out; }
    out.push(el("div", { class: "panel" }, table([{ label: "Course" }, { label: "Status" }, { label: "Source" }, { label: "Started" }, { label: "Duration", num: true }, { label: "Cost", num: true }, { label: "Calls", num: true }, { label: "Error" }],
      data.runs.map(function (r) { return [el("a", { href: "#/runs/" + r.id, class: "run-link", text: r.course_name + ", " + r.state }), el("span", { class: "status-" + r.status, text: r.status }), r.trigger_source, when(r.created_at), dur(r.duration_ms), usd(r.cost_usd), n(r.calls), r.error || ""]; }), { id: "runs-table" })));
    return out;
  };

  VIEWS.run = async function (id) {
    var d = await api("/api/admin/runs/" + encodeURIComponent(id));
    var r = d.run, job = d.job;
    var out = [el("p", null, el("a", { href: "#/runs", text: "← All runs" })), el("h2", { id: "run-title", text: r.course_name + ", " + r.state })];
    out.push(el("div", { class: "cards" }, card("Status", r.status + (job && job.partial ? " (partial)" : "")), card("Source", r.trigger_source), card("Duration", dur(r.duration_ms)), card("Cost", usd(r.cost_usd)), card("Started", when(r.created_at))));
    if (r.error) out.push(el("p", { class: "error", text: "Error: " + r.error }));
    var steps = job && job.steps && job.steps.length ? job.steps.map(function (s) { return [s.agent, s.status, dur(s.duration_ms), usd(s.cost_usd)]; })
      : r.steps.map(function (s) { return [s.step, s.status, dur(s.duration_ms), usd(s.cost_usd)]; });
    out.push(el("div", { class: "panel" }, el("h3", { text: "Steps" }), steps.length ? table([{ label: "Step" }, { label: "Status" }, { label: "Duration", num: true }, { label: "Cost", num: true }], steps, { id: "steps-table" }) : empty("No step recorded.")));
    out.push(el("div", { class: "panel" }, el("h3", { text: "Provider calls" }), r.calls.length ? table(
      [{ label: "Call" }, { label: "Provider" }, { label: "Model" }, { label: "Status" }, { label: "Attempts", num: true }, { label: "Duration", num: true }, { label: "Tokens in/out", num: true }, { label: "Cost", num: true }, { label: "Error" }],
      r.calls.map(function (c) { return [c.call_key, c.provider, c.model || "", c.status, n(c.attempts), dur(c.duration_ms), n(c.input_tokens) + " / " + n(c.output_tokens), usd(c.cost_usd), c.error || ""]; }), { id: "calls-table" }) : empty("No provider call recorded for this run.")));
    return out;
  };

  VIEWS.outreach = async function () {
    var o = await api("/api/admin/outreach?days=" + state.days);
    var out = [el("h2", { text: "Outreach, sequences started in the last " + state.days + " days" })];
    var f = o.funnel;
    if (!f.contacted) { out.push(empty("No sequence yet. Move a lead task to \"contacted\" in ClickUp and its emails start; the funnel fills in here.")); return out; }
    out.push(el("div", { class: "cards" }, card("Contacted", n(f.contacted)), card("Sent", n(f.sent)), card("Replied", n(f.replied)), card("Bounced", n(f.bounced)), card("Unsubscribed", n(f.unsubscribed)), card("Reply rate", pct(f.sent ? f.replied / f.sent : null))));
    out.push(el("div", { class: "grid2" },
      el("div", { class: "panel" }, el("h3", { text: "By segment" }), table([{ label: "Segment" }, { label: "Contacted", num: true }, { label: "Sent", num: true }, { label: "Replied", num: true }, { label: "Reply rate", num: true }], o.by_segment.map(function (s) { return [s.segment, n(s.contacted), n(s.sent), n(s.replied), pct(s.reply_rate)]; }))),
      el("div", { class: "panel" }, el("h3", { text: "By template" }), table([{ label: "Template" }, { label: "Sent", num: true }, { label: "Replied", num: true }, { label: "Reply rate", num: true }], o.by_template.map(function (t) { return [t.segment + " · email " + t.step, n(t.sent), n(t.replied), pct(t.reply_rate)]; })))));
    return out;
  };

  VIEWS.sync = async function () {
    var s = await api("/api/admin/sync?days=" + state.days);
    var out = [el("h2", { text: "ClickUp sync" })];
    out.push(el("div", { class: "panel" }, el("h3", { text: "Webhook health" }), s.webhooks.length ? table([{ label: "Route" }, { label: "Last accepted" }, { label: "Accepted", num: true }, { label: "Last refused" }, { label: "Refused", num: true }, { label: "Last refusal" }],
      s.webhooks.map(function (h) { return [h.route, when(h.last_accepted_at), n(h.accepted_count), when(h.last_refused_at), n(h.refused_count), h.last_refused_code ? h.last_refused_status + " " + h.last_refused_code : ""]; })) : empty("No webhook delivery yet. Run npm run clickup:setup to register the ClickUp webhook.")));
    var c = s.corrections;
    out.push(el("div", { class: "panel" }, el("h3", { text: "Corrections from ClickUp (" + n(c.total) + ")" }), c.total ? table([{ label: "When" }, { label: "Field" }, { label: "Before" }, { label: "After" }, { label: "Outcome" }, { label: "By" }],
      c.recent.map(function (a) { return [when(a.created_at), label(a.field), JSON.stringify(a.before), JSON.stringify(a.after), a.status || "", a.clickup_user_id == null ? "" : String(a.clickup_user_id)]; })) : empty("No correction yet: when a rep edits a lead's field in ClickUp, it is applied and audited here.")));
    return out;
  };

  VIEWS.freshness = async function () {
    var f = await api("/api/admin/freshness?days=" + state.days);
    var out = [el("h2", { text: "Freshness sweeps" })];
    out.push(el("div", { class: "panel" }, f.sweeps.length ? table([{ label: "Started" }, { label: "Status" }, { label: "Checked", num: true }, { label: "Still there", num: true }, { label: "Left", num: true }, { label: "Replaced", num: true }, { label: "Emails invalidated", num: true }, { label: "Cost", num: true }],
      f.sweeps.map(function (s) { return [when(s.started_at), s.status, n(s.checked), n(s.still_there), n(s.left_club), n(s.replaced), n(s.emails_invalidated), usd(s.cost_usd)]; })) : empty("No sweep in this range. The monthly cron starts one; POST /api/freshness/sweeps starts one now.")));
    out.push(el("div", { class: "panel" }, el("h3", { text: "Job changes found" }), f.job_changes.length ? table([{ label: "Contact" }, { label: "Course" }, { label: "Now at" }, { label: "Successor" }, { label: "Checked" }],
      f.job_changes.map(function (j) { return [j.full_name, j.course_name, [j.now_title, j.now_at].filter(Boolean).join(", "), j.replacement_name || "", when(j.checked_at)]; })) : empty("No job change found yet.")));
    return out;
  };

  var SEGMENTS = ["high-end", "budget", "both"];
  function segmentSelect(name, value, anyLabel) {
    return el("select", { name: name, "aria-label": "Segment" }, [el("option", { value: "", text: anyLabel || "any segment" })].concat(SEGMENTS.map(function (s) { return el("option", { value: s, text: s, selected: value === s }); })));
  }
  function auditList(audit) {
    return audit.length ? table([{ label: "When" }, { label: "Who" }, { label: "What" }, { label: "Which" }], audit.map(function (a) { return [when(a.created_at), a.actor, a.action, a.entity_id]; })) : empty("No edit yet.");
  }
  function message(node, text, bad) { node.textContent = text; node.className = bad ? "error" : "ok"; }
  function errorText(e) { var d = e.body && e.body.error && e.body.error.details; return e.message + (Array.isArray(d) ? ": " + d.map(function (x) { return (x.path ? x.path + " " : "") + x.message; }).join("; ") : ""); }

  VIEWS.routing = async function () {
    var data = await api("/api/admin/routing-rules");
    var out = [el("h2", { text: "Routing rules" }), el("p", { class: "hint", text: "A new lead goes to the assignee of the first active rule (lowest priority number first) whose segment and state match; an empty segment or state matches any. Saved edits apply to the next lead." })];
    var status = el("p", { id: "routing-status", role: "status" });
    function ruleForm(rule) {
      var f = el("form", { class: "inline rule", "data-rule-id": rule ? rule.id : "new" },
        el("label", null, "priority", el("input", { type: "number", name: "priority", min: "0", max: "100000", required: true, value: rule ? rule.priority : 100, style: "width:6em" })),
        el("label", null, "segment", segmentSelect("segment", rule ? rule.segment : "")),
        el("label", null, "state", el("input", { name: "state", value: rule && rule.state ? rule.state : "", placeholder: "any", maxlength: "30", style: "width:6em" })),
        el("label", null, "ClickUp assignee id", el("input", { type: "number", name: "assignee", min: "1", required: true, value: rule ? rule.assignee_clickup_user_id : "" })),
        el("label", null, "active", el("input", { type: "checkbox", name: "active", checked: rule ? rule.active : true })),
        el("button", { type: "submit", class: "primary", text: rule ? "Save" : "Add rule" }),
        rule ? el("button", { type: "button", text: "Delete", onclick: async function () {
          if (!confirm("Delete this rule?")) return;
          try { await api("/api/admin/routing-rules/" + rule.id, { method: "DELETE" }); render(); } catch (e) { message(status, errorText(e), true); }
        } }) : null);
      f.addEventListener("submit", async function (e) {
        e.preventDefault();
        var fd = new FormData(f);
        var body = { priority: Number(fd.get("priority")), segment: fd.get("segment") || null, state: String(fd.get("state") || "").trim() || null, assignee_clickup_user_id: Number(fd.get("assignee")), active: f.elements.active.checked };
        try {
          var saved = await api(rule ? "/api/admin/routing-rules/" + rule.id : "/api/admin/routing-rules", { method: rule ? "PUT" : "POST", body: body });
          await render(); message(document.getElementById("routing-status"), "Rule " + saved.action + ".", false);
        } catch (err) { message(status, errorText(err), true); }
      });
      return f;
    }
    out.push(el("div", { class: "panel", id: "rules" }, data.rules.length ? data.rules.map(ruleForm) : empty("No rule yet: leads are created unassigned. Add one below."), el("h3", { text: "Add a rule" }), ruleForm(null), status));
    var result = el("p", { id: "preview-rule-result", role: "status" });
    var pf = el("form", { class: "inline", id: "preview-rule" }, el("label", null, "segment", segmentSelect("segment", "", "unknown")), el("label", null, "state", el("input", { name: "state", required: true, placeholder: "VA", style: "width:6em" })), el("button", { type: "submit", text: "Which rule would take it?" }));
    pf.addEventListener("submit", async function (e) {
      e.preventDefault(); var fd = new FormData(pf);
      try {
        var p = await api("/api/admin/routing-rules/preview", { method: "POST", body: { segment: fd.get("segment") || null, state: String(fd.get("state")) } });
        message(result, p.rule ? "Rule with priority " + p.rule.priority + " → assignee " + p.rule.assignee_clickup_user_id : "No rule matches: the lead is created unassigned.", false);
      } catch (err) { message(result, errorText(err), true); }
    });
    out.push(el("div", { class: "panel" }, el("h3", { text: "Which rule would take this course?" }), pf, result));
    out.push(el("div", { class: "panel" }, el("h3", { text: "Edits" }), auditList(data.audit)));
    return out;
  };

  var templateChoice = { segment: "high-end", step: 1, contact: "" };
  VIEWS.templates = async function () {
    var data = await api("/api/admin/templates");
    var t = data.templates.find(function (x) { return x.segment === templateChoice.segment && x.step === templateChoice.step; });
    var out = [el("h2", { text: "Email templates" })];
    var pick = el("form", { class: "inline", id: "template-pick" },
      el("label", null, "segment", el("select", { name: "segment", id: "template-segment" }, SEGMENTS.map(function (s) { return el("option", { value: s, text: s, selected: s === templateChoice.segment }); }))),
      el("label", null, "email", el("select", { name: "step", id: "template-step" }, [1, 2, 3].map(function (s) { return el("option", { value: String(s), text: "email " + s, selected: s === templateChoice.step }); }))));
    pick.addEventListener("change", function () { var fd = new FormData(pick); templateChoice.segment = String(fd.get("segment")); templateChoice.step = Number(fd.get("step")); render(); });
    out.push(el("div", { class: "panel" }, pick, el("p", { class: "hint", text: "Mustache: {{first_name}}, {{course_name}}, {{top_starter}}, {{second_opportunity}}, {{rep_signature}}, … A {{#name}}…{{/name}} block is left out when the lead has nothing for it. Emails 2 and 3 are replies: their subject is \"Re: \" + email 1's. The postal address and unsubscribe link are added to every email." })));
    var status = el("p", { id: "template-status", role: "status" });
    var form = el("form", { id: "template-form" },
      el("label", { for: "template-subject" }, "Subject"), el("input", { id: "template-subject", name: "subject", required: true, value: t ? t.subject : "", style: "width:100%" }),
      el("label", { for: "template-body" }, "Body"), el("textarea", { id: "template-body", name: "body", required: true }, t ? t.body : ""),
      el("div", { class: "inline" },
        el("label", null, el("input", { type: "checkbox", name: "active", checked: t ? t.active : true }), " active"),
        templateChoice.step > 1 ? el("label", null, " business days after the previous email ", el("input", { type: "number", name: "delay", min: "0", max: "30", value: t && t.delay_business_days != null ? t.delay_business_days : "", style: "width:5em" })) : null),
      el("p", null, el("button", { type: "submit", class: "primary", id: "template-save", text: "Save template" }), " ", el("button", { type: "button", id: "template-preview-button", text: "Preview" })), status);
    var previewBox = el("div", { id: "template-preview" });
    var contactSelect = el("select", { id: "preview-contact", "aria-label": "Preview for contact" });
    function values() {
      var fd = new FormData(form); var delay = fd.get("delay");
      return { subject: String(fd.get("subject")), body: String(fd.get("body")), active: form.elements.active.checked, delay_business_days: delay === null || delay === "" ? null : Number(delay) };
    }
    async function preview() {
      var v = values();
      try {
        var p = await api("/api/admin/templates/preview", { method: "POST", body: Object.assign({ segment: templateChoice.segment, step: templateChoice.step, subject: v.subject, body: v.body }, templateChoice.contact ? { contact_id: templateChoice.contact } : {}) });
        contactSelect.replaceChildren.apply(contactSelect, p.candidates.map(function (c) { return el("option", { value: c.id, text: c.full_name + " · " + c.course_name, selected: p.contact && c.id === p.contact.id }); }));
        if (!p.preview) { previewBox.replaceChildren(empty(p.message)); return; }
        previewBox.replaceChildren(el("p", null, el("strong", { text: "To: " }), p.contact.full_name + " (" + p.contact.course_name + ")"),
          el("p", null, el("strong", { text: "Subject: " }), el("span", { id: "preview-subject", text: p.preview.subject })), el("pre", { class: "preview", id: "preview-text", text: p.preview.text }));
      } catch (e) { previewBox.replaceChildren(el("p", { class: "error", text: errorText(e) })); }
    }
    contactSelect.addEventListener("change", function () { templateChoice.contact = contactSelect.value; preview(); });
    form.addEventListener("submit", async function (e) {
      e.preventDefault();
      try {
        var saved = await api("/api/admin/templates/" + templateChoice.segment + "/" + templateChoice.step, { method: "PUT", body: values() });
        await render(); message(document.getElementById("template-status"), "Template " + saved.action + ".", false);
      } catch (err) { message(status, errorText(err), true); }
    });
    form.querySelector("#template-preview-button").addEventListener("click", preview);
    out.push(el("div", { class: "grid2" }, el("div", { class: "panel" }, form), el("div", { class: "panel" }, el("h3", { text: "Preview" }), el("label", null, "for ", contactSelect), previewBox)));
    out.push(el("div", { class: "panel" }, el("h3", { text: "Edits" }), auditList(data.audit)));
    out.after = preview;
    return out;
  };

  // ---- shell

  function route() {
    var parts = (location.hash || "#/overview").replace(/^#\/?/, "").split("/");
    if (parts[0] === "runs" && parts[1]) return { name: "run", arg: parts[1], nav: "runs" };
    return VIEWS[parts[0]] ? { name: parts[0], nav: parts[0] } : { name: "overview", nav: "overview" };
  }
  var rendering = 0;
  async function render() {
    var r = route(), mine = ++rendering;
    document.querySelectorAll("#nav a").forEach(function (a) { if (a.getAttribute("href") === "#/" + r.nav) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current"); });
    document.querySelectorAll("#range button").forEach(function (b) { b.setAttribute("aria-pressed", String(Number(b.dataset.days) === state.days)); });
    view.setAttribute("aria-busy", "true");
    try {
      var nodes = await VIEWS[r.name](r.arg);
      if (mine !== rendering) return;
      destroyCharts();
      view.replaceChildren.apply(view, nodes);
      view.dataset.view = r.name;
      if (nodes.after) nodes.after();
    } catch (e) {
      if (mine !== rendering || (e && e.status === 401)) return;
      destroyCharts();
      view.replaceChildren(el("p", { class: "error", role: "alert", text: "Could not load this page: " + (e && e.message ? e.message : String(e)) }));
    } finally { if (mine === rendering) view.removeAttribute("aria-busy"); }
  }

  function showSignIn() {
    state.csrf = null;
    document.getElementById("nav").hidden = true; document.getElementById("toolbar").hidden = true;
    destroyCharts(); view.replaceChildren();
    document.getElementById("signin").hidden = false;
    document.getElementById("admin-key").focus();
  }
  function showApp() {
    document.getElementById("signin").hidden = true;
    document.getElementById("nav").hidden = false; document.getElementById("toolbar").hidden = false;
    render();
  }
  async function loadSession() {
    var s = await api("/api/admin/session", { signin: true }).catch(function () { return null; });
    state.csrf = s ? s.csrf_token : null;
    return s;
  }

  document.getElementById("signin-form").addEventListener("submit", async function (e) {
    e.preventDefault();
    var err = document.getElementById("signin-error"); err.textContent = "";
    try {
      var s = await api("/api/admin/session", { method: "POST", body: { key: document.getElementById("admin-key").value }, signin: true });
      state.csrf = s.csrf_token; document.getElementById("admin-key").value = ""; showApp();
    } catch (x) { err.textContent = x.status === 401 ? "That key is not right." : "Could not sign in: " + x.message; }
  });
  document.getElementById("signout").addEventListener("click", async function () { await api("/api/admin/session", { method: "DELETE" }).catch(function () {}); showSignIn(); });
  document.querySelectorAll("#range button").forEach(function (b) { b.addEventListener("click", function () { state.days = Number(b.dataset.days); localStorage.setItem("admin.days", String(state.days)); render(); }); });
  window.addEventListener("hashchange", function () { if (state.csrf !== null || !document.getElementById("nav").hidden) render(); });

  loadSession().then(function (s) { if (s) showApp(); else showSignIn(); });
})();
`;
