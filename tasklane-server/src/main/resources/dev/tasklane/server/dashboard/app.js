// Tasklane dashboard: a page per hash route (#/, #/tasks, #/tasks/<id>, #/schedules, #/nodes), built from the
// JSON API. Every value from the server goes into the page as text (textContent), never as HTML,
// so a payload holding markup or script is shown, not run.
//
// Live pages (the overview, a task, the nodes) build their elements once and, on each update,
// change only what changed, in place: a button, link or field keeps its node for as long as it
// is on the page, so keyboard focus, a half-typed value and a press begun before an update all
// survive it. Each applied update increments <main data-refreshes>.
//
// The page first asks who its visitor is (GET /api/v1/session): without a session it goes to the
// sign-in page; with one it shows only the buttons the visitor's role may use, and sends the
// session's CSRF token with every change.
"use strict";

const API = "/api/v1";
const STATES = ["scheduled", "queued", "running", "succeeded", "failed", "cancelled"];
const main = document.getElementById("main");
const live = document.getElementById("live");
const liveAt = document.getElementById("live-at");
const notice = document.getElementById("notice");
let overview = null; // the latest pushed overview
let onOverview = null; // the current page's update on a push
let page = 0; // increments on each page change, so a late answer for a page left is dropped
let detailTimer = null;
let session = null; // who the visitor is: name, role, permissions, csrf_token

// ------------------------------------------------------------------ helpers

/** An element with attributes and children (strings become text nodes). */
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/** Sets a node's text only when it differs: an unchanged value keeps its text node. */
function setText(node, text) {
  const s = String(text);
  if (node.textContent !== s) node.textContent = s;
}

const shown = new WeakMap(); // node → the key of what it shows

/**
 * Fills {@code node} with what {@code make()} returns (a node, a string or a list of them), but
 * only when {@code key} differs from the key of what it shows now.
 */
function show(node, key, make) {
  if (shown.get(node) === key) return;
  shown.set(node, key);
  const made = make();
  node.replaceChildren(...(Array.isArray(made) ? made : [made]));
}

/**
 * Makes {@code nodes} the children of {@code parent}, in order, removing the others. A node
 * already in place is not touched (moving or re-inserting a node blurs it and cancels a press
 * begun on it).
 */
function place(parent, nodes) {
  const keep = new Set(nodes);
  for (const c of [...parent.childNodes]) if (!keep.has(c)) c.remove();
  nodes.forEach((n, i) => {
    if (parent.childNodes[i] !== n) parent.insertBefore(n, parent.childNodes[i] || null);
  });
}

/**
 * One live row per key: {@code create(item)} builds a row ({node, update(item)}) for a key not
 * seen before, {@code update} refreshes the row in place on every call. Returns the rows' nodes in
 * the items' order; rows whose key is gone are forgotten.
 */
function rowsFor(rows, items, keyOf, create) {
  const seen = new Set();
  const nodes = items.map((item) => {
    const key = keyOf(item);
    seen.add(key);
    let row = rows.get(key);
    if (!row) {
      row = create(item);
      rows.set(key, row);
    }
    row.update(item);
    return row.node;
  });
  for (const key of [...rows.keys()]) if (!seen.has(key)) rows.delete(key);
  return nodes;
}

/** Counts an update applied to the current page (tests wait on it, never on time). */
function refreshed() {
  main.dataset.refreshes = String(Number(main.dataset.refreshes || 0) + 1);
}

function stateLabel(state) {
  return el("span", { class: "state state-" + state, text: state });
}

function when(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  return el("time", { datetime: iso, title: iso, text: d.toLocaleString() });
}

function clock(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** Whether the visitor's role allows what {@code permission} guards (e.g. "control_tasks"). */
function may(permission) {
  return session !== null && session.permissions.includes(permission);
}

function toSignIn() {
  location.assign("/login?next=" + encodeURIComponent(location.hash));
}

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (session && session.csrf_token && method !== "GET") init.headers["X-CSRF-Token"] = session.csrf_token;
  const res = await fetch(API + path, init);
  if (res.status === 401) {
    toSignIn(); // the session ended: idle, signed out elsewhere, or its token was revoked
    throw new Error("401: signed out");
  }
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const detail = json && json.detail;
    const message = Array.isArray(detail) ? detail.map((d) => d.msg).join("; ") : detail || res.statusText;
    throw new Error(res.status + ": " + message);
  }
  return json;
}

function say(message) {
  notice.textContent = message;
  clearTimeout(say.timer);
  say.timer = setTimeout(() => (notice.textContent = ""), 5000);
}

async function act(label, fn) {
  try {
    await fn();
    say(label + ": done");
  } catch (e) {
    say(label + " failed: " + e.message);
  }
}

// ------------------------------------------------------------------ live updates

function connect() {
  const events = new EventSource(API + "/events");
  events.addEventListener("overview", (e) => {
    const next = JSON.parse(e.data);
    // An update leaves the queues out when they are as this stream last sent them.
    if (next.queues === undefined) next.queues = overview ? overview.queues : [];
    overview = next;
    // The status region speaks only when the connection's state changes, not every second.
    setText(live, "live");
    setText(liveAt, "· " + new Date(overview.at).toLocaleTimeString());
    if (onOverview) onOverview(overview);
  });
  events.onerror = () => {
    setText(live, "reconnecting…");
    setText(liveAt, "");
  };
}

// ------------------------------------------------------------------ charts

const SVG = "http://www.w3.org/2000/svg";
const CHART_HEIGHT = 170;
const CHART_TOP = 18; // room for the top tick's label, written above its grid line
const CHART_BOTTOM = 22; // room for the time axis

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A tick step of 1, 2 or 5 times a power of ten that splits {@code max} into about {@code n}. */
function tickStep(max, n) {
  const raw = max / n;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

/** {@code v} with as many decimals as {@code step} needs. */
function tickText(v, step) {
  return v.toFixed(Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
}

/** A value for a sentence: two significant digits below 10, whole above. */
function roughly(v) {
  return v >= 10 ? String(Math.round(v)) : String(Number(v.toPrecision(2)));
}

/** A unit for waits of up to {@code maxMs}: ms, s or min, and the divisor from ms. */
function durationUnit(maxMs) {
  if (maxMs < 1000) return { unit: "ms", per: 1 };
  if (maxMs < 120000) return { unit: "s", per: 1000 };
  return { unit: "min", per: 60000 };
}

/**
 * A bar chart of the last hour drawn at {@code width} pixels: y ticks with values and unit above
 * their grid lines, the time axis in minutes before now. {@code series} has a {@code unit} and
 * {@code values} (null where a bucket has no value) in that unit.
 */
function barChart(series, width, bucketSeconds, label) {
  const { unit, values } = series;
  const n = values.length;
  const plotHeight = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM;
  const peak = Math.max(0, ...values.map((v) => v || 0));
  const step = tickStep(peak > 0 ? peak : 1, 3);
  const top = Math.max(step, Math.ceil(peak / step - 1e-9) * step);
  const y = (v) => CHART_TOP + plotHeight - (v / top) * plotHeight;
  const chart = svg("svg", {
    class: "chart", width, height: CHART_HEIGHT, viewBox: `0 0 ${width} ${CHART_HEIGHT}`,
    role: "img", "aria-label": label,
  });
  const bars = svg("g", { class: "bars" });
  values.forEach((v, i) => {
    if (!v) return;
    const h = Math.max(1, (v / top) * plotHeight);
    bars.append(svg("rect", {
      x: (i * width) / n, y: CHART_TOP + plotHeight - h, width: Math.max(1, width / n - 0.3), height: h,
    }));
  });
  const grid = svg("g", { class: "grid" });
  const yAxis = svg("g", { class: "y-axis" }); // drawn over the bars, on a halo
  for (let v = 0; v <= top + step / 2; v += step) {
    grid.append(svg("line", { x1: 0, x2: width, y1: y(v), y2: y(v) }));
    yAxis.append(svg("text", { x: 2, y: y(v) - 3 }, (v === 0 ? "0" : tickText(v, step)) + " " + unit));
  }
  const xAxis = svg("g", { class: "x-axis" });
  const span = (n * bucketSeconds) / 60; // minutes
  const every = width < 360 ? 30 : 15;
  for (let m = span; m >= 0; m -= every) {
    const x = width * (1 - m / span);
    const anchor = m === span ? "start" : m === 0 ? "end" : "middle";
    xAxis.append(svg("line", { class: "tick", x1: x, x2: x, y1: CHART_TOP + plotHeight, y2: CHART_TOP + plotHeight + 4 }));
    xAxis.append(svg("text", { x, y: CHART_HEIGHT - 4, "text-anchor": anchor }, m === 0 ? "now" : "\u2212" + m + " min"));
  }
  chart.append(grid, bars, yAxis, xAxis);
  return chart;
}

/** The two charts of the overview, each a figure with a caption, the chart and its summary. */
function chartFigure(id, caption) {
  const box = el("div", { class: "chart-box" });
  const summary = el("p", { class: "chart-summary", "aria-hidden": "true" });
  const figure = el("figure", { id }, el("figcaption", { text: caption }), box, summary);
  return {
    figure,
    /** Draws {@code series} (from {@link throughputSeries} or {@link waitSeries}) if anything changed. */
    draw(series, bucketSeconds) {
      const width = Math.max(200, Math.floor(box.clientWidth || 360));
      show(box, width + JSON.stringify(series), () => barChart(series, width, bucketSeconds, caption + ". " + series.summary));
      setText(summary, series.summary);
    },
  };
}

function throughputSeries(points, bucketSeconds) {
  const unit = "tasks/s";
  const values = points.map((p) => p.finished / bucketSeconds);
  const total = points.reduce((a, p) => a + p.finished, 0);
  if (total === 0) return { unit, values, summary: "No run finished in the last hour." };
  const peakAt = values.indexOf(Math.max(...values));
  const runs = (k) => `${k} run${k === 1 ? "" : "s"}`;
  // The latest bucket is still filling, so the latest figure is a count, not a rate.
  const lastMinute = points.slice(-60 / bucketSeconds).reduce((a, p) => a + p.finished, 0);
  return {
    unit, values,
    summary: `${runs(lastMinute)} in the last minute; peak ${roughly(values[peakAt])} ${unit} at ${clock(Date.parse(points[peakAt].at))}; `
      + `${runs(total)} since ${clock(Date.parse(points[0].at))}.`,
  };
}

function waitSeries(points) {
  const waits = points.map((p) => (p.started > 0 ? Number(p.mean_wait_ms) : null));
  const { unit, per } = durationUnit(Math.max(0, ...waits.map((v) => v || 0)));
  const values = waits.map((v) => (v === null ? null : v / per));
  const seen = values.map((v, i) => [v, i]).filter(([v]) => v !== null);
  if (!seen.length) return { unit, values, summary: "No task started in the last hour." };
  const [latest, latestAt] = seen[seen.length - 1];
  const [peak, peakAt] = seen.reduce((a, b) => (b[0] > a[0] ? b : a));
  return {
    unit, values,
    summary: `Latest ${roughly(latest)} ${unit} at ${clock(Date.parse(points[latestAt].at))}; `
      + `peak ${roughly(peak)} ${unit} at ${clock(Date.parse(points[peakAt].at))}.`,
  };
}

// ------------------------------------------------------------------ overview

const QUEUE_COUNTS = ["queued", "scheduled", "claimed", "running"];
const QUEUE_TOTALS = ["succeeded", "failed", "cancelled"];

/** The queue's limit in words: cluster-wide or none, and what this node runs at most. */
function limitText(q) {
  const limit = q.limit === null || q.limit === undefined ? "none" : String(q.limit);
  return q.node_limit === undefined || q.node_limit === null ? limit : `${limit} (node runs up to ${q.node_limit})`;
}

/** A queue's row, built once: {@code update} changes its cells and controls in place. */
function queueRow(name) {
  const path = "/queues/" + encodeURIComponent(name);
  let q = null; // the view the row shows now
  const status = el("td", { "data-label": "Status" });
  const cell = (s) => el("td", { class: "num", "data-count": s, "data-label": s });
  const counts = Object.fromEntries([...QUEUE_COUNTS, ...QUEUE_TOTALS].map((s) => [s, cell(s)]));
  const limitCell = el("td", { class: "num", "data-label": "limit", "data-limit": "" });
  // Pause and Resume are one button whose label follows the queue: it keeps focus when pressed.
  const toggleWord = document.createTextNode("");
  const toggle = el("button", { type: "button", onclick: () => {
    const resume = q.paused;
    act((resume ? "Resume " : "Pause ") + name, () => api("POST", path + (resume ? "/resume" : "/pause")));
  } }, toggleWord, el("span", { class: "hide-narrow", text: name }));
  const limit = el("input", { type: "number", min: 1, step: 1, placeholder: "none", size: 5, "aria-label": "Limit of queue " + name });
  let limitShown; // the server's limit the field was last set to
  const form = el("form", { class: "inline", onsubmit: (e) => {
    e.preventDefault();
    const text = limit.value.trim();
    const value = text === "" ? null : Number(text); // an empty field removes the limit
    act((value === null ? "Remove limit of " : "Limit of ") + name, () => api("PATCH", path, { limit: value }));
  } }, limit, el("button", { type: "submit" }, "Set limit"));
  const node = el("tr", { "data-queue": name },
    el("th", { scope: "row" }, el("a", { href: "#/tasks?queue=" + encodeURIComponent(name), text: name })),
    status, ...QUEUE_COUNTS.map((s) => counts[s]), limitCell, ...QUEUE_TOTALS.map((s) => counts[s]),
    el("td", { "data-label": "Actions" }, may("control_queues") ? el("div", { class: "actions" }, toggle, form) : "–"));
  return {
    node,
    update(next) {
      q = next;
      show(status, q.paused, () => (q.paused ? el("span", { class: "paused", text: "paused" }) : "active"));
      for (const [s, td] of Object.entries(counts)) setText(td, q[s] ?? "–");
      setText(limitCell, limitText(q));
      setText(toggleWord, q.paused ? "Resume " : "Pause ");
      toggle.classList.toggle("danger", !q.paused);
      toggle.dataset.action = q.paused ? "resume" : "pause";
      // A field being edited keeps what the person typed; it follows the server once left.
      if (q.limit !== limitShown && document.activeElement !== limit) {
        limit.value = q.limit ?? "";
        limitShown = q.limit;
      }
    },
  };
}

function renderOverview() {
  const body = el("tbody");
  const none = el("tr", {}, el("td", { colspan: 11, text: "No queue yet: submit a task." }));
  const rows = new Map();
  const throughput = chartFigure("throughput", "Throughput: runs finished per second, last hour");
  const waits = chartFigure("waits", "Mean wait before start, last hour");
  const nodes = el("p");
  const heads = [["Queue"], ["Status"], ["Queued"], ["Scheduled"],
    ["Claimed", "Leased to a node ahead of a free slot, not started yet"], ["Running", "Started and running now"],
    ["Limit", "The queue's cluster-wide limit, and how many of its tasks this node runs at once at most"],
    ["Succeeded"], ["Failed"], ["Cancelled"]];
  main.replaceChildren(
    el("h1", { text: "Overview" }),
    el("h2", { text: "Queues" }),
    el("div", { class: "scroll" },
      el("table", { id: "queues" },
        el("thead", {}, el("tr", {},
          ...heads.map(([h, title], i) => el("th", { scope: "col", class: i > 1 ? "num" : null, title, text: h })),
          el("th", { scope: "col", text: "Actions" }))),
        body)),
    nodes,
    el("h2", { text: "Throughput and waiting" }),
    el("div", { class: "charts" }, throughput.figure, waits.figure));
  onOverview = (o) => {
    const queueRows = rowsFor(rows, o.queues, (q) => q.name, (q) => queueRow(q.name));
    place(body, queueRows.length ? queueRows : [none]);
    const running = o.nodes.nodes.reduce((a, n) => a + n.running_count, 0);
    setText(nodes, `${o.nodes.nodes.filter((n) => n.live).length} node(s) live, ${running} task(s) running.`);
    const bucket = o.timeline.bucket_seconds || 10;
    throughput.draw(throughputSeries(o.timeline.points, bucket), bucket);
    waits.draw(waitSeries(o.timeline.points), bucket);
    refreshed();
  };
  if (overview) onOverview(overview);
}

// ------------------------------------------------------------------ tasks

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function renderTasks(params) {
  const state = el("select", { name: "state" }, el("option", { value: "", text: "any" }), ...STATES.map((s) => el("option", { value: s, selected: params.get("state") === s, text: s })));
  const queue = el("input", { name: "queue", value: params.get("queue") || "", size: 12 });
  const type = el("input", { name: "type", value: params.get("type") || "", size: 12 });
  const search = el("input", { name: "q", type: "search", value: params.get("q") || "", placeholder: "id or idempotency key", size: 28 });
  const form = el("form", { class: "filters", role: "search", onsubmit: (e) => {
    e.preventDefault();
    const q = search.value.trim();
    if (UUID_RE.test(q)) { location.hash = "#/tasks/" + q; return; }
    const p = new URLSearchParams();
    for (const [k, v] of [["state", state.value], ["queue", queue.value.trim()], ["type", type.value.trim()], ["q", q]]) if (v) p.set(k, v);
    location.hash = "#/tasks?" + p;
  } },
    el("label", {}, "State", state), el("label", {}, "Queue", queue), el("label", {}, "Type", type),
    el("label", {}, "Search", search), el("button", { type: "submit" }, "Filter"));
  const body = el("tbody");
  const pager = el("div", { class: "pager" });
  main.replaceChildren(el("h1", { text: "Tasks" }), form, el("div", { class: "scroll" },
    el("table", { id: "tasks" }, el("thead", {}, el("tr", {},
      ...["Task", "Type", "Queue", "State", "Attempt", "Created"].map((h) => el("th", { scope: "col", text: h })))), body)), pager);
  const query = new URLSearchParams();
  for (const k of ["state", "queue", "type", "cursor"]) if (params.get(k)) query.set(k, params.get(k));
  if (params.get("q")) query.set("idempotency_key", params.get("q"));
  try {
    const page = await api("GET", "/tasks?" + query);
    body.replaceChildren(...(page.tasks.length ? page.tasks.map((t) => el("tr", { "data-task": t.id },
      el("td", {}, el("a", { href: "#/tasks/" + t.id, text: t.id.slice(0, 8) + "…", title: t.id })),
      el("td", { text: t.type }), el("td", { text: t.queue }), el("td", {}, stateLabel(t.state)),
      el("td", { class: "num", text: t.attempt + "/" + t.max_attempts }), el("td", {}, when(t.created_at)))) :
      [el("tr", {}, el("td", { colspan: 6, text: "No task matches." }))]));
    if (page.next_cursor) {
      const next = new URLSearchParams(params);
      next.set("cursor", page.next_cursor);
      pager.append(el("a", { href: "#/tasks?" + next, text: "Older tasks →" }));
    }
  } catch (e) {
    body.replaceChildren(el("tr", {}, el("td", { colspan: 6, text: e.message })));
  }
}

function pretty(value) {
  return value === null || value === undefined ? "null" : JSON.stringify(value, null, 2);
}

/** The task page's fields: label, the text or key of the value, and how to show a keyed one. */
const TASK_FIELDS = [
  ["State", (t) => t.state, (t) => stateLabel(t.state)],
  ["Type", (t) => t.type],
  ["Queue", (t) => t.queue],
  ["Priority", (t) => t.priority],
  ["Attempt", (t) => t.attempt + " of " + t.max_attempts],
  ["Run at", (t) => t.run_at, (t) => when(t.run_at)],
  ["Created", (t) => t.created_at, (t) => when(t.created_at)],
  ["Started", (t) => t.started_at, (t) => when(t.started_at)],
  ["Finished", (t) => t.finished_at, (t) => when(t.finished_at)],
  ["Node", (t) => t.last_node || "–"],
  ["Idempotency key", (t) => t.idempotency_key || "–"],
];

/** The task's attempts, oldest first: each failed one left an error; the latest may be the task's own. */
function attemptsOf(t) {
  const out = t.errors.map((e) => ({ attempt: e.attempt, at: e.at, node: e.node, message: e.message, trace: e.trace }));
  if (t.attempt > 0 && !t.errors.some((e) => e.attempt === t.attempt)) {
    out.push({ attempt: t.attempt, at: t.started_at, node: t.last_node || "–", state: t.state, finished: t.finished_at });
  }
  return out;
}

function attemptRow(a) {
  const outcome = a.state === undefined
    ? [a.message, a.trace ? el("details", {}, el("summary", { text: "Stack trace" }), el("pre", { text: a.trace })) : ""]
    : [a.state === "running" ? "running" : a.state + (a.finished ? " " : ""), a.finished ? when(a.finished) : ""];
  return el("tr", {}, el("td", { text: a.attempt }), el("td", {}, when(a.at)), el("td", { text: a.node }), el("td", {}, ...outcome));
}

async function renderTask(id) {
  const mine = page;
  const header = el("h1", { text: "Task " + id });
  const explain = el("div", { class: "explain", id: "explain", "aria-live": "polite" });
  const actions = el("div", { class: "actions" });
  const fields = el("dl", { class: "fields" });
  const values = TASK_FIELDS.map(([label]) => {
    const dd = el("dd");
    fields.append(el("dt", { text: label }), dd);
    return dd;
  });
  const bar = el("progress", { max: 100, id: "progress" });
  const percent = document.createTextNode("");
  const progress = el("p", { hidden: true }, el("label", {}, "Progress ", bar, " ", percent));
  const payload = el("pre", { id: "payload" });
  const result = el("pre", { id: "result" });
  const attemptsBody = el("tbody");
  const attemptsTable = el("div", { class: "scroll", hidden: true }, el("table", { id: "attempts" },
    el("thead", {}, el("tr", {}, ...["Attempt", "Started or failed", "Node", "Outcome"].map((h) => el("th", { scope: "col", text: h })))),
    attemptsBody));
  const notRun = el("p", { text: "Not run yet." });
  const attemptRows = new Map();
  main.replaceChildren(header, explain, actions, progress, fields,
    el("h2", { text: "Payload" }), payload, el("h2", { text: "Result" }), result,
    el("h2", { text: "Attempts" }), attemptsTable, notRun);

  // The action buttons are built once; refresh() only puts in place those the state allows.
  const button = (elementId, label, path, danger) =>
    el("button", { type: "button", id: elementId, class: danger ? "danger" : null, onclick: () => act(label, () => api("POST", "/tasks/" + id + path)).then(refresh) }, label);
  const cancel = button("cancel", "Cancel", "/cancel", true);
  const retry = button("retry", "Retry", "/retry", false);
  const runNow = button("run-now", "Run now", "/run-now", false);

  function allowed(state) {
    const out = [];
    if (!may("control_tasks")) return out;
    if (["scheduled", "queued", "running"].includes(state)) out.push(cancel);
    if (["failed", "cancelled"].includes(state)) out.push(retry);
    if (state === "scheduled") out.push(runNow);
    return out;
  }

  let asked = 0; // refreshes begun
  let applied = 0; // the latest one shown: an answer older than what is shown is dropped
  async function refresh() {
    const n = ++asked;
    let t, why, failure;
    try {
      [t, why] = await Promise.all([api("GET", "/tasks/" + id), api("GET", "/tasks/" + id + "/explain")]);
    } catch (e) {
      failure = e;
    }
    if (mine !== page || n < applied) return;
    applied = n;
    if (failure) {
      show(explain, "failure " + failure.message, () => failure.message);
      refreshed();
      return;
    }
    show(explain, why.code + " " + why.message, () => [el("strong", {}, "Why here: "), el("code", { text: why.code }), " — ", why.message]);
    TASK_FIELDS.forEach(([, key, make], i) => {
      if (make) show(values[i], key(t) ?? "", () => make(t));
      else setText(values[i], key(t));
    });
    progress.hidden = t.state !== "running";
    if (t.state === "running") {
      bar.value = t.progress;
      setText(bar, t.progress + "%");
      setText(percent, t.progress + "%");
    }
    setText(payload, pretty(t.payload));
    setText(result, pretty(t.result));
    const attempts = attemptsOf(t);
    attemptsTable.hidden = !attempts.length;
    notRun.hidden = attempts.length > 0;
    // A row is rebuilt only when what it says changed, so an opened stack trace stays open.
    place(attemptsBody, rowsFor(attemptRows, attempts, (a) => JSON.stringify(a), (a) => ({ node: attemptRow(a), update() {} })));
    // The buttons change only when the allowed actions do. If the focused one goes (Cancel once
    // the task is cancelled), focus moves to the first action left, not to the page's body.
    const focused = actions.contains(document.activeElement);
    place(actions, allowed(t.state));
    if (focused && !actions.contains(document.activeElement)) (actions.querySelector("button") || main).focus();
    actions.dataset.state = t.state;
    refreshed();
  }

  // The next refresh is asked for a second after the last one answered, so a slow server never
  // has two of them in flight.
  async function tick() {
    try {
      await refresh();
    } finally {
      if (mine === page) detailTimer = setTimeout(tick, 1000);
    }
  }
  await tick();
}

// ------------------------------------------------------------------ nodes

/** A node's row, built once: its cells change in place, its running tasks' links stay. */
function nodeRow(first) {
  const process = el("small");
  const kind = el("td");
  const heartbeat = el("td");
  const count = document.createTextNode("");
  const list = el("ul");
  const items = new Map();
  const concurrency = el("td", { class: "num" });
  const types = el("td");
  const started = el("td");
  const node = el("tr", { "data-node": first.id }, el("th", { scope: "row" }, first.id, el("br"), process),
    kind, heartbeat, el("td", {}, count, list), concurrency, types, started);
  const runningItem = (r) => {
    const progress = document.createTextNode("");
    return {
      node: el("li", {}, el("a", { href: "#/tasks/" + r.id, text: r.type + " " + r.id.slice(0, 8) + "…" }), " ", progress),
      update: (next) => setText(progress, next.progress + "%"),
    };
  };
  return {
    node,
    update(n) {
      setText(process, n.host ? `process ${n.pid} on ${n.host}` : `process ${n.pid}`);
      // An engine node runs handlers itself; a remote worker runs them in its own language.
      setText(kind, n.kind === "remote"
        ? `worker: ${n.language}` + (n.client ? ` (${n.client})` : "") + (n.queues && n.queues.length ? `, queues ${n.queues.join(", ")}` : ", every queue")
        : "engine node");
      setText(heartbeat, n.heartbeat_age_seconds.toFixed(1) + " s ago" + (n.live ? "" : ", silent: its tasks return to their queues as their leases expire"));
      setText(count, String(n.running_count));
      place(list, rowsFor(items, n.running, (r) => r.id, runningItem));
      list.hidden = !n.running.length;
      setText(concurrency, n.concurrency);
      setText(types, n.types.join(", "));
      show(started, n.started_at ?? "", () => when(n.started_at));
    },
  };
}

function renderNodes() {
  const body = el("tbody");
  const rows = new Map();
  main.replaceChildren(el("h1", { text: "Nodes" }), el("div", { class: "scroll" },
    el("table", { id: "nodes" }, el("thead", {}, el("tr", {},
      ...["Node", "Kind", "Heartbeat", "Running", "Concurrency", "Types", "Started"].map((h) => el("th", { scope: "col", text: h })))), body)));
  onOverview = (o) => {
    place(body, rowsFor(rows, o.nodes.nodes, (n) => n.id, nodeRow));
    refreshed();
  };
  if (overview) onOverview(overview);
}

// ------------------------------------------------------------------ schedules

/** "cron 0 3 * * * (Europe/Paris)" or "every 60 s". */
function recurrenceText(s) {
  return s.cron !== null ? `cron ${s.cron} (${s.zone})` : `every ${s.every} s`;
}

/** A schedule's row, built once: {@code update} changes its cells and controls in place. */
function scheduleRow(name) {
  const path = "/schedules/" + encodeURIComponent(name);
  let s = null;
  const recurrence = el("td", { "data-label": "When" });
  const task = el("td", { "data-label": "Task" });
  const status = el("td", { "data-label": "Status" });
  const next = el("td", { "data-label": "Next run", "data-next": "" });
  const last = el("td", { "data-label": "Last run", "data-last": "" });
  const toggleWord = document.createTextNode("");
  const toggle = el("button", { type: "button", onclick: () => {
    const resume = s.paused;
    act((resume ? "Resume " : "Pause ") + name, () => api("POST", path + (resume ? "/resume" : "/pause")));
  } }, toggleWord, el("span", { class: "hide-narrow", text: name }));
  const run = el("button", { type: "button", "data-action": "run", onclick: () =>
    act("Run " + name + " now", async () => {
      const t = await api("POST", path + "/run");
      location.hash = "#/tasks/" + t.id;
    }) }, "Run now");
  const node = el("tr", { "data-schedule": name },
    el("th", { scope: "row", text: name }), recurrence, task, status, next, last,
    el("td", { "data-label": "Actions" }, may("manage_schedules") ? el("div", { class: "actions" }, toggle, run) : "–"));
  return {
    node,
    update(nextView) {
      s = nextView;
      setText(recurrence, recurrenceText(s) + (s.misfire === "run_once" ? ", missed ticks run once" : ""));
      setText(task, `${s.task.type} → ${s.task.queue}`);
      show(status, s.paused, () => (s.paused ? el("span", { class: "paused", text: "paused" }) : "active"));
      show(next, s.next_run_at, () => when(s.next_run_at));
      show(last, s.last_task_id, () => (s.last_task_id
        ? el("a", { href: "#/tasks/" + s.last_task_id }, when(s.last_run_at))
        : "never"));
      setText(toggleWord, s.paused ? "Resume " : "Pause ");
      toggle.classList.toggle("danger", !s.paused);
      toggle.dataset.action = s.paused ? "resume" : "pause";
    },
  };
}

/** Every schedule, asked of the API once a second (one request at a time) while the page shows. */
function renderSchedules() {
  const body = el("tbody");
  const none = el("tr", {}, el("td", { colspan: 7, text: "No schedule yet: define one with PUT /api/v1/schedules/{name} or `tasklane schedule set`." }));
  const rows = new Map();
  main.replaceChildren(el("h1", { text: "Schedules" }), el("div", { class: "scroll" },
    el("table", { id: "schedules" }, el("thead", {}, el("tr", {},
      ...["Schedule", "When", "Task", "Status", "Next run", "Last run", "Actions"].map((h) => el("th", { scope: "col", text: h })))), body)));
  const mine = page;
  async function tick() {
    try {
      const all = await api("GET", "/schedules");
      if (mine !== page) return;
      const shown = rowsFor(rows, all.schedules, (s) => s.name, (s) => scheduleRow(s.name));
      place(body, shown.length ? shown : [none]);
      refreshed();
    } catch (e) {
      if (mine === page) say("Schedules: " + e.message);
    }
    if (mine === page) detailTimer = setTimeout(tick, 1000);
  }
  tick();
}

// ------------------------------------------------------------------ rate limits

/** A rate limit's row, built once: {@code update} changes its cells in place. */
function rateLimitRow(name) {
  let l = null;
  const scope = el("td", { "data-label": "Applies to" });
  const rate = el("td", { "data-label": "Rate", "data-rate": "" });
  const key = el("td", { "data-label": "Per key" });
  const remove = el("button", { type: "button", class: "danger", "data-action": "delete", onclick: () =>
    act("Remove rate limit " + name, () => api("DELETE", `/rate-limits/${l.scope}/${encodeURIComponent(l.target)}`)) },
  "Remove", el("span", { class: "hide-narrow", text: " " + name }));
  const node = el("tr", { "data-rate-limit": name }, el("th", { scope: "row", text: name }), scope, rate, key,
    el("td", { "data-label": "Actions" }, may("control_queues") ? remove : "–"));
  return {
    node,
    update(next) {
      l = next;
      setText(scope, `${l.scope} ${l.target}`);
      setText(rate, `${l.limit} per ${l.per} s, burst ${l.burst}`);
      setText(key, l.key_field ?? "–");
    },
  };
}

/**
 * Every rate limit, asked of the API once a second while the page shows, with a form to set one.
 * A task a limit holds waits as scheduled; its page's explanation says which limit and until when.
 */
function renderRateLimits() {
  const body = el("tbody");
  const none = el("tr", {}, el("td", { colspan: 5, text: "No rate limit: every task starts as soon as a slot frees." }));
  const rows = new Map();
  const field = (attrs) => el("input", attrs);
  const scope = el("select", { "aria-label": "Scope" }, el("option", { value: "queue", text: "queue" }), el("option", { value: "type", text: "type" }));
  const target = field({ type: "text", placeholder: "name", required: true, "aria-label": "Queue or type", size: 12 });
  const limit = field({ type: "number", min: 1, step: 1, placeholder: "limit", required: true, "aria-label": "Starts", size: 5 });
  const per = field({ type: "number", min: 0.001, step: 0.001, value: 1, "aria-label": "Per seconds", size: 5 });
  const burst = field({ type: "number", min: 1, step: 1, placeholder: "burst", "aria-label": "Burst", size: 5 });
  const keyField = field({ type: "text", placeholder: "payload field", "aria-label": "Key field", size: 10 });
  const form = el("form", { class: "inline", id: "set-rate-limit", onsubmit: (e) => {
    e.preventDefault();
    const limitBody = { limit: Number(limit.value), per: Number(per.value || 1) };
    if (burst.value.trim() !== "") limitBody.burst = Number(burst.value);
    if (keyField.value.trim() !== "") limitBody.key_field = keyField.value.trim();
    act(`Rate limit ${scope.value}:${target.value}`, () =>
      api("PUT", `/rate-limits/${scope.value}/${encodeURIComponent(target.value.trim())}`, limitBody));
  } }, scope, target, limit, el("span", { text: "per" }), per, el("span", { text: "s" }), burst, keyField,
  el("button", { type: "submit" }, "Set limit"));
  main.replaceChildren(el("h1", { text: "Rate limits" }), el("div", { class: "scroll" },
    el("table", { id: "rate-limits" }, el("thead", {}, el("tr", {},
      ...["Limit", "Applies to", "Rate", "Per key", "Actions"].map((h) => el("th", { scope: "col", text: h })))), body)),
    may("control_queues") ? form : el("p", { text: "Your role reads rate limits; an operator sets them." }));
  const mine = page;
  async function tick() {
    try {
      const all = await api("GET", "/rate-limits");
      if (mine !== page) return;
      const shown = rowsFor(rows, all.rate_limits, (l) => l.name, (l) => rateLimitRow(l.name));
      place(body, shown.length ? shown : [none]);
      refreshed();
    } catch (e) {
      if (mine === page) say("Rate limits: " + e.message);
    }
    if (mine === page) detailTimer = setTimeout(tick, 1000);
  }
  tick();
}

// ------------------------------------------------------------------ audit

/** Who did what, newest first, a page at a time (admins only). */
async function renderAudit(params) {
  const body = el("tbody");
  const pager = el("div", { class: "pager" });
  main.replaceChildren(el("h1", { text: "Audit log" }), el("div", { class: "scroll" },
    el("table", { id: "audit" }, el("thead", {}, el("tr", {},
      ...["When", "Who", "Action", "On", "From", "Detail"].map((h) => el("th", { scope: "col", text: h })))), body)), pager);
  const query = new URLSearchParams({ limit: "100" });
  if (params.get("before")) query.set("before", params.get("before"));
  try {
    const page = await api("GET", "/audit?" + query);
    body.replaceChildren(...(page.entries.length ? page.entries.map((e) => el("tr", { "data-action": e.action },
      el("td", {}, when(e.at)), el("td", { text: e.actor }), el("td", {}, el("code", { text: e.action })),
      el("td", { text: e.target ?? "–" }), el("td", { text: e.client }), el("td", { text: e.detail ?? "" }))) :
      [el("tr", {}, el("td", { colspan: 6, text: "Nothing recorded yet." }))]));
    if (page.next_before) pager.append(el("a", { href: "#/audit?before=" + page.next_before, text: "Older entries →" }));
  } catch (e) {
    body.replaceChildren(el("tr", {}, el("td", { colspan: 6, text: e.message })));
  }
}

// ------------------------------------------------------------------ routing

function route() {
  page++;
  clearTimeout(detailTimer);
  onOverview = null;
  main.dataset.refreshes = "0";
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query] = hash.split("?");
  const params = new URLSearchParams(query || "");
  const section = path.startsWith("/tasks") ? "tasks" : path.startsWith("/nodes") ? "nodes"
    : path.startsWith("/schedules") ? "schedules" : path.startsWith("/limits") ? "limits"
    : path.startsWith("/audit") ? "audit" : "overview";
  for (const a of document.querySelectorAll("nav a[data-nav]")) {
    if (a.dataset.nav === section) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const m = path.match(/^\/tasks\/([0-9a-fA-F-]{36})$/);
  if (m) renderTask(m[1]);
  else if (section === "tasks") renderTasks(params);
  else if (section === "nodes") renderNodes();
  else if (section === "schedules") renderSchedules();
  else if (section === "limits") renderRateLimits();
  else if (section === "audit") renderAudit(params);
  else renderOverview();
  main.focus({ preventScroll: true });
}

/** The signed-in bar: who, as what role, and a way out. */
function showVisitor() {
  const bar = el("span", { class: "who", id: "who" });
  if (session.via === "open") {
    bar.append(el("span", { text: "open server (no sign-in configured)" }));
  } else {
    bar.append(el("span", { text: session.name + " · " + session.role }));
    if (session.via === "session") {
      bar.append(el("button", { type: "button", id: "sign-out", onclick: async () => {
        await fetch(API + "/session", { method: "DELETE", headers: { "X-CSRF-Token": session.csrf_token } });
        toSignIn();
      } }, "Sign out"));
    }
  }
  document.querySelector("header").append(bar);
}

async function start() {
  const res = await fetch(API + "/session");
  if (res.status === 401) {
    toSignIn();
    return;
  }
  session = await res.json();
  document.body.dataset.role = session.role;
  if (!may("manage_access")) document.querySelector("nav a[data-nav='audit']").remove();
  showVisitor();
  window.addEventListener("hashchange", route);
  window.tasklaneLoadedAt = Date.now(); // lets tests tell a live update from a reload
  if (may("read")) {
    connect();
  } else {
    // A role that reads only its own tasks (a submitter) sees those, and no overview or nodes.
    for (const nav of ["overview", "schedules", "limits", "nodes"]) document.querySelector(`nav a[data-nav='${nav}']`).remove();
    setText(live, "");
    if (!location.hash.startsWith("#/tasks")) location.hash = "#/tasks";
  }
  route();
}

start();
