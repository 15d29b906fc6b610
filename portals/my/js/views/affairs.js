// Community affairs: the catalogue, an application form drawn from the affair's JSON Schema
// (with its required documents), and my applications with their status and history.

import { api } from "../api.js";
import { dt, field, h, keepDraft, notify, onSubmit, statusBadge, when } from "../dom.js";
import { t } from "../i18n.js";

export async function render(page, { args }) {
  if (args[0] === "apply" && args[1]) return applyPage(page, args[1]);
  if (args[0] === "application" && args[1]) return applicationPage(page, args[1]);
  return listPage(page);
}

async function listPage(page) {
  const [catalogue, mine] = await Promise.all([
    api("GET", "/api/v1/community/affairs?limit=100", { auth: false }),
    api("GET", "/api/v1/community/me/applications?limit=100"),
  ]);
  page.append(
    h("h2", {}, t("affairs.title")),
    h("h3", {}, t("affairs.mine")),
    mine.items.length
      ? h("ul", { class: "plain", id: "my-applications" }, ...mine.items.map(applicationItem))
      : h("p", { class: "muted" }, t("affairs.none")),
    h("h3", {}, t("affairs.catalogue")),
    h(
      "ul",
      { class: "plain", id: "affair-list" },
      ...catalogue.items.map((affair) =>
        h(
          "li",
          { class: "card" },
          h("strong", {}, affair.name),
          h("br"),
          h("span", { class: "muted" }, t("affairs.time_limit", { days: affair.time_limit_days })),
          h("br"),
          h("a", { href: `#/affairs/apply/${encodeURIComponent(affair.code)}`, "data-affair": affair.code }, t("affairs.apply")),
        ),
      ),
    ),
  );
}

function applicationItem(item) {
  return h(
    "li",
    { class: "card", "data-application": item.application_id },
    h("a", { href: `#/affairs/application/${item.application_id}` }, item.affair_code),
    " ",
    statusBadge(item.status),
    h("br"),
    h("span", { class: "muted" }, t("affairs.due_on", { date: item.due_on })),
  );
}

// One input per property of the schema; the API checks the form again and names the field.
function schemaField(name, property, required) {
  const label = `${t(`field.form.${name}`, property.description ? `${name} (${property.description})` : name)}${required ? " *" : ""}`;
  const common = { required };
  if (property.enum) {
    return field(label, `form.${name}`, {
      tag: "select",
      ...common,
      options: [["", "—"], ...property.enum.map((value) => [value, t(`enum.${value}`, value)])],
    });
  }
  if (property.type === "integer" || property.type === "number") {
    return field(label, `form.${name}`, {
      ...common,
      type: "number",
      inputmode: property.type === "integer" ? "numeric" : "decimal",
      min: property.minimum,
      max: property.maximum,
      step: property.type === "integer" ? 1 : "any",
    });
  }
  if (property.type === "string") {
    const isDate = property.format === "date" || property.pattern === "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
    return field(label, `form.${name}`, {
      ...common,
      type: isDate ? "date" : "text",
      maxlength: property.maxLength,
      minlength: property.minLength,
      inputmode: property.pattern && /^\^\[0-9\]/.test(property.pattern) && !isDate ? "numeric" : null,
    });
  }
  return null; // nested lists (household members): optional, not asked here
}

function formValues(schema, data) {
  const form = {};
  for (const [name, property] of Object.entries(schema.properties || {})) {
    const raw = data.get(`form.${name}`);
    if (raw === null || raw === "") continue;
    if (property.type === "integer") form[name] = Number.parseInt(raw, 10);
    else if (property.type === "number") form[name] = Number.parseFloat(raw);
    else form[name] = raw;
  }
  return form;
}

async function applyPage(page, code) {
  const affair = await api("GET", `/api/v1/community/affairs/${encodeURIComponent(code)}`, { auth: false });
  const schema = affair.form_schema;
  const required = new Set(schema.required || []);
  const inputs = Object.entries(schema.properties || {})
    .map(([name, property]) => schemaField(name, property, required.has(name)))
    .filter(Boolean);
  const documents = affair.required_documents.map((kind) =>
    field(`${t(`document.${kind}`, kind)} *`, `doc.${kind}`, {
      type: "file",
      accept: "application/pdf,image/jpeg,image/png",
      required: true,
      hint: t("affairs.document_hint"),
    }),
  );
  const form = h(
    "form",
    { id: "apply-form", novalidate: true },
    ...inputs,
    documents.length ? h("h3", {}, t("affairs.documents")) : null,
    ...documents,
    h("button", { type: "submit", class: "primary" }, t("affairs.submit")),
  );
  const done = keepDraft(form, `apply.${code}`);
  onSubmit(form, async (data) => {
    const documentIds = [];
    for (const kind of affair.required_documents) {
      const file = data.get(`doc.${kind}`);
      if (!file || !file.size) continue; // the API names the missing document
      const uploaded = await api("POST", `/api/v1/community/me/documents?kind=${encodeURIComponent(kind)}`, {
        body: file,
        contentType: file.type || "application/octet-stream",
      });
      documentIds.push(uploaded.document_id);
    }
    const filed = await api("POST", "/api/v1/community/me/applications", {
      body: { affair_code: code, form: formValues(schema, data), document_ids: documentIds },
    });
    done();
    notify(t("affairs.filed"));
    location.hash = `#/affairs/application/${filed.application_id}`;
  });
  page.append(
    h("h2", {}, affair.name),
    h(
      "div",
      { class: "card" },
      h("p", {}, t("affairs.time_limit", { days: affair.time_limit_days })),
      h("h3", {}, t("affairs.eligibility")),
      h("ul", {}, ...affair.eligibility.map((line) => h("li", {}, line))),
    ),
    h("div", { class: "card" }, form),
  );
}

async function applicationPage(page, id) {
  const item = await api("GET", `/api/v1/community/me/applications/${encodeURIComponent(id)}`);
  page.append(
    h("h2", {}, t("affairs.application", { code: item.affair_code })),
    h(
      "div",
      { class: "card" },
      h(
        "dl",
        { class: "facts" },
        dt(t("affairs.status"), h("span", { id: "application-status" }, statusBadge(item.status))),
        dt(t("affairs.submitted_at"), when(item.submitted_at)),
        dt(t("affairs.due"), item.due_on),
        item.decided_at ? dt(t("affairs.decided_at"), when(item.decided_at)) : null,
        item.certificate_number ? dt(t("affairs.certificate"), item.certificate_number) : null,
        item.valid_until ? dt(t("affairs.valid_until"), item.valid_until) : null,
      ),
    ),
    h("h3", {}, t("affairs.history")),
    h(
      "ol",
      { id: "history" },
      ...item.history.map((step) =>
        h(
          "li",
          {},
          `${when(step.at)} · ${t(`action.${step.action}`, step.action)} → `,
          statusBadge(step.to_status),
          step.reason ? h("span", { class: "muted" }, ` (${step.reason})`) : null,
        ),
      ),
    ),
    h("p", {}, h("a", { href: "#/affairs" }, t("affairs.back"))),
  );
}
