// Venue tickets: my resident-tourist card and its benefits, book a venue for a day priced with
// them, my tickets with their one-time QR code (an SVG the API renders).

import { ApiError, api } from "../api.js";
import { dt, field, h, keepDraft, notify, onSubmit, statusBadge } from "../dom.js";
import { t } from "../i18n.js";

async function myCard() {
  try {
    return await api("GET", "/api/v1/tourism/me");
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

// The QR code as a data: URL (the policy allows no blob: images). The API's SVG is made for
// embedding in a page and names no namespace, which an image of its own needs.
const SVG_NAMESPACE = 'xmlns="http://www.w3.org/2000/svg"';

async function showQr(ticket, holder) {
  const response = await api("GET", `/api/v1/tourism/me/tickets/${encodeURIComponent(ticket.ticket_id)}/qr`, { raw: true });
  let svg = await response.text();
  if (!svg.includes("xmlns=")) svg = svg.replace("<svg", `<svg ${SVG_NAMESPACE}`);
  const url = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  holder.replaceChildren(h("img", { src: url, alt: t("tickets.qr_alt", { date: ticket.visit_date }) }));
  holder.scrollIntoView({ block: "center" });
}

function ticketItem(ticket, venueNames) {
  const holder = h("div", { class: "qr", "aria-live": "polite" });
  return h(
    "li",
    { class: "card", "data-ticket": ticket.ticket_id },
    h("strong", {}, venueNames[ticket.venue_id] || ticket.venue_id),
    " ",
    statusBadge(ticket.status),
    h(
      "dl",
      { class: "facts" },
      dt(t("tickets.visit_date"), ticket.visit_date),
      dt(t("tickets.visitors"), ticket.visitors),
      dt(t("tickets.total"), `¥${ticket.total_price}`),
      dt(t("tickets.benefit"), ticket.benefit ? t(`benefit.${ticket.benefit}`, ticket.benefit) : "—"),
    ),
    ticket.status === "booked"
      ? h("button", { type: "button", class: "show-qr", onclick: () => showQr(ticket, holder) }, t("tickets.show_qr"))
      : null,
    holder,
  );
}

export async function render(page, { redraw }) {
  const [card, venues] = await Promise.all([
    myCard(),
    api("GET", "/api/v1/tourism/venues?limit=100", { auth: false }),
  ]);
  page.append(h("h2", {}, t("tickets.title")));
  if (!card) {
    const get = h("button", { type: "button", class: "primary", id: "get-card" }, t("tickets.get_card"));
    get.addEventListener("click", async () => {
      await api("POST", "/api/v1/tourism/me");
      await redraw();
    });
    page.append(h("p", {}, t("tickets.no_card")), get);
    return;
  }
  const tickets = await api("GET", "/api/v1/tourism/me/tickets?limit=50");
  const venueNames = Object.fromEntries(venues.items.map((venue) => [venue.venue_id, venue.name]));
  page.append(
    h(
      "section",
      { class: "card citizen", "aria-labelledby": "tourist-card" },
      h("h3", { id: "tourist-card" }, t("tickets.card")),
      card.benefits.length
        ? h(
            "ul",
            {},
            ...card.benefits.map((benefit) =>
              h("li", {}, `${t(`benefit.${benefit.kind}`, benefit.kind)} · −${benefit.discount_percent}% · ${benefit.reason}`),
            ),
          )
        : h("p", { class: "muted" }, t("tickets.no_benefits")),
    ),
  );
  if (venues.items.length) {
    // Tomorrow by the city's calendar (the service dates visits in Shenyang), as YYYY-MM-DD.
    const tomorrow = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(
      new Date(Date.now() + 86400000),
    );
    const form = h(
      "form",
      { id: "book-form", novalidate: true },
      field(t("tickets.venue"), "venue_id", {
        tag: "select",
        options: venues.items.map((venue) => [venue.venue_id, `${venue.name} · ¥${venue.price}`]),
      }),
      field(t("tickets.visit_date"), "visit_date", { type: "date", value: tomorrow, required: true }),
      field(t("tickets.visitors"), "visitors", { type: "number", min: 1, max: 20, value: 1, required: true }),
      h("button", { type: "submit", class: "primary" }, t("tickets.book")),
    );
    const done = keepDraft(form, "tickets");
    onSubmit(form, async (data) => {
      await api("POST", "/api/v1/tourism/me/tickets", {
        body: {
          venue_id: data.get("venue_id"),
          visit_date: data.get("visit_date"),
          visitors: Number.parseInt(data.get("visitors"), 10) || 0,
        },
      });
      done();
      await redraw();
      notify(t("tickets.booked"));
    });
    page.append(h("div", { class: "card" }, h("h3", {}, t("tickets.book")), form));
  }
  page.append(
    h("h3", {}, t("tickets.mine")),
    tickets.items.length
      ? h("ul", { class: "plain", id: "tickets" }, ...tickets.items.map((ticket) => ticketItem(ticket, venueNames)))
      : h("p", { class: "muted" }, t("tickets.none")),
  );
}
