// The enforcesim page: plain JavaScript over the JSON API (docs/web-api.md), charts drawn as
// inline SVG. No build step and no network access beyond this server.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { info: null, levers: {}, values: {}, runs: {}, poll: null, token: null };
const fmt = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const fmt1 = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const usd = (x) => x == null ? "n/a" : "$" + (Math.abs(x) >= 1e9 ? fmt1.format(x / 1e9) + "B"
  : Math.abs(x) >= 1e6 ? fmt1.format(x / 1e6) + "M" : fmt.format(x));
const num = (x) => x == null ? "n/a" : Math.abs(x) < 10 ? fmt1.format(x) : fmt.format(x);
const pct = (x) => x == null ? "n/a" : Math.round(x * 100) + " %";

// --- the API ---------------------------------------------------------------------------------
async function api(method, path, body) {
  const headers = { "Accept": "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (state.token) headers["Authorization"] = "Bearer " + state.token;
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const doc = await r.json().catch(() => ({}));
  if (!r.ok) { const e = new Error(problemText(doc.detail, r.status)); e.status = r.status; throw e; }
  return doc;
}

function problemText(detail, status) {
  if (!detail) return "The server answered " + status + ".";
  if (typeof detail === "string") return detail;
  if (detail.problems) return detail.problems.map((p) =>
    p.field + (p.value !== undefined ? " = " + JSON.stringify(p.value) : "") + ": " + p.message).join("\n");
  if (Array.isArray(detail)) return detail.map((d) => (d.loc || []).join(".") + ": " + d.msg).join("\n");
  return JSON.stringify(detail);
}

// --- the URL: the scenario and the changed levers ----------------------------------------------
function leverToText(lever, v) {
  if (lever.kind === "steps") return v.length ? v.map((s) => s[0] + ":" + s[1]).join(",") : "none";
  if (lever.kind === "shares") return Object.entries(v).map(([k, x]) => k + ":" + x).join(",");
  if (v === null) return "unlimited";
  return String(v);
}

function leverFromText(lever, text) {
  if (lever.kind === "steps") return text === "none" ? [] : text.split(",").map((s) => s.split(":").map(Number));
  if (lever.kind === "shares") return Object.fromEntries(text.split(",").map((s) => { const [k, x] = s.split(":"); return [k, Number(x)]; }));
  if (lever.kind === "choice") return text;
  if (text === "unlimited") return null;
  return Number(text);
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

function changedLevers() {
  const out = {};
  for (const [id, lever] of Object.entries(state.levers)) {
    if (!same(state.values[id], lever.value)) out[id] = state.values[id];
  }
  return out;
}

function writeUrl() {
  const q = new URLSearchParams();
  if (state.info.upload) q.set("upload", state.info.upload); else q.set("scenario", state.info.name);
  for (const [id, v] of Object.entries(changedLevers())) q.set(id, leverToText(state.levers[id], v));
  const reps = $("replicates").value, seed = $("seed").value;
  if (reps && Number(reps) !== state.info.replicates) q.set("replicates", reps);
  if (seed && Number(seed) !== state.info.seed) q.set("seed", seed);
  history.replaceState(null, "", "?" + q.toString() + location.hash);
}

// --- the form ----------------------------------------------------------------------------------
function dayToDate(day) {
  if (!state.info.start_date) return null;
  const d = new Date(state.info.start_date + "T00:00:00Z");
  d.setUTCDate(d.getUTCDate() + Number(day));
  return d.toISOString().slice(0, 10);
}
function dateToDay(text) {
  const a = new Date(state.info.start_date + "T00:00:00Z"), b = new Date(text + "T00:00:00Z");
  return Math.round((b - a) / 86400000);
}

function leverField(lever) {
  const div = document.createElement("div");
  div.className = "lever " + lever.kind;
  div.dataset.lever = lever.id;
  const id = "lever-" + lever.id.replace(/\W/g, "-");
  const unit = lever.unit ? ` <span class="unit">(${lever.unit})</span>` : "";
  const help = lever.help ? `<span class="help" id="${id}-help">${lever.help}</span>` : "";
  const v = state.values[lever.id];
  if (lever.kind === "number" || lever.kind === "choice") {
    const input = lever.kind === "choice" ? document.createElement("select") : document.createElement("input");
    if (lever.kind === "choice") {
      for (const c of lever.choices) input.add(new Option(c, c, false, c === v));
    } else {
      input.type = "number"; input.step = "any";
      if (lever.min !== null) input.min = lever.min;
      if (lever.max !== null) input.max = lever.max;
      input.value = v === null ? "" : v;
      if (lever.id === "beds") input.placeholder = "unlimited";
    }
    input.id = id; input.name = lever.id;
    if (lever.help) input.setAttribute("aria-describedby", id + "-help");
    input.addEventListener("change", () => {
      state.values[lever.id] = lever.kind === "choice" ? input.value : (input.value === "" ? (lever.id === "beds" ? null : lever.value) : Number(input.value));
      markChanged(div, lever);
    });
    div.innerHTML = `<label for="${id}">${lever.label}${unit}</label>`;
    div.appendChild(input);
    if (help) div.insertAdjacentHTML("beforeend", "<br>" + help);
  } else if (lever.kind === "shares") {
    div.innerHTML = `<span class="label" id="${id}">${lever.label}</span>`;
    for (const [name, share] of Object.entries(v)) {
      const row = document.createElement("div"); row.className = "row";
      const inp = document.createElement("input");
      inp.type = "number"; inp.min = 0; inp.max = 100; inp.step = "any";
      inp.value = Math.round(share * 1000) / 10; inp.id = id + "-" + name;
      inp.setAttribute("aria-label", lever.label + ": " + name.replace(/_/g, " ") + " (percent)");
      inp.addEventListener("change", () => {
        state.values[lever.id] = { ...state.values[lever.id], [name]: Number(inp.value) / 100 };
        markChanged(div, lever);
      });
      row.append(inp, document.createTextNode(" % " + name.replace(/_/g, " ")));
      div.appendChild(row);
    }
  } else if (lever.kind === "steps") {
    div.innerHTML = `<span class="label" id="${id}">${lever.label}${unit}</span>`;
    const rows = document.createElement("div");
    const draw = () => {
      rows.replaceChildren();
      state.values[lever.id].forEach((step, i) => {
        const row = document.createElement("div"); row.className = "row";
        const when = document.createElement("input");
        if (state.info.start_date) { when.type = "date"; when.value = dayToDate(step[0]); }
        else { when.type = "number"; when.value = step[0]; }
        when.setAttribute("aria-label", `${lever.label}: step ${i + 1}, ${state.info.start_date ? "from date" : "from day"}`);
        const n = document.createElement("input");
        n.type = "number"; n.min = 0; n.value = step[1];
        n.setAttribute("aria-label", `${lever.label}: step ${i + 1}, ${lever.step_field}`);
        const del = document.createElement("button");
        del.type = "button"; del.textContent = "Remove"; del.setAttribute("aria-label", `Remove step ${i + 1} of ${lever.label}`);
        const update = () => {
          const day = state.info.start_date ? dateToDay(when.value) : Number(when.value);
          const steps = state.values[lever.id].map((s) => s.slice());
          steps[i] = [day, Number(n.value)];
          state.values[lever.id] = steps; markChanged(div, lever);
        };
        when.addEventListener("change", update); n.addEventListener("change", update);
        del.addEventListener("click", () => {
          state.values[lever.id] = state.values[lever.id].filter((_, j) => j !== i);
          markChanged(div, lever); draw();
        });
        row.append(when, n, document.createTextNode(" " + lever.step_field), del);
        rows.appendChild(row);
      });
    };
    draw();
    const add = document.createElement("button");
    add.type = "button"; add.textContent = "Add a step";
    add.setAttribute("aria-label", "Add a step to " + lever.label);
    add.addEventListener("click", () => {
      const steps = state.values[lever.id];
      const last = steps.length ? steps[steps.length - 1] : [0, 0];
      state.values[lever.id] = [...steps, [Math.min(last[0] + 90, (state.info.days || 365) - 1), last[1]]];
      markChanged(div, lever); draw();
    });
    div.append(rows, add);
  }
  markChanged(div, lever);
  return div;
}

function markChanged(div, lever) {
  div.classList.toggle("changed", !same(state.values[lever.id], lever.value));
}

function renderLevers() {
  const box = $("levers");
  box.replaceChildren();
  const groups = {};
  for (const lever of state.info.levers) {
    if (!groups[lever.group]) {
      const fs = document.createElement("fieldset");
      fs.innerHTML = `<legend>${lever.group}</legend>`;
      groups[lever.group] = fs; box.appendChild(fs);
    }
    groups[lever.group].appendChild(leverField(lever));
  }
}

async function loadScenario(params) {
  const path = params.get("upload") ? "/api/uploads/" + params.get("upload")
    : "/api/scenarios/" + encodeURIComponent(params.get("scenario") || $("scenario").value);
  state.info = await api("GET", path);
  state.levers = Object.fromEntries(state.info.levers.map((l) => [l.id, l]));
  state.values = Object.fromEntries(state.info.levers.map((l) => [l.id, structuredClone(l.value)]));
  for (const [k, text] of params.entries()) {
    if (state.levers[k]) state.values[k] = leverFromText(state.levers[k], text);
  }
  if (state.info.name) $("scenario").value = state.info.name;
  $("description").textContent = state.info.description;
  $("replicates").value = params.get("replicates") || state.info.replicates || "";
  $("seed").value = params.get("seed") || state.info.seed || 0;
  renderLevers();
}

// --- runs ----------------------------------------------------------------------------------------
function runBody(levers) {
  const body = state.info.upload ? { upload: state.info.upload } : { library: state.info.name };
  body.levers = levers;
  if ($("replicates").value) body.replicates = Number($("replicates").value);
  if ($("seed").value !== "") body.seed = Number($("seed").value);
  return body;
}

async function run() {
  showErrors(null);
  writeUrl();
  const levers = changedLevers();
  clearInterval(state.poll);
  state.runs = {};
  $("status").textContent = "Starting…";
  try {
    const base = await api("POST", "/api/runs", runBody({}));
    state.runs.base = { id: base.id };
    if (Object.keys(levers).length) {
      const changed = await api("POST", "/api/runs", runBody(levers));
      state.runs.changed = { id: changed.id };
    }
  } catch (e) {
    showErrors(e.message); $("status").textContent = "Not run: see the problems above."; return;
  }
  state.poll = setInterval(poll, 400);
  poll();
}

async function poll() {
  const ids = Object.entries(state.runs);
  let active = false;
  for (const [role, r] of ids) {
    if (r.final) continue;
    let doc;
    try { doc = await api("GET", "/api/runs/" + r.id); } catch (e) { showErrors(e.message); continue; }
    r.doc = doc;
    const live = doc.status === "queued" || doc.status === "running";
    if (doc.status === "done" || (doc.status === "running" && doc.partial && doc.partial.replicates_done !== r.shown)) {
      try {
        const s = await api("GET", "/api/runs/" + r.id + "/series");
        r.series = s.series; r.record = s.record;
        r.shown = doc.partial ? doc.partial.replicates_done : "all";
      } catch (e) { /* a series not ready yet: the next poll asks again */ }
    }
    if (!live) r.final = true; else active = true;
  }
  render();
  $("cancel").hidden = !(state.runs.changed && !state.runs.changed.final);
  if (!active) clearInterval(state.poll);
}

async function cancel() {
  const r = state.runs.changed;
  if (!r) return;
  try { const d = await api("DELETE", "/api/runs/" + r.id); $("status").textContent = d.note || "Cancelled."; }
  catch (e) { showErrors(e.message); }
}

function showErrors(text) {
  $("errors").hidden = !text;
  $("errors").textContent = text || "";
}

// --- rendering -----------------------------------------------------------------------------------
function current() { return state.runs.changed || state.runs.base; }

function answerOf(r) {
  if (!r || !r.doc) return null;
  if (r.doc.status === "done") return { headline: r.doc.headline, binding: r.doc.binding, reps: r.doc.summary.replicates, summary: r.doc.summary };
  if (r.doc.partial) return { headline: r.doc.partial.headline, binding: r.doc.partial.binding, reps: r.doc.partial.replicates_done, partial: true };
  return null;
}

function render() {
  const r = current();
  if (!r || !r.doc) return;
  const doc = r.doc;
  const ans = answerOf(r);
  $("progress").value = doc.progress;
  const total = (doc.request && doc.request.replicates) || state.info.replicates;
  const words = {
    queued: "Queued" + (doc.queued_ahead ? ` behind ${doc.queued_ahead} job(s)` : "") + "…",
    running: ans ? `Running: first answer from ${ans.reps} of ${total} replicates, refining…` : "Running…",
    done: `Done: ${ans ? ans.reps : total} replicates` + (state.runs.changed ? " (your levers) beside the unchanged scenario." : " of the unchanged scenario."),
    failed: "Failed.", cancelled: "Cancelled.", interrupted: "Interrupted by a server restart: run again.",
  };
  $("status").textContent = (doc.note ? doc.note + ". " : "") + (words[doc.status] || doc.status);
  if (doc.status === "failed" && doc.error) showErrors(problemText(doc.error, 422));
  if (ans) renderHeadline(ans);
  renderCompare();
  renderDownloads(r);
  renderCharts();
}

function card(title, big, small, cls) {
  return `<div class="card"><h4>${title}</h4><div class="big ${cls || ""}">${big}</div><div class="muted">${small || ""}</div></div>`;
}
const range = (v, f) => v ? `${f(v.lo)} – ${f(v.hi)}` : "";

function renderHeadline(ans) {
  const h = ans.headline, out = [];
  const names = { ice_arrests_per_day: "ICE arrests per day", removals_per_day: "Removals per day",
    book_ins_per_day: "Book-ins per day", admitted_per_day: "Admitted per day" };
  for (const [name, t] of Object.entries(h.targets || {})) {
    const met = t.probability_met >= 0.5;
    out.push(card(`Target: ${names[name] || name} ≥ ${num(t.target)}`,
      `${met ? "Met" : "Not met"}`, `in ${pct(t.probability_met)} of replicates; achieved ${num(t.achieved)}`, met ? "ok" : "no"));
  }
  if (h.cost_per_removal) out.push(card("Cost per removal (all-in)", usd(h.cost_per_removal.mean), "range " + range(h.cost_per_removal, usd)));
  if (h.throttled_beds_per_day) out.push(card("Arrests not made for lack of beds", num(h.throttled_beds_per_day.mean) + " /day", "range " + range(h.throttled_beds_per_day, num)));
  if (h.turned_away_per_day) out.push(card("Turned away for lack of beds", num(h.turned_away_per_day.mean) + " /day", "range " + range(h.turned_away_per_day, num)));
  const binds = Object.entries(ans.binding || {}).sort((a, b) => b[1] - a[1]);
  if (binds.length) out.push(card("What binds (share of days)", binds[0][1] > 0 ? binds[0][0] : "nothing",
    binds.map(([k, v]) => `${k} ${pct(v)}`).join(", ")));
  if (ans.partial) out.push(card("Provisional", `${ans.reps} replicate(s)`, "refining as replicates finish"));
  $("headline").innerHTML = out.join("");
}

const COMPARE = [
  ["ICE arrests per day", (s) => s.metrics.ice_arrests_per_day, num],
  ["Book-ins per day", (s) => s.metrics.book_ins_per_day, num],
  ["Removals per day", (s) => s.metrics.removals_per_day, num],
  ["Detained (mean)", (s) => s.metrics.detained, num],
  ["Turned away per day", (s) => s.metrics.turned_away_per_day, num],
  ["Arrests not made for lack of beds, per day", (s) => s.metrics.arrests_foregone_beds_per_day, num],
  ["Arrests not made for lack of officers, per day", (s) => s.metrics.arrests_foregone_officers_per_day, num],
  ["Cost per removal (all-in)", (s) => s.costs && s.costs.metrics.cost_all_in_per_removal, usd],
  ["Total cost (all-in)", (s) => s.costs && s.costs.metrics.cost_all_in_total, usd],
];

function renderCompare() {
  const b = state.runs.base && state.runs.base.doc, c = state.runs.changed && state.runs.changed.doc;
  const bs = b && b.status === "done" ? b.summary : null, cs = c && c.status === "done" ? c.summary : null;
  const rows = ["<caption class=\"muted\">Means over replicates, with the 2.5–97.5 % range; same seed</caption>",
    "<tr><th scope=\"col\">Metric</th><th scope=\"col\">Unchanged</th>" + (c ? "<th scope=\"col\">Changed</th><th scope=\"col\">Difference</th>" : "") + "</tr>"];
  for (const [label, get, f] of COMPARE) {
    const bv = bs && get(bs), cv = cs && get(cs);
    if (!(bv && bv.mean != null) && !(cv && cv.mean != null)) continue;
    const cell = (v) => v && v.mean != null ? `${f(v.mean)}<br><span class="muted">${range(v, f)}</span>` : (c || !bs ? "…" : "n/a");
    let diff = "";
    if (c) diff = bv && cv && bv.mean != null && cv.mean != null ? (cv.mean - bv.mean >= 0 ? "+" : "−") + f(Math.abs(cv.mean - bv.mean)) : "…";
    rows.push(`<tr><th scope="row">${label}</th><td>${cell(bv)}</td>` + (c ? `<td>${cell(cv)}</td><td>${diff}</td>` : "") + "</tr>");
  }
  $("compare").innerHTML = rows.join("");
}

function renderDownloads(r) {
  const files = r.doc && r.doc.files;
  if (!files) { $("downloads").textContent = ""; return; }
  const label = (u) => u.split("/").pop();
  $("downloads").innerHTML = "Download: " + files.filter((u) => /scenario\.toml|summary\.json|daily\.(csv|parquet)$/.test(u))
    .map((u) => `<a href="${u}" download>${label(u)}</a>`).join("");
}

// --- charts: inline SVG ------------------------------------------------------------------------
const W = 460, H = 230, M = { l: 56, r: 10, t: 10, b: 28 };

function niceMax(x) {
  if (!(x > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(x)));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

function el(name, attrs, text) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function xLabel(day) {
  const d = dayToDate(day);
  return d ? d.slice(0, 7) : "day " + day;
}

function chart(key, spec) {
  // spec: { title, days: [...], lines: [{label, values, color, dash, band}], steps, points, ymax, fmt }
  const fig = document.createElement("figure");
  fig.dataset.chart = key;
  const titleId = "chart-" + key;
  fig.innerHTML = `<figcaption id="${titleId}">${spec.title}</figcaption>`;
  const all = [];
  for (const l of spec.lines) { all.push(...(l.band ? l.band.hi : l.values)); }
  for (const p of spec.points || []) all.push(p[1]);
  if (spec.goal != null) all.push(spec.goal);
  const ymax = spec.ymax || niceMax(Math.max(...all.filter((v) => v != null && isFinite(v)), 0) * 1.05);
  const xmax = Math.max(spec.totalDays - 1, 1);
  const X = (d) => M.l + (W - M.l - M.r) * d / xmax, Y = (v) => H - M.b - (H - M.t - M.b) * v / ymax;
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": titleId + " " + titleId + "-desc" });
  svg.appendChild(el("desc", { id: titleId + "-desc" }, spec.desc));
  for (let i = 0; i <= 4; i++) {
    const v = ymax * i / 4, y = Y(v);
    svg.appendChild(el("line", { x1: M.l, x2: W - M.r, y1: y, y2: y, stroke: "#e4e8ee" }));
    svg.appendChild(el("text", { x: M.l - 4, y: y + 4, "text-anchor": "end" }, spec.fmt(v)));
  }
  for (let i = 0; i <= 4; i++) {
    const d = Math.round(xmax * i / 4);
    svg.appendChild(el("text", { x: X(d), y: H - 8, "text-anchor": i === 0 ? "start" : i === 4 ? "end" : "middle" }, xLabel(d)));
  }
  const path = (xs, ys) => xs.map((x, i) => ys[i] == null ? null : `${X(x)},${Y(ys[i])}`).filter(Boolean).join(" L");
  for (const l of spec.lines) {
    if (l.band) {
      const up = spec.days.map((d, i) => `${X(d)},${Y(l.band.hi[i] ?? 0)}`);
      const down = spec.days.map((d, i) => `${X(d)},${Y(l.band.lo[i] ?? 0)}`).reverse();
      svg.appendChild(el("path", { d: "M" + up.concat(down).join(" L") + " Z", fill: l.fill || "rgba(11,92,173,0.18)", stroke: "none" }));
    }
    const values = l.band ? l.band.mean : l.values;
    svg.appendChild(el("path", { d: "M" + path(spec.days, values), fill: "none", stroke: l.color, "stroke-width": 2, "stroke-dasharray": l.dash || "" }));
  }
  if (spec.goal != null) {
    svg.appendChild(el("line", { x1: M.l, x2: W - M.r, y1: Y(spec.goal), y2: Y(spec.goal), stroke: "#a4161a", "stroke-dasharray": "6 3" }));
  }
  if (spec.steps) {
    svg.appendChild(el("path", { d: "M" + path(spec.days, spec.steps), fill: "none", stroke: "#333", "stroke-width": 1.5, "stroke-dasharray": "2 2" }));
  }
  for (const p of spec.points || []) {
    svg.appendChild(el("circle", { cx: X(p[0]), cy: Y(p[1]), r: 4, fill: "#1b6e2d" }));
  }
  fig.appendChild(svg);
  const legend = document.createElement("div");
  legend.className = "legend";
  const item = (c, t) => {  // colours through the CSSOM: the page's CSP allows no inline styles
    const span = document.createElement("span");
    span.style.setProperty("--c", c); span.textContent = t; legend.appendChild(span);
  };
  spec.lines.forEach((l) => item(l.color, l.label));
  if (spec.goal != null) item("#a4161a", "goal " + spec.fmt(spec.goal));
  if (spec.steps) item("#333", "beds");
  if (spec.points && spec.points.length) item("#1b6e2d", spec.pointsLabel);
  fig.appendChild(legend);
  // the same numbers as a table, every fourth week
  const det = document.createElement("details");
  const heads = spec.lines.map((l) => `<th scope="col">${l.label}</th>`).join("");
  const rows = spec.days.map((d, i) => i % 4 ? "" : `<tr><td>${xLabel(d)}</td>` + spec.lines.map((l) => {
    const v = l.band ? l.band.mean[i] : l.values[i];
    return `<td>${v == null ? "" : spec.fmt(v)}${l.band ? ` <span class="muted">(${spec.fmt(l.band.lo[i])}–${spec.fmt(l.band.hi[i])})</span>` : ""}</td>`;
  }).join("") + "</tr>").join("");
  det.innerHTML = `<summary>Data table: ${spec.title}</summary><div class="scroll"><table><tr><th scope="col">Week of</th>${heads}</tr>${rows}</table></div>`;
  fig.appendChild(det);
  return fig;
}

function renderCharts() {
  const c = state.runs.changed && state.runs.changed.series, b = state.runs.base && state.runs.base.series;
  const main = c || b;
  if (!main) return;
  const rec = (state.runs.changed || state.runs.base).record || {};
  const days = main.week_days;
  const area = $("chart-area");
  area.replaceChildren();
  const last = (a) => a[a.length - 1];
  const desc = (title, band, f) => `${title}: in the last week a mean of ${f(last(band.mean))} (range ${f(last(band.lo))} to ${f(last(band.hi))}).`;
  const lines = (key) => {
    const out = [{ label: c ? "your levers" : "scenario", band: main[key].band, color: "#0b5cad" }];
    if (c && b && b[key] && b.week_days.length === days.length) out.push({ label: "unchanged", values: b[key].band.mean, color: "#8a4b00", dash: "5 3" });
    return out;
  };
  const add = (key, title, f, extra) => {
    if (!main[key]) return;
    const r = rec[key];
    area.appendChild(chart(key, { title, days, totalDays: main.days, lines: lines(key), fmt: f,
      desc: desc(title, main[key].band, f) + (r ? ` ICE's record: ${r.points.map((p) => p[2] + " " + f(p[1])).join(", ")}.` : ""),
      points: r ? r.points : [], pointsLabel: r ? r.label : "", ...extra }));
  };
  add("arrests", main.arrests.label, num, { goal: main.arrests.goal });
  add("detained", "Detained vs beds", num, { steps: main.detained.beds });
  add("removals", "Removals per day", num, { goal: main.removals.goal });
  add("costs", "Cumulative cost (billion USD)", (v) => "$" + fmt1.format(v) + "B", {});
  if (main.turned_away && main.turned_away.band.hi.some((v) => v > 0)) {
    add("turned_away", "Turned away per day for lack of beds", num, {});
  }
  const names = Object.keys(main.binding || {});
  if (names.length) {
    const colors = ["#0b5cad", "#8a4b00", "#1b6e2d", "#6a3d9a", "#a4161a"];
    area.appendChild(chart("binding", { title: "Binding constraints (share of replicates binding)", days, totalDays: main.days, ymax: 1,
      fmt: pct, lines: names.map((n, i) => ({ label: n, values: main.binding[n], color: colors[i % colors.length] })),
      desc: "Share of replicate-days each constraint binds, by week: " + names.map((n) => `${n} ${pct(main.binding[n].reduce((a, x) => a + (x || 0), 0) / main.binding[n].length)} on average`).join(", ") + "." }));
  }
  $("chart-note").textContent = "Shaded: 2.5–97.5 % over replicates (weekly means); line: the mean" + (c ? "; dashed: the unchanged scenario (same seed)" : "") + "; dots: ICE's 2025 monthly record." + (rec.note ? " " + rec.note + "." : "");
}

// --- start -------------------------------------------------------------------------------------
async function uploadFile(file) {
  $("upload-status").textContent = "Uploading…";
  try {
    const text = await file.text();
    const doc = await api("POST", "/api/uploads", { scenario_toml: text });
    $("upload-status").textContent = "Uploaded: " + doc.sha256.slice(0, 12) + "…";
    await loadScenario(new URLSearchParams({ upload: doc.sha256 }));
    await run();
  } catch (e) { $("upload-status").textContent = ""; showErrors(e.message); }
}

async function start() {
  const m = /token=([^&]+)/.exec(location.hash);
  if (m) sessionStorage.setItem("enforcesim-token", decodeURIComponent(m[1]));
  state.token = sessionStorage.getItem("enforcesim-token");
  try {
    const list = await api("GET", "/api/scenarios");
    for (const s of list) $("scenario").add(new Option(s.title + " (" + s.name + ")", s.name));
    const params = new URLSearchParams(location.search);
    if (!params.get("scenario") && !params.get("upload") && list.some((s) => s.name === "goal-3000-buildout-100k")) {
      $("scenario").value = "goal-3000-buildout-100k";
    }
    await loadScenario(params);
    await run();
  } catch (e) { showErrors(e.message); $("status").textContent = ""; }
  $("form").addEventListener("submit", (ev) => { ev.preventDefault(); run(); });
  $("scenario").addEventListener("change", async () => {
    await loadScenario(new URLSearchParams({ scenario: $("scenario").value })); run();
  });
  $("reset").addEventListener("click", async () => {
    const q = state.info.upload ? { upload: state.info.upload } : { scenario: state.info.name };
    await loadScenario(new URLSearchParams(q)); run();
  });
  $("cancel").addEventListener("click", cancel);
  $("upload").addEventListener("change", (ev) => ev.target.files[0] && uploadFile(ev.target.files[0]));
}

document.addEventListener("DOMContentLoaded", start);
