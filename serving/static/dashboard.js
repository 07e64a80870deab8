// Agora live ops dashboard: renders /v1/analytics/stream (server-sent events) into tiles and charts.
// Plain browser JavaScript, no build step; uPlot is vendored under assets/vendor.
"use strict";

const DOMAINS = ["commerce", "community", "podcast", "identity", "recommendation"];
const COLORS = { commerce: "#58a6ff", community: "#d2a8ff", podcast: "#3fb950", identity: "#d29922", recommendation: "#f778ba" };
const HISTORY_S = 600;
const STALE_MS = 5000;

// key, label, how to read the figure, format, whether a rise is bad, a second line.
const TILES = [
  ["events_per_s", "Events / s", (o) => sumDomains(o.events_per_s), "rate", false, null],
  ["orders_per_min", "Orders / min", (o) => o.orders_per_min, "count", false,
    (o) => o.payment_failure_rate && `payment failures ${FMT.pct(o.payment_failure_rate.value)}`],
  ["gmv_per_min", "GMV / min", (o) => o.gmv_per_min, "money", false,
    (o) => o.aov && `avg order ${FMT.money(o.aov.value)}`],
  ["active_users", "Active users · 5 min", (o) => o.active_users, "count", false,
    (o) => o.active_users_windows && `1 min ${FMT.count(o.active_users_windows["1m"].value)} · 1 h ${FMT.count(o.active_users_windows["60m"].value)}`],
  ["listen_through", "Podcast listen-through", (o) => o.listen_through, "pct", false, null],
  ["moderation_queue", "Moderation queue", (o) => o.moderation_queue, "count", true,
    (o) => o.moderation_flags_per_min && `${FMT.count(o.moderation_flags_per_min.value)} flagged / min (${FMT.count(o.moderation_flags_per_min.previous ?? 0)} before)`],
  ["dead_letters", "Dead letters / min", (o) => o.dead_letters, "count", true,
    (o) => o.dead_letters_total !== null && o.dead_letters_total !== undefined && `${FMT.count(o.dead_letters_total)} in total`],
  ["consumer_lag", "Consumer lag", (o) => lagTotal(o.consumer_lag), "count", true, null],
];

const nf = (digits) => new Intl.NumberFormat(undefined, { maximumFractionDigits: digits });
const FMT = {
  rate: (v) => nf(v < 10 ? 1 : 0).format(v),
  count: (v) => nf(v < 10 ? 1 : 0).format(v),
  money: (v) => nf(v < 100 ? 2 : 0).format(v),
  pct: (v) => nf(1).format(v * 100) + " %",
};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "style") node.style.cssText = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function sumDomains(rates) {
  if (!rates) return null;
  const figs = Object.values(rates);
  const value = figs.reduce((s, f) => s + f.value, 0);
  const prevs = figs.map((f) => f.previous);
  const previous = prevs.some((p) => p === null) ? null : prevs.reduce((s, p) => s + p, 0);
  return { value, previous };
}

function lagTotal(lag) {
  if (!lag || lag.error) return null;
  return { value: Object.values(lag.topics).reduce((s, n) => s + n, 0), previous: null };
}

function periodText(seconds) {
  if (!seconds) return "previous period";
  return seconds % 60 ? `previous ${seconds} s` : seconds === 60 ? "previous min" : `previous ${seconds / 60} min`;
}

function delta(fig, riseIsBad, fallbackS) {
  const period = periodText(fig.period_s || fallbackS);
  if (fig.previous === null || fig.previous === undefined) return ["", "current value"];
  const diff = fig.value - fig.previous;
  if (fig.previous === 0) {
    return diff === 0 ? ["", `= ${period}`] : [riseIsBad ? "bad" : "good", `▲ from 0 the ${period}`];
  }
  const pct = (diff / Math.abs(fig.previous)) * 100;
  const arrow = pct > 0.05 ? "▲" : pct < -0.05 ? "▼" : "=";
  const cls = arrow === "=" ? "" : (pct > 0) !== riseIsBad ? "good" : "bad";
  return [cls, `${arrow} ${nf(1).format(Math.abs(pct))} % vs ${period}`];
}

// "▲ 12.5 %" without the period, for tables and legends.
function shortDelta(text) { return text.replace(/ (vs|the)? ?previous.*$/, ""); }

function renderTiles(o) {
  const box = document.getElementById("kpis");
  const periodS = Math.round(o.period_s || 60);
  box.replaceChildren(...TILES.map(([key, label, read, fmt, riseIsBad, sub]) => {
    const fig = read(o);
    if (!fig) {
      return el("div", { class: "tile na", "data-figure": key },
        el("div", { class: "label" }, label), el("div", { class: "value" }, "—"),
        el("div", { class: "delta" }, "not available yet"));
    }
    const [cls, text] = delta(fig, riseIsBad, periodS);
    const tile = el("div", { class: "tile", "data-figure": key },
      el("div", { class: "label" }, label),
      el("div", { class: "value", "data-testid": `value-${key}` }, FMT[fmt](fig.value)),
      el("div", { class: `delta ${cls}` }, text));
    const second = sub && sub(o);
    if (second) tile.append(el("div", { class: "sub" }, second));
    return tile;
  }));
}

function remPx() { return parseFloat(getComputedStyle(document.documentElement).fontSize) || 16; }

function timeLabel(t) {
  return new Date(t * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

// uPlot draws on a canvas in pixels: fonts, widths and gaps follow the page's rem.
function makeChart(id, series) {
  const box = document.getElementById(id);
  const rem = remPx();
  const font = `${Math.round(rem * 0.8)}px system-ui, sans-serif`;
  const axis = { stroke: "#8b98a5", font, grid: { stroke: "#2a3540", width: 1 }, ticks: { stroke: "#2a3540", width: 1 } };
  const legend = el("div", { class: "legend" });
  box.after(legend);
  const opts = {
    width: box.clientWidth || 400, height: box.clientHeight || 200,
    series: [{}, ...series.map((s) => ({ stroke: s.color, width: Math.max(2, rem / 7), label: s.label, scale: s.scale || "y",
      points: { show: false } }))],
    axes: [
      { ...axis, space: rem * 6, size: rem * 2.2, incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600], values: (u, ticks) => ticks.map(timeLabel) },
      { ...axis, size: rem * 3.6, values: (u, ticks) => ticks.map((v) => nf(1).format(v)) },
      ...(series.some((s) => s.scale === "y2") ? [{ ...axis, scale: "y2", side: 1, grid: { show: false }, size: rem * 4.2,
        values: (u, ticks) => ticks.map((v) => nf(0).format(v)) }] : []),
    ],
    scales: { x: { time: true } },
    legend: { show: false },
    cursor: { show: false },
  };
  const data = [[], ...series.map(() => [])];
  const chart = new uPlot(opts, data, box);
  new ResizeObserver(() => chart.setSize({ width: box.clientWidth, height: box.clientHeight })).observe(box);
  return { chart, data, series, legend };
}

const charts = {};
function pushHistory(o) {
  const t = Date.parse(o.as_of) / 1000;
  const add = (c, figs, fmt) => {
    if (!c) return;
    c.data[0].push(t);
    figs.forEach((f, i) => c.data[i + 1].push(f ? f.value : null));
    while (c.data[0].length && c.data[0][0] < t - HISTORY_S) c.data.forEach((col) => col.shift());
    c.chart.setData(c.data);
    c.legend.replaceChildren(...c.series.map((s, i) => {
      const f = figs[i];
      const [cls, text] = f ? delta(f, false, o.period_s) : ["", ""];
      return el("span", { class: "item", "data-series": s.label },
        el("span", { class: "swatch", style: `background:${s.color}` }), s.label, " ",
        el("b", {}, f ? fmt(f.value) : "—"), " ", el("small", { class: cls }, shortDelta(text)));
    }));
  };
  add(charts.events, DOMAINS.map((d) => (o.events_per_s ? o.events_per_s[d] : null)), FMT.rate);
  add(charts.orders, [o.orders_per_min, o.gmv_per_min], FMT.money);
}

function empty(text) { return el("div", { class: "empty" }, text); }

function renderFunnel(o) {
  const box = document.getElementById("funnel");
  if (!o.funnel) return box.replaceChildren(empty("funnel not available yet"));
  const stages = ["view", "cart", "checkout", "purchase"].filter((s) => o.funnel[s]);
  const top = Math.max(1e-9, ...stages.map((s) => o.funnel[s].value));
  box.replaceChildren(...stages.map((s, i) => {
    const v = o.funnel[s].value;
    const prev = i === 0 ? null : o.funnel[stages[i - 1]].value;
    const conv = prev ? `${nf(1).format((v / prev) * 100)} % of ${stages[i - 1]}` : `sessions, ${periodText(o.funnel[s].period_s).replace("previous ", "last ")}`;
    return el("div", { class: "bar-row", "data-stage": s }, el("span", { class: "name" }, s),
      el("div", { class: "bar" }, el("div", { style: `width:${(v / top) * 100}%` })),
      el("span", { class: "num" }, FMT.count(v), el("small", {}, conv)));
  }));
  const notes = [];
  if (o.funnel_conversion && o.funnel_conversion.view_to_purchase) {
    const f = o.funnel_conversion.view_to_purchase;
    const [cls, text] = delta(f, false, 900);
    notes.push(el("span", {}, "view → purchase ", el("b", {}, FMT.pct(f.value)), " ", el("span", { class: cls }, text)));
  }
  if (o.cart_abandonment) notes.push(el("span", {}, "cart abandonment ", el("b", {}, FMT.pct(o.cart_abandonment.value))));
  if (notes.length) box.append(el("div", { class: "sub funnel-notes" }, ...notes));
}

function renderTrending(o) {
  const box = document.getElementById("trending");
  if (!o.trending) return box.replaceChildren(empty("trending not available yet"));
  box.replaceChildren(...DOMAINS.filter((d) => d in o.trending).map((d) => el("div", {},
    el("h3", {}, el("span", { class: "swatch", style: `background:${COLORS[d]}` }), d),
    (o.trending[d] || []).length
      ? el("ol", {}, ...o.trending[d].slice(0, 5).map((r) => el("li", {}, r.item_id, " ", el("small", {}, nf(1).format(r.score)))))
      : empty("no activity"))));
}

async function acknowledge(productId) {
  const resp = await fetch(`/v1/analytics/alerts/low-stock/${encodeURIComponent(productId)}/ack`, { method: "POST" });
  if (resp.ok) refresh();
}

function renderLowStock(o) {
  const box = document.getElementById("low-stock");
  if (!o.low_stock) return box.replaceChildren(empty("low-stock alerts not available yet"));
  if (!o.low_stock.length) return box.replaceChildren(empty("no product below its threshold"));
  const rows = [...o.low_stock].sort((a, b) => a.acknowledged - b.acknowledged);
  box.replaceChildren(el("table", {},
    el("thead", {}, el("tr", {}, el("th", {}, "product"), el("th", { class: "num" }, "on hand"),
      el("th", { class: "num" }, "threshold"), el("th", {}, ""))),
    el("tbody", {}, ...rows.slice(0, 12).map((a) => el("tr", { class: a.acknowledged ? "acked" : "" },
      el("td", {}, a.product_id), el("td", { class: "num bad" }, a.on_hand ?? "—"), el("td", { class: "num" }, a.threshold ?? "—"),
      el("td", { class: "num" }, a.acknowledged ? "acknowledged"
        : el("button", { "data-ack": a.product_id, onclick: () => acknowledge(a.product_id) }, "Acknowledge")))))));
}

function renderModels(o) {
  const box = document.getElementById("models");
  const rows = o.ctr || [];
  const inService = o.models_in_service;
  const head = inService && inService.length
    ? el("div", { class: "in-service", "data-testid": "in-service" }, ...inService.map((m) => el("div", {},
      el("span", { class: "alias" }, m.alias), " ",
      m.name ? el("b", {}, `${m.name} v${m.version}`) : el("span", { class: "dim" }, "none"),
      m.status && m.status !== "ok" ? el("span", { class: "dim" }, ` · ${m.status}`) : "")))
    : empty(inService ? "no model in service yet" : "model registry not available");
  if (!rows.length) return box.replaceChildren(...[head, empty(o.ctr ? "no recommendation served yet" : "click-through not available yet")].filter(Boolean));
  box.replaceChildren(...[head, el("table", {},
    el("thead", {}, el("tr", {}, el("th", {}, "model"), el("th", {}, "variant"), el("th", { class: "num" }, "served"),
      el("th", { class: "num" }, "clicks"), el("th", { class: "num" }, "CTR"), el("th", { class: "num" }, "vs previous 15 min"),
      el("th", { class: "num" }, "A/B CTR [95%] · lists"))),
    el("tbody", {}, ...rows.map((r) => {
      const [cls, text] = r.ctr ? delta(r.ctr, false, Math.round(o.period_s || 60)) : ["", ""];
      return el("tr", {}, el("td", {}, r.model), el("td", {}, r.variant),
        el("td", { class: "num" }, r.impressions === null ? "—" : FMT.count(r.impressions)),
        el("td", { class: "num" }, r.clicks === null ? "—" : FMT.count(r.clicks)),
        el("td", { class: "num" }, r.ctr ? FMT.pct(r.ctr.value) : "—"),
        el("td", { class: `num ${cls}` }, shortDelta(text)),
        el("td", { class: "num", "data-testid": "ab-arm" }, r.ab ? abArm(r.ab) : ""));
    }))), abDecision(o.experiment)].filter(Boolean));
}

// The A/B test's arm on a CTR row: CTR since the test began with its 95% Wilson interval.
function abArm(ab) {
  if (ab.ctr === null || ab.ctr === undefined) return "";
  const ci = ab.ctr_interval;
  return `${FMT.pct(ab.ctr)} [${FMT.pct(ci.low)}, ${FMT.pct(ci.high)}] · ${FMT.count(ab.served)}`;
}

// The decision (mSPRT, docs/serving.md): collecting, running, won or lost.
function abDecision(exp) {
  const d = exp && exp.decision;
  if (!d || d.status === "no_experiment") return null;
  const lift = d.lift === null ? "" : ` · lift ${(100 * d.lift).toFixed(2)} pts`;
  const ci = d.lift_interval ? ` [${(100 * d.lift_interval.low).toFixed(2)}, ${(100 * d.lift_interval.high).toFixed(2)}]` : "";
  const cls = d.status === "won" ? "good" : d.status === "lost" ? "bad" : "dim";
  return el("div", { class: `ab-decision ${cls}`, "data-testid": "ab-decision" },
    `A/B: challenger ${d.status}${lift}${ci} · ${d.reason}`);
}

function renderModeration(o) {
  const box = document.getElementById("moderation");
  const items = o.moderation_items;
  if (!items) return box.replaceChildren(empty("moderation queue not available yet"));
  if (!items.length) return box.replaceChildren(empty("nothing waiting for review"));
  box.replaceChildren(el("table", {},
    el("thead", {}, el("tr", {}, el("th", {}, "content"), el("th", {}, "reason"), el("th", {}, "detail"), el("th", { class: "num" }, "flagged"))),
    el("tbody", {}, ...items.slice(0, 8).map((f) => el("tr", {},
      el("td", {}, f.target_id ?? "—"), el("td", {}, f.reason ?? "—"), el("td", { class: "dim" }, f.detail ?? ""),
      el("td", { class: "num" }, f.flagged_at ? timeLabel(f.flagged_at) : "—"))))));
}

function renderLag(o) {
  const box = document.getElementById("lag");
  const lag = o.consumer_lag;
  if (!lag) return box.replaceChildren(empty("consumer lag not available"));
  if (lag.error) return box.replaceChildren(empty(lag.error));
  const topics = Object.entries(lag.topics);
  if (!topics.length) return box.replaceChildren(empty("no committed offsets yet"));
  box.replaceChildren(el("table", {}, el("tbody", {}, ...topics.map(([t, n]) =>
    el("tr", { "data-topic": t }, el("td", {}, t), el("td", { class: `num ${n > 1000 ? "bad" : ""}` }, FMT.count(n)))))));
}

let lastAt = 0;
function render(o) {
  lastAt = Date.now();
  window.agoraLastOverview = o; // what the page shows, for tests and the console
  setStatus("live", "live");
  document.getElementById("as-of").textContent = new Date(o.as_of).toLocaleTimeString();
  document.getElementById("period").textContent = `${Math.round(o.period_s || 60)} s`;
  const err = document.getElementById("error");
  err.hidden = !o.error;
  err.textContent = o.error || "";
  renderTiles(o);
  pushHistory(o);
  renderFunnel(o);
  renderTrending(o);
  renderLowStock(o);
  renderModels(o);
  renderLag(o);
  renderModeration(o);
  const missing = document.getElementById("missing");
  missing.hidden = !(o.missing && o.missing.length);
  missing.textContent = o.missing && o.missing.length ? `Not provided by the stream agents yet: ${o.missing.join(", ")}.` : "";
}

function setStatus(cls, text) {
  const s = document.getElementById("status");
  s.className = `status ${cls}`;
  s.textContent = text;
}

async function refresh() {
  const resp = await fetch("/v1/analytics/overview");
  if (resp.ok) render(await resp.json());
}

function connect() {
  const source = new EventSource("/v1/analytics/stream");
  source.addEventListener("overview", (e) => render(JSON.parse(e.data)));
  source.onerror = () => setStatus("connecting", "reconnecting…");
  setInterval(() => { if (lastAt && Date.now() - lastAt > STALE_MS) setStatus("stale", "stale"); }, 1000);
}

window.addEventListener("DOMContentLoaded", () => {
  charts.events = makeChart("chart-events", DOMAINS.map((d) => ({ label: d, color: COLORS[d] })));
  charts.orders = makeChart("chart-orders", [
    { label: "orders / min", color: "#58a6ff" },
    { label: "GMV / min", color: "#d29922", scale: "y2" },
  ]);
  refresh().catch(() => {});
  connect();
});
