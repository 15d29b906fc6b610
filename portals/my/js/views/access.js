// Who read my data, when and why (GET /api/v1/me/access-log): the resident's data tracker.

import { api } from "../api.js";
import { h, when } from "../dom.js";
import { t } from "../i18n.js";

export async function render(page) {
  const log = await api("GET", "/api/v1/me/access-log?limit=100");
  page.append(h("h2", {}, t("access.title")), h("p", { class: "muted" }, t("access.intro")));
  if (!log.items.length) {
    page.append(h("p", { id: "access-empty" }, t("access.none")));
    return;
  }
  page.append(
    h(
      "ul",
      { class: "plain", id: "access-log" },
      ...log.items.map((item) =>
        h(
          "li",
          { class: "card", "data-department": item.department || "" },
          h("strong", {}, item.department ? t(`department.${item.department}`, item.department) : t(`role.${item.actor_role}`, item.actor_role)),
          h("br"),
          h(
            "dl",
            { class: "facts" },
            h("dt", {}, t("access.when")),
            h("dd", {}, when(item.occurred_at)),
            h("dt", {}, t("access.what")),
            h("dd", {}, `${t(`verb.${item.action}`, item.action)} · ${item.resource}`),
            h("dt", {}, t("access.why")),
            h("dd", { class: "purpose" }, t(`purpose.${item.purpose}`, item.purpose)),
          ),
        ),
      ),
    ),
    log.total > log.items.length ? h("p", { class: "muted" }, t("access.more", { total: log.total })) : null,
  );
}
