// "Near me": the browser's position when the resident allows it, else the city centre; the
// resident can always type a point. Shared by the parking and stops views.

import { field, h } from "./dom.js";
import { t } from "./i18n.js";

export const CITY_CENTRE = { lat: 41.8057, lon: 123.4315 }; // Shenyang, Zhongshan Square
const PLACE = "my.place";

export function currentPlace() {
  try {
    return JSON.parse(sessionStorage.getItem(PLACE)) || CITY_CENTRE;
  } catch {
    return CITY_CENTRE;
  }
}

// A small form: latitude, longitude, "use my position", "search"; `onPlace` redraws.
export function placeForm(onPlace) {
  const place = currentPlace();
  const form = h(
    "form",
    { class: "grid2", id: "place-form" },
    field(t("place.lat"), "lat", { type: "number", step: "any", min: -90, max: 90, value: place.lat, required: true }),
    field(t("place.lon"), "lon", { type: "number", step: "any", min: -180, max: 180, value: place.lon, required: true }),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "primary" }, t("place.search")),
      "geolocation" in navigator
        ? h("button", { type: "button", id: "locate", onclick: () => locate(onPlace) }, t("place.locate"))
        : null,
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const lat = Number.parseFloat(form.elements.lat.value);
    const lon = Number.parseFloat(form.elements.lon.value);
    if (Number.isFinite(lat) && Number.isFinite(lon)) choose({ lat, lon }, onPlace);
  });
  return form;
}

function choose(place, onPlace) {
  sessionStorage.setItem(PLACE, JSON.stringify(place));
  onPlace(place);
}

function locate(onPlace) {
  navigator.geolocation.getCurrentPosition(
    (position) => choose({ lat: position.coords.latitude, lon: position.coords.longitude }, onPlace),
    () => null, // refused or unavailable: the typed point stays
    { timeout: 10000 },
  );
}
