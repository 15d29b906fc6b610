// My health archive (a FHIR Bundle from every institution) and my consents: grant an
// institution access, withdraw it.

import { api } from "../api.js";
import { field, h, notify, onSubmit, statusBadge } from "../dom.js";
import { t } from "../i18n.js";

function describe(resource) {
  const coding = resource.code?.coding?.[0] || resource.type?.[0]?.coding?.[0] || {};
  const text = resource.code?.text || coding.display || coding.code || "";
  const date =
    resource.effectiveDateTime || resource.recordedDate || resource.onsetDateTime || resource.period?.start || resource.date || "";
  return [t(`fhir.${resource.resourceType}`, resource.resourceType), text, date.slice(0, 10)].filter(Boolean).join(" · ");
}

function consentItem(consent, redraw) {
  const organisation = consent.organization?.[0]?.reference || consent.provision?.actor?.[0]?.reference?.reference || "";
  const withdraw = async () => {
    await api("POST", `/api/v1/health/me/consents/${encodeURIComponent(consent.id)}/withdraw`);
    await redraw();
    notify(t("health.withdrawn"));
  };
  return h(
    "li",
    { class: "card", "data-consent": consent.id },
    h("strong", {}, organisation.replace(/^Organization\//, "")),
    " ",
    statusBadge(consent.status),
    consent.provision?.type ? ` · ${t(`provision.${consent.provision.type}`, consent.provision.type)}` : "",
    consent.status === "active"
      ? h("div", { class: "actions" }, h("button", { type: "button", onclick: withdraw }, t("health.withdraw")))
      : null,
  );
}

export async function render(page, { redraw }) {
  const bundle = await api("GET", "/api/v1/health/me/records");
  const resources = (bundle.entry || []).map((entry) => entry.resource);
  const consents = resources.filter((resource) => resource.resourceType === "Consent");
  const records = resources.filter((resource) => !["Consent", "Patient"].includes(resource.resourceType));
  const form = h(
    "form",
    { id: "consent-form", novalidate: true },
    field(t("health.organization"), "organization_id", { required: true, hint: t("health.organization_hint") }),
    field(t("health.provision"), "provision", {
      tag: "select",
      options: [
        ["permit", t("provision.permit")],
        ["deny", t("provision.deny")],
      ],
    }),
    h("button", { type: "submit", class: "primary" }, t("health.grant")),
  );
  onSubmit(form, async (data) => {
    await api("POST", "/api/v1/health/me/consents", {
      body: { organization_id: data.get("organization_id").trim(), provision: data.get("provision") },
    });
    await redraw();
    notify(t("health.granted"));
  });
  page.append(
    h("h2", {}, t("health.title")),
    h("h3", {}, t("health.records")),
    records.length
      ? h("ul", { class: "plain", id: "records" }, ...records.map((resource) => h("li", { class: "card" }, describe(resource))))
      : h("p", { class: "muted" }, t("health.no_records")),
    h("h3", {}, t("health.consents")),
    consents.length
      ? h("ul", { class: "plain", id: "consents" }, ...consents.map((consent) => consentItem(consent, redraw)))
      : h("p", { class: "muted" }, t("health.no_consents")),
    h("div", { class: "card" }, h("h3", {}, t("health.new_consent")), form),
  );
}
