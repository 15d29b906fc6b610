// My credit report (level, records, lists, objections) and an objection to one record.

import { api } from "../api.js";
import { dt, field, h, notify, onSubmit, statusBadge } from "../dom.js";
import { t } from "../i18n.js";

function objectionForm(record, redraw) {
  const form = h(
    "form",
    { class: "objection", novalidate: true },
    h("input", { type: "hidden", name: "record_id", value: record.record_id }),
    field(t("credit.reason"), "reason", { tag: "textarea", rows: 3, required: true }),
    h("button", { type: "submit" }, t("credit.object")),
  );
  onSubmit(form, async (data) => {
    await api("POST", "/api/v1/credit/me/objections", {
      body: { record_id: data.get("record_id"), reason: data.get("reason").trim() },
    });
    await redraw();
    notify(t("credit.objected"));
  });
  return form;
}

export async function render(page, { redraw }) {
  const report = await api("GET", "/api/v1/credit/me/report");
  const contested = new Set(report.objections.filter((o) => o.status === "pending").map((o) => o.record.record_id));
  page.append(
    h("h2", {}, t("credit.title")),
    h(
      "div",
      { class: "card citizen" },
      h("dl", { class: "facts" }, dt(t("credit.level"), h("strong", { id: "credit-level" }, t(`level.${report.level}`, report.level)))),
    ),
    h("h3", {}, t("credit.records")),
    report.records.length
      ? h(
          "ul",
          { class: "plain", id: "credit-records" },
          ...report.records.map((record) =>
            h(
              "li",
              { class: "card", "data-record": record.record_id },
              h("strong", {}, t(`department.${record.department}`, record.department)),
              ` · ${record.category} · ${t(`polarity.${record.polarity}`, record.polarity)}`,
              h("br"),
              h("span", { class: "muted" }, `${record.decided_on} · ${record.summary || record.basis}`),
              contested.has(record.record_id)
                ? h("p", {}, t("credit.under_objection"))
                : h("details", {}, h("summary", {}, t("credit.object")), objectionForm(record, redraw)),
            ),
          ),
        )
      : h("p", { class: "muted" }, t("credit.no_records")),
    h("h3", {}, t("credit.objections")),
    report.objections.length
      ? h(
          "ul",
          { class: "plain", id: "objections" },
          ...report.objections.map((objection) =>
            h("li", { class: "card" }, statusBadge(objection.status), ` · ${objection.record.category} · ${objection.filed_on}`),
          ),
        )
      : h("p", { class: "muted" }, t("credit.no_objections")),
  );
}
