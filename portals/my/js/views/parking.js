// Parking: lots near a point with their free spaces, reserve one, my reservations.

import { api } from "../api.js";
import { field, h, keepDraft, notify, onSubmit, statusBadge, when } from "../dom.js";
import { t } from "../i18n.js";
import { currentPlace, placeForm } from "../place.js";

// datetime-local wants "YYYY-MM-DDTHH:MM" in local time.
function localInput(date) {
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return shifted.toISOString().slice(0, 16);
}

function reserveForm(lots, redraw) {
  const start = new Date(Date.now() + 60 * 60000);
  start.setMinutes(0, 0, 0);
  const end = new Date(start.getTime() + 2 * 60 * 60000);
  const form = h(
    "form",
    { id: "reserve-form", novalidate: true },
    field(t("parking.lot"), "lot_id", {
      tag: "select",
      required: true,
      options: lots.map((lot) => [lot.lot_id, `${lot.name} · ${t("parking.free", { free: lot.free_spaces })}`]),
    }),
    field(t("parking.starts_at"), "starts_at", { type: "datetime-local", required: true, value: localInput(start) }),
    field(t("parking.ends_at"), "ends_at", { type: "datetime-local", required: true, value: localInput(end) }),
    h("button", { type: "submit", class: "primary" }, t("parking.reserve")),
  );
  const done = keepDraft(form, "parking");
  onSubmit(form, async (data) => {
    const instant = (name) => {
      const value = new Date(data.get(name));
      return Number.isNaN(value.getTime()) ? data.get(name) : value.toISOString();
    };
    await api("POST", "/api/v1/traffic/parking/reservations", {
      body: { lot_id: data.get("lot_id"), starts_at: instant("starts_at"), ends_at: instant("ends_at") },
    });
    done();
    await redraw();
    notify(t("parking.reserved"));
  });
  return form;
}

function reservationItem(item, lotNames, redraw) {
  const cancel = async () => {
    await api("POST", `/api/v1/traffic/parking/reservations/${item.reservation_id}/cancel`);
    await redraw();
    notify(t("parking.cancelled"));
  };
  return h(
    "li",
    { class: "card", "data-lot": item.lot_id },
    h("strong", {}, lotNames[item.lot_id] || item.lot_id),
    " ",
    statusBadge(item.status),
    h("br"),
    `${when(item.starts_at)} – ${when(item.ends_at)}`,
    item.status === "reserved"
      ? h("div", { class: "actions" }, h("button", { type: "button", onclick: cancel }, t("parking.cancel")))
      : null,
  );
}

export async function render(page, { redraw }) {
  const place = currentPlace();
  const [lots, mine] = await Promise.all([
    api("GET", `/api/v1/traffic/parking/lots?lat=${place.lat}&lon=${place.lon}&radius=5000`, { auth: false }),
    api("GET", "/api/v1/traffic/parking/reservations"),
  ]);
  const lotNames = Object.fromEntries(lots.items.map((lot) => [lot.lot_id, lot.name]));
  page.append(
    h("h2", {}, t("parking.title")),
    placeForm(() => redraw()),
    h("h3", {}, t("parking.near")),
    lots.items.length
      ? h(
          "ul",
          { class: "plain", id: "lots" },
          ...lots.items.map((lot) =>
            h(
              "li",
              { class: "card", "data-lot": lot.lot_id },
              h("strong", {}, lot.name),
              h("br"),
              t("parking.lot_line", {
                free: lot.free_spaces,
                capacity: lot.capacity,
                price: lot.price_per_hour,
                distance: Math.round(lot.distance_m),
              }),
            ),
          ),
        )
      : h("p", { class: "muted" }, t("parking.no_lots")),
    lots.items.length ? h("div", { class: "card" }, h("h3", {}, t("parking.reserve")), reserveForm(lots.items, redraw)) : null,
    h("h3", {}, t("parking.mine")),
    mine.items.length
      ? h("ul", { class: "plain", id: "reservations" }, ...mine.items.map((item) => reservationItem(item, lotNames, redraw)))
      : h("p", { class: "muted", id: "no-reservations" }, t("parking.none")),
  );
}
