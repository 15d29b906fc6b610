/* The leaders' dashboard: reads /api/v1/leaders/indicators and /api/v1/ops/overview with the
   API key the leader entered (kept in sessionStorage), draws the indicators, lists live alerts,
   and reads both again every 30 seconds. */
import { render } from "./charts.js";
import * as I18N from "./i18n.js";

const t = I18N.t;
const KEY_STORE = "leaders.apiKey";
const REFRESH_MS = 30000;
const INDICATORS = "/api/v1/leaders/indicators";
const OVERVIEW = "/api/v1/ops/overview";
let last = null; // {indicators, overview, overviewError}: redrawn when the language changes
let timer = null;

const $ = (id) => document.getElementById(id);
const number = (value) =>
  value === null || value === undefined ? "—" : new Intl.NumberFormat(I18N.locale()).format(value);
const percent = (rate) => (rate === null || rate === undefined ? null : Math.round(rate * 1000) / 10);
const day = (iso) => iso.slice(5); // MM-DD
const CITY_TIME = { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
const hour = (iso) => new Date(iso).toLocaleTimeString(I18N.locale(), CITY_TIME);
const urgency = (code) => t(`urgency_${code}`);

class HttpError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
  }
}

async function read(path) {
  const response = await fetch(path, {
    headers: { Authorization: `Bearer ${sessionStorage.getItem(KEY_STORE)}`, Accept: "application/json" },
    cache: "no-store",
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new HttpError(response.status, body);
  return body;
}

// --- the charts, one per indicator ---------------------------------------------------------

function unavailable(indicator) {
  return indicator.status === "ok" ? null : t("unavailable", { source: indicator.source, reason: indicator.reason });
}

function timeLimits(indicator) {
  const affairs = (indicator.data?.affairs || []).filter((a) => a.decided + a.open > 0);
  return {
    id: "time-limits",
    title: t("chart_time_limits"),
    type: "bar",
    horizontal: true,
    labels: affairs.map((a) => a.title),
    datasets: [{ label: t("series_within_rate"), data: affairs.map((a) => percent(a.within_limit_rate)) }],
    yUnit: t("unit_percent"),
    columns: [t("col_affair"), t("col_department"), t("col_decided"), t("col_within"), t("col_open"), t("col_open_overdue"), t("col_rate")],
    rows: affairs.map((a) => [a.title, a.department, number(a.decided), number(a.decided_within_limit), number(a.open), number(a.open_overdue), number(percent(a.within_limit_rate))]),
    unavailable: unavailable(indicator),
  };
}

function parking(indicator) {
  const districts = indicator.data?.districts || [];
  return {
    id: "parking",
    title: t("chart_parking"),
    type: "bar",
    labels: districts.map((d) => d.district),
    datasets: [{ label: t("series_occupancy"), data: districts.map((d) => percent(d.occupancy_rate)) }],
    xUnit: t("col_district"),
    yUnit: t("unit_percent"),
    columns: [t("col_district"), t("col_lots"), t("col_capacity"), t("col_occupied"), t("series_occupancy")],
    rows: districts.map((d) => [d.district, number(d.lots), number(d.capacity), number(d.occupied), number(percent(d.occupancy_rate))]),
    unavailable: unavailable(indicator),
  };
}

function consultations(indicator) {
  const urgencies = indicator.data?.urgencies || [];
  return {
    id: "consultations",
    title: t("chart_consultations"),
    type: "bar",
    stacked: true,
    labels: urgencies.map((u) => urgency(u.urgency)),
    datasets: [
      { label: t("series_open"), data: urgencies.map((u) => u.open - u.overdue) },
      { label: t("series_overdue"), data: urgencies.map((u) => u.overdue) },
    ],
    xUnit: t("col_urgency"),
    yUnit: t("unit_count"),
    columns: [t("col_urgency"), t("col_open"), t("series_overdue")],
    rows: urgencies.map((u) => [urgency(u.urgency), number(u.open), number(u.overdue)]),
    unavailable: unavailable(indicator),
  };
}

function tickets(indicator) {
  const sales = indicator.data?.ticket_sales || [];
  return {
    id: "tickets",
    title: t("chart_tickets"),
    type: "line",
    labels: sales.map((s) => day(s.date)),
    datasets: [
      { label: t("series_tickets"), data: sales.map((s) => s.tickets) },
      { label: t("series_visitors"), data: sales.map((s) => s.visitors) },
    ],
    xUnit: t("col_date"),
    yUnit: t("unit_tickets"),
    columns: [t("col_date"), t("series_tickets"), t("series_visitors")],
    rows: sales.map((s) => [s.date, number(s.tickets), number(s.visitors)]),
    unavailable: unavailable(indicator),
  };
}

function venues(indicator) {
  const top = (indicator.data?.venues || []).slice(0, 10);
  return {
    id: "venues",
    title: t("chart_venues"),
    type: "bar",
    horizontal: true,
    labels: top.map((v) => v.name),
    datasets: [{ label: t("series_load"), data: top.map((v) => percent(v.load_rate)) }],
    yUnit: t("unit_percent"),
    columns: [t("col_venue"), t("col_capacity"), t("col_booked"), t("series_load"), t("col_present")],
    rows: top.map((v) => [v.name, number(v.capacity_today), number(v.booked_today), number(percent(v.load_rate)), number(v.present)]),
    unavailable: unavailable(indicator),
  };
}

function creditLists(indicator) {
  const days = indicator.data?.days || [];
  const series = ["black_added", "black_removed", "red_added", "red_removed"];
  return {
    id: "credit-lists",
    title: t("chart_credit"),
    type: "bar",
    labels: days.map((d) => day(d.date)),
    datasets: series.map((name) => ({ label: t(`series_${name}`), data: days.map((d) => d[name]) })),
    xUnit: t("col_date"),
    yUnit: t("unit_entries"),
    columns: [t("col_date"), ...series.map((name) => t(`series_${name}`))],
    rows: days.map((d) => [d.date, ...series.map((name) => number(d[name]))]),
    unavailable: unavailable(indicator),
  };
}

function events(indicator) {
  const hours = indicator.data?.hours || [];
  const sources = indicator.data?.sources || [];
  return {
    id: "events",
    title: t("chart_events"),
    type: "line",
    labels: hours.map(hour),
    datasets: sources.map((s) => ({ label: s.source, data: s.counts })),
    xUnit: t("col_hour"),
    yUnit: t("unit_events"),
    columns: [t("col_hour"), ...sources.map((s) => s.source)],
    rows: hours.map((h, index) => [
      new Date(h).toLocaleString(I18N.locale(), { ...CITY_TIME, month: "2-digit", day: "2-digit" }),
      ...sources.map((s) => number(s.counts[index])),
    ]),
    unavailable: unavailable(indicator),
  };
}

function deadLetters(indicator) {
  const services = indicator.data?.services || [];
  return {
    id: "dead-letters",
    title: t("chart_dead_letters"),
    type: "bar",
    labels: services.map((s) => s.service),
    datasets: [{ label: t("series_dead_letters"), data: services.map((s) => s.dead_letters ?? 0) }],
    xUnit: t("col_service"),
    yUnit: t("unit_messages"),
    columns: [t("col_service"), t("series_dead_letters")],
    rows: services.map((s) => [s.service, number(s.dead_letters)]),
    unavailable: unavailable(indicator),
  };
}

// --- the operations and emergency view -----------------------------------------------------

function alerts(indicators, overview, overviewError) {
  const items = [];
  if (overviewError) items.push({ kind: "service_down", label: t("ops_unavailable", { reason: overviewError }), detail: "" });
  for (const alert of overview?.alerts || []) {
    items.push({ kind: alert.kind, label: t(`alert_${alert.kind}`), service: alert.service, detail: alert.detail });
  }
  for (const affair of indicators.time_limits.data?.affairs || []) {
    if (affair.open_overdue > 0) {
      items.push({ kind: "overdue_applications", label: t("alert_overdue_applications"), service: "community", detail: t("overdue_applications_detail", { title: affair.title, department: affair.department, count: affair.open_overdue }) });
    }
  }
  for (const item of indicators.consultations.data?.urgencies || []) {
    if (item.overdue > 0) {
      items.push({ kind: "overdue_consultations", label: t("alert_overdue_consultations"), service: "health", detail: t("overdue_consultations_detail", { urgency: urgency(item.urgency), count: item.overdue }) });
    }
  }
  for (const indicator of Object.values(indicators)) {
    if (indicator && indicator.status === "unavailable") {
      items.push({ kind: "indicator_unavailable", label: t("alert_indicator_unavailable"), service: indicator.source, detail: indicator.reason });
    }
  }
  const list = $("alerts");
  list.replaceChildren();
  if (!items.length) {
    const li = document.createElement("li");
    li.className = "alert none";
    li.textContent = t("no_alerts");
    list.appendChild(li);
  }
  for (const item of items) {
    const li = document.createElement("li");
    li.className = `alert ${item.kind}`;
    li.dataset.kind = item.kind;
    if (item.service) li.dataset.service = item.service;
    const label = document.createElement("strong");
    label.textContent = item.label;
    li.appendChild(label);
    li.appendChild(document.createTextNode(` ${item.service || ""} ${item.detail ? "— " + item.detail : ""}`));
    list.appendChild(li);
  }
}

function servicesTable(overview) {
  const body = $("services").querySelector("tbody");
  body.replaceChildren();
  for (const service of overview?.services || []) {
    const row = document.createElement("tr");
    const name = document.createElement("th");
    name.scope = "row";
    name.textContent = service.service;
    row.appendChild(name);
    const values = [t(`status_${service.status}`), service.instances, service.event_queue_depth, service.outbox_backlog, service.dead_letters];
    for (const value of values) {
      const td = document.createElement("td");
      td.textContent = typeof value === "number" ? number(value) : value ?? "—";
      row.appendChild(td);
    }
    row.className = service.status === "ok" ? "" : "down";
    body.appendChild(row);
  }
}

function draw() {
  if (!last) return;
  const { indicators, overview, overviewError } = last;
  const container = $("charts");
  for (const spec of [
    timeLimits(indicators.time_limits),
    parking(indicators.parking),
    consultations(indicators.consultations),
    tickets(indicators.tourism),
    venues(indicators.tourism),
    creditLists(indicators.credit_lists),
    events(indicators.event_throughput),
    deadLetters(indicators.dead_letters),
  ]) {
    render(container, spec, t);
  }
  alerts(indicators, overview, overviewError);
  servicesTable(overview);
  const time = new Date(indicators.as_of).toLocaleString(I18N.locale());
  $("updated").textContent = t("updated", { time });
}

// --- the session ---------------------------------------------------------------------------

async function refresh() {
  $("load-error").textContent = "";
  let indicators;
  try {
    indicators = await read(INDICATORS);
  } catch (error) {
    if (error.status === 401 || error.status === 403) {
      logout(t(error.status === 401 ? "key_refused" : "key_forbidden"));
    } else {
      $("load-error").textContent = t("load_failed", { reason: error.message });
    }
    return;
  }
  let overview = null;
  let overviewError = null;
  try {
    overview = await read(OVERVIEW);
  } catch (error) {
    overviewError = error.message;
  }
  last = { indicators, overview, overviewError };
  draw();
  document.body.dataset.loaded = String(Date.now());
}

function showView() {
  const view = location.hash === "#ops" ? "ops" : "dashboard";
  $("dashboard").hidden = view !== "dashboard";
  $("ops").hidden = view !== "ops";
  for (const name of ["dashboard", "ops"]) {
    const link = $(`nav-${name}`);
    if (name === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function start() {
  $("login").hidden = true;
  $("session").hidden = false;
  refresh();
  clearInterval(timer);
  timer = setInterval(refresh, REFRESH_MS);
}

function logout(message) {
  clearInterval(timer);
  sessionStorage.removeItem(KEY_STORE);
  last = null;
  $("session").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  $("api-key").focus();
}

document.addEventListener("DOMContentLoaded", () => {
  I18N.apply(document);
  I18N.onChange(draw);
  $("lang-toggle").addEventListener("click", () => I18N.toggle());
  $("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("api-key").value.trim();
    if (!key) {
      $("login-error").textContent = t("key_missing");
      return;
    }
    sessionStorage.setItem(KEY_STORE, key);
    $("api-key").value = "";
    start();
  });
  $("refresh").addEventListener("click", refresh);
  $("logout").addEventListener("click", () => logout(""));
  window.addEventListener("hashchange", showView);
  showView();
  if (sessionStorage.getItem(KEY_STORE)) start();
  else logout("");
});
