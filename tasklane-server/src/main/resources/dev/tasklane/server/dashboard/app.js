// Tasklane dashboard: a page per hash route (#/, #/tasks, #/tasks/<id>, #/nodes), built from the
// JSON API. Every value from the server goes into the page as text (textContent), never as HTML,
// so a payload holding markup or script is shown, not run.
"use strict";

const API = "/api/v1";
const STATES = ["scheduled", "queued", "running", "succeeded", "failed", "cancelled"];
const main = document.getElementById("main");
const live = document.getElementById("live");
const notice = document.getElementById("notice");
let overview = null; // the latest pushed overview
let onOverview = null; // the current page's redraw on a push
let detailTimer = null;

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

function stateLabel(state) {
  return el("span", { class: "state state-" + state, text: state });
}

function when(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  return el("time", { datetime: iso, title: iso, text: d.toLocaleString() });
}

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(API + path, init);
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
    overview = JSON.parse(e.data);
    live.textContent = "live · " + new Date(overview.at).toLocaleTimeString();
    if (onOverview) onOverview(overview);
  });
  events.onerror = () => (live.textContent = "reconnecting…");
}

// ------------------------------------------------------------------ overview

function chart(points, value, label) {
  const w = 360, h = 120, n = points.length;
  const max = Math.max(1, ...points.map(value));
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  const last = n ? value(points[n - 1]) : 0;
  svg.setAttribute("aria-label", `${label}: last ${Math.round(last)}, peak ${Math.round(max)} in the last hour`);
  points.forEach((p, i) => {
    const v = value(p);
    if (v <= 0) return;
    const r = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    const bh = (v / max) * (h - 2);
    r.setAttribute("x", (i * w) / n);
    r.setAttribute("y", h - bh);
    r.setAttribute("width", Math.max(1, w / n - 0.5));
    r.setAttribute("height", bh);
    svg.append(r);
  });
  return svg;
}

function queueRow(q) {
  const limit = el("input", { type: "number", min: 1, value: q.limit, "aria-label": "Limit of queue " + q.name, size: 5 });
  return el("tr", { "data-queue": q.name },
    el("th", { scope: "row" }, el("a", { href: "#/tasks?queue=" + encodeURIComponent(q.name), text: q.name })),
    el("td", { "data-label": "Status" }, q.paused ? el("span", { class: "paused", text: "paused" }) : "active"),
    ...["queued", "scheduled", "running"].map((s) => el("td", { class: "num", "data-count": s, "data-label": s, text: q[s] })),
    el("td", { class: "num", "data-label": "limit", text: q.limit }),
    ...["succeeded", "failed", "cancelled"].map((s) => el("td", { class: "num", "data-count": s, "data-label": s, text: q[s] })),
    el("td", { "data-label": "Actions" },
      el("div", { class: "actions" },
        q.paused
          ? el("button", { type: "button", onclick: () => act("Resume " + q.name, () => api("POST", "/queues/" + encodeURIComponent(q.name) + "/resume")) }, "Resume ", el("span", { class: "hide-narrow", text: q.name }))
          : el("button", { type: "button", class: "danger", onclick: () => act("Pause " + q.name, () => api("POST", "/queues/" + encodeURIComponent(q.name) + "/pause")) }, "Pause ", el("span", { class: "hide-narrow", text: q.name })),
        el("form", { class: "inline", onsubmit: (e) => { e.preventDefault(); act("Limit of " + q.name, () => api("PATCH", "/queues/" + encodeURIComponent(q.name), { limit: Number(limit.value) })); } },
          limit, el("button", { type: "submit" }, "Set limit")))));
}

function renderOverview() {
  const body = el("tbody");
  const throughput = el("figure", {}, el("figcaption", { text: "Runs finished per 10 s, last hour" }));
  const waits = el("figure", {}, el("figcaption", { text: "Mean wait before start (ms) per 10 s, last hour" }));
  const nodes = el("p");
  main.replaceChildren(
    el("h1", { text: "Overview" }),
    el("h2", { text: "Queues" }),
    el("div", { class: "scroll" },
      el("table", { id: "queues" },
        el("thead", {}, el("tr", {},
          ...["Queue", "Status", "Queued", "Scheduled", "Running", "Limit"].map((h, i) => el("th", { scope: "col", class: i > 1 ? "num" : null, text: h })),
          ...["Succeeded", "Failed", "Cancelled"].map((h) => el("th", { scope: "col", class: "num", text: h })),
          el("th", { scope: "col", text: "Actions" }))),
        body)),
    nodes,
    el("h2", { text: "Throughput and waiting" }),
    el("div", { class: "charts" }, throughput, waits));
  onOverview = (o) => {
    // Rows are replaced only when a number changed, so a field being typed in keeps its focus.
    const key = JSON.stringify(o.queues);
    if (body.dataset.key !== key) {
      body.dataset.key = key;
      body.replaceChildren(...(o.queues.length ? o.queues.map(queueRow) : [el("tr", {}, el("td", { colspan: 10, text: "No queue yet: submit a task." }))]));
    }
    const running = o.nodes.nodes.reduce((a, n) => a + n.running_count, 0);
    nodes.textContent = `${o.nodes.nodes.filter((n) => n.live).length} node(s) live, ${running} task(s) running.`;
    throughput.replaceChildren(throughput.firstChild, chart(o.timeline.points, (p) => p.finished, "Runs finished per 10 s"));
    waits.replaceChildren(waits.firstChild, chart(o.timeline.points, (p) => p.mean_wait_ms, "Mean wait in ms"));
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

async function renderTask(id) {
  const header = el("h1", { text: "Task " + id });
  const explain = el("div", { class: "explain", id: "explain", "aria-live": "polite" });
  const actions = el("div", { class: "actions" });
  const fields = el("dl", { class: "fields" });
  const progress = el("p");
  const payload = el("pre", { id: "payload" });
  const result = el("pre", { id: "result" });
  const attempts = el("div");
  main.replaceChildren(header, explain, actions, progress, fields,
    el("h2", { text: "Payload" }), payload, el("h2", { text: "Result" }), result, el("h2", { text: "Attempts" }), attempts);

  async function refresh() {
    let t, why;
    try {
      [t, why] = await Promise.all([api("GET", "/tasks/" + id), api("GET", "/tasks/" + id + "/explain")]);
    } catch (e) {
      explain.textContent = e.message;
      return;
    }
    explain.replaceChildren(el("strong", {}, "Why here: "), el("code", { text: why.code }), " — ", why.message);
    fields.replaceChildren(...[["State", stateLabel(t.state)], ["Type", t.type], ["Queue", t.queue], ["Priority", t.priority],
      ["Attempt", t.attempt + " of " + t.max_attempts], ["Run at", when(t.run_at)], ["Created", when(t.created_at)],
      ["Started", when(t.started_at)], ["Finished", when(t.finished_at)], ["Node", t.last_node || "–"],
      ["Idempotency key", t.idempotency_key || "–"]].flatMap(([k, v]) => [el("dt", { text: k }), el("dd", {}, v)]));
    progress.replaceChildren(t.state === "running"
      ? el("label", {}, "Progress ", el("progress", { max: 100, value: t.progress, id: "progress" }, t.progress + "%"), " " + t.progress + "%")
      : "");
    payload.textContent = pretty(t.payload);
    result.textContent = pretty(t.result);
    // Each failed attempt left an error; the latest attempt, if it did not fail, is the task itself.
    const rows = t.errors.map((e) => el("tr", {}, el("td", { text: e.attempt }), el("td", {}, when(e.at)), el("td", { text: e.node }),
      el("td", {}, e.message, e.trace ? el("details", {}, el("summary", { text: "Stack trace" }), el("pre", { text: e.trace })) : "")));
    if (t.attempt > 0 && !t.errors.some((e) => e.attempt === t.attempt)) {
      rows.push(el("tr", {}, el("td", { text: t.attempt }), el("td", {}, when(t.started_at)), el("td", { text: t.last_node || "–" }),
        el("td", {}, t.state === "running" ? "running" : t.state + (t.finished_at ? " " : ""), t.finished_at ? when(t.finished_at) : "")));
    }
    attempts.replaceChildren(rows.length
      ? el("div", { class: "scroll" }, el("table", { id: "attempts" }, el("thead", {}, el("tr", {}, ...["Attempt", "Started or failed", "Node", "Outcome"].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, ...rows)))
      : el("p", { text: "Not run yet." }));
    const buttons = [];
    if (["scheduled", "queued", "running"].includes(t.state)) {
      buttons.push(el("button", { type: "button", class: "danger", id: "cancel", onclick: () => act("Cancel", () => api("POST", "/tasks/" + id + "/cancel")).then(refresh) }, "Cancel"));
    }
    if (["failed", "cancelled"].includes(t.state)) {
      buttons.push(el("button", { type: "button", id: "retry", onclick: () => act("Retry", () => api("POST", "/tasks/" + id + "/retry")).then(refresh) }, "Retry"));
    }
    if (t.state === "scheduled") {
      buttons.push(el("button", { type: "button", id: "run-now", onclick: () => act("Run now", () => api("POST", "/tasks/" + id + "/run-now")).then(refresh) }, "Run now"));
    }
    actions.replaceChildren(...buttons);
    actions.dataset.state = t.state;
  }
  await refresh();
  detailTimer = setInterval(refresh, 1000); // progress, state and the reason stay current
}

// ------------------------------------------------------------------ nodes

function renderNodes() {
  const body = el("tbody");
  main.replaceChildren(el("h1", { text: "Nodes" }), el("div", { class: "scroll" },
    el("table", { id: "nodes" }, el("thead", {}, el("tr", {},
      ...["Node", "Heartbeat", "Running", "Concurrency", "Types", "Started"].map((h) => el("th", { scope: "col", text: h })))), body)));
  onOverview = (o) => {
    body.replaceChildren(...o.nodes.nodes.map((n) => el("tr", {},
      el("th", { scope: "row" }, n.id, el("br"), el("small", { text: `process ${n.pid} on ${n.host}` })),
      el("td", { text: n.heartbeat_age_seconds.toFixed(1) + " s ago" + (n.live ? "" : ", silent: its tasks return to their queues as their leases expire") }),
      el("td", {}, String(n.running_count), n.running.length ? el("ul", {}, ...n.running.map((r) => el("li", {}, el("a", { href: "#/tasks/" + r.id, text: r.type + " " + r.id.slice(0, 8) + "…" }), " " + r.progress + "%"))) : ""),
      el("td", { class: "num", text: n.concurrency }),
      el("td", { text: n.types.join(", ") }),
      el("td", {}, when(n.started_at)))));
  };
  if (overview) onOverview(overview);
}

// ------------------------------------------------------------------ routing

function route() {
  clearInterval(detailTimer);
  onOverview = null;
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query] = hash.split("?");
  const params = new URLSearchParams(query || "");
  const section = path.startsWith("/tasks") ? "tasks" : path.startsWith("/nodes") ? "nodes" : "overview";
  for (const a of document.querySelectorAll("nav a[data-nav]")) {
    if (a.dataset.nav === section) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const m = path.match(/^\/tasks\/([0-9a-fA-F-]{36})$/);
  if (m) renderTask(m[1]);
  else if (section === "tasks") renderTasks(params);
  else if (section === "nodes") renderNodes();
  else renderOverview();
  main.focus({ preventScroll: true });
}

window.addEventListener("hashchange", route);
window.tasklaneLoadedAt = Date.now(); // lets tests tell a live update from a reload
connect();
route();
