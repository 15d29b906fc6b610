// Stops near a point and their next arrivals: a list always, and a Leaflet map of the same
// points drawn without tiles (no tile server is reachable from the page: the policy allows
// this origin only), so it works offline; if Leaflet cannot load, the list is all there is.

import { ApiError, api } from "../api.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { currentPlace, placeForm } from "../place.js";

let leaflet = null;

// Leaflet (about 150 KB) is loaded when the map is first shown, not on the first page.
function loadLeaflet() {
  leaflet ??= new Promise((resolve, reject) => {
    document.head.append(h("link", { rel: "stylesheet", href: "/vendor/leaflet/dist/leaflet.css" }));
    const script = h("script", { src: "/vendor/leaflet/dist/leaflet.js" });
    script.addEventListener("load", () => resolve(window.L));
    script.addEventListener("error", () => {
      leaflet = null;
      reject(new Error("leaflet unavailable"));
    });
    document.head.append(script);
  });
  return leaflet;
}

async function drawMap(container, place, stops) {
  try {
    const L = await loadLeaflet();
    const map = L.map(container, { attributionControl: false, keyboard: true });
    const here = L.circleMarker([place.lat, place.lon], { radius: 8, color: "#9e1b1b", fillOpacity: 0.9 });
    here.bindTooltip(t("stops.you_are_here")).addTo(map);
    const points = [[place.lat, place.lon]];
    for (const stop of stops) {
      if (stop.lat === null || stop.lon === null) continue;
      L.circleMarker([stop.lat, stop.lon], { radius: 6, color: "#0b4fa3", fillOpacity: 0.8 })
        .bindTooltip(stop.name || stop.stop_id)
        .addTo(map);
      points.push([stop.lat, stop.lon]);
    }
    map.fitBounds(L.latLngBounds(points).pad(0.2), { maxZoom: 17 });
    container.dataset.map = "leaflet";
  } catch {
    container.hidden = true; // the list below says everything the map would
  }
}

async function showArrivals(stop, holder, button) {
  button.disabled = true;
  const arrivals = await api("GET", `/api/v1/traffic/stops/${encodeURIComponent(stop.stop_id)}/arrivals`, {
    auth: false,
  }).finally(() => {
    button.disabled = false;
  });
  holder.replaceChildren(
    arrivals.items.length
      ? h(
          "ul",
          { class: "arrivals" },
          ...arrivals.items.map((arrival) =>
            h(
              "li",
              {},
              h("strong", {}, arrival.route_short_name || arrival.route_id),
              ` ${arrival.headsign || ""} · ${arrival.expected.slice(11, 16)}`,
              arrival.delay_s ? h("span", { class: "muted" }, ` (${t("stops.delay", { minutes: Math.round(arrival.delay_s / 60) })})`) : null,
            ),
          ),
        )
      : h("p", { class: "muted" }, t("stops.no_arrivals")),
  );
}

export async function render(page, { redraw }) {
  const place = currentPlace();
  let stops;
  try {
    stops = await api("GET", `/api/v1/traffic/stops?lat=${place.lat}&lon=${place.lon}&radius=1500`, { auth: false });
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
    stops = { items: [], timetable: false }; // no timetable imported yet
  }
  const map = h("div", { id: "map" });
  page.append(
    h("h2", {}, t("stops.title")),
    placeForm(() => redraw()),
    stops.items.length ? h("section", { "aria-label": t("stops.map_label") }, map) : null,
    stops.items.length
      ? h(
          "ul",
          { class: "plain", id: "stops" },
          ...stops.items.map((stop) => {
            const holder = h("div", { "aria-live": "polite" });
            const button = h("button", { type: "button" }, t("stops.next"));
            button.addEventListener("click", () => showArrivals(stop, holder, button));
            return h(
              "li",
              { class: "card", "data-stop": stop.stop_id },
              h("strong", {}, stop.name || stop.stop_id),
              ` · ${t("stops.distance", { metres: Math.round(stop.distance_m) })}`,
              h("div", { class: "actions" }, button),
              holder,
            );
          }),
        )
      : h("p", { class: "muted", id: "no-stops" }, t(stops.timetable === false ? "stops.no_timetable" : "stops.none")),
  );
  // Drawn once the page is in the document (Leaflet measures its container).
  return stops.items.length ? () => drawMap(map, place, stops.items) : null;
}
