// My citizen card and the sector cards linked to it (GET /api/v1/me).

import { api } from "../api.js";
import { dt, h, when } from "../dom.js";
import { t } from "../i18n.js";

export async function render(page) {
  const me = await api("GET", "/api/v1/me");
  page.append(
    h("h2", {}, t("home.title", { name: me.name })),
    h(
      "section",
      { class: "card citizen", "aria-labelledby": "citizen-card" },
      h("h3", { id: "citizen-card" }, t("home.citizen_card")),
      h(
        "dl",
        { class: "facts" },
        dt(t("field.name"), me.name),
        dt(t("field.card_number"), h("span", { id: "card-number" }, me.card_number)),
        dt(t("field.id_number"), me.id_number_masked),
        dt(t("field.phone"), me.phone_masked),
        dt(t("home.registered_at"), when(me.registered_at)),
      ),
    ),
    h(
      "section",
      { "aria-labelledby": "linked-cards" },
      h("h3", { id: "linked-cards" }, t("home.linked_cards")),
      me.linked_cards.length
        ? h(
            "ul",
            { class: "plain", id: "linked-card-list" },
            ...me.linked_cards.map((card) =>
              h(
                "li",
                { class: "card" },
                h("strong", {}, t(`card.${card.kind}`, card.kind)),
                " ",
                h("span", {}, card.number),
                h("br"),
                h("span", { class: "muted" }, t("home.linked_at", { at: when(card.linked_at) })),
              ),
            ),
          )
        : h("p", { class: "muted" }, t("home.no_linked_cards")),
    ),
  );
}
