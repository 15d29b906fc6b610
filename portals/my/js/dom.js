// Building the page from data without innerHTML (no markup from the API is ever parsed),
// and the forms' common behaviour: labels, per-field errors, drafts kept across a login.

import { ApiError, SessionExpired } from "./api.js";
import { problem, t } from "./i18n.js";
import { toLogin } from "./nav.js";

// h("p", {class: "muted"}, "text", child) → an element; null and false children are skipped.
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

let fieldCount = 0;

// A labelled input; `name` is what the API calls the field (its errors name it too).
export function field(label, name, attributes = {}) {
  const id = `f${++fieldCount}`;
  const tag = attributes.tag || "input";
  const { tag: _tag, options, hint, ...rest } = attributes;
  let control;
  if (tag === "select") {
    control = h("select", { id, name, ...rest }, ...(options || []).map(([value, text]) =>
      h("option", { value }, text)));
  } else {
    control = h(tag, { id, name, ...rest });
  }
  const hintId = hint ? `${id}-hint` : null;
  if (hintId) control.setAttribute("aria-describedby", hintId);
  return h("label", { for: id }, label, hint ? h("span", { id: hintId, class: "muted" }, hint) : null, control);
}

export function dt(term, value) {
  return [h("dt", {}, term), h("dd", {}, value ?? "—")];
}

// The API's problems next to their fields (aria-invalid + text the screen reader reads), and
// the ones no field of the form shows in an alert at the top.
export function showErrors(form, error) {
  clearErrors(form);
  const unplaced = [];
  for (const [name, problems] of Object.entries(error.fields || {})) {
    const control = form.elements.namedItem(name);
    const text = problems.map(problem).join(" ");
    if (!control || !control.id) {
      unplaced.push(`${t(`field.${name}`, name)}: ${text}`);
      continue;
    }
    const message = h("span", { class: "field-error", id: `${control.id}-error` }, text);
    control.setAttribute("aria-invalid", "true");
    const described = [control.getAttribute("aria-describedby"), message.id].filter(Boolean);
    control.setAttribute("aria-describedby", described.join(" "));
    control.closest("label").append(message);
  }
  if (!Object.keys(error.fields || {}).length || unplaced.length) {
    const summary = problem(error.message || error.code);
    form.prepend(h("p", { class: "alert", role: "alert" }, [summary, ...unplaced].join(" · ")));
  }
  const first = form.querySelector("[aria-invalid=true]");
  if (first) first.focus();
}

export function clearErrors(form) {
  for (const node of form.querySelectorAll(".field-error, .alert")) node.remove();
  for (const control of form.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
    const kept = (control.getAttribute("aria-describedby") || "")
      .split(" ")
      .filter((id) => id && !id.endsWith("-error"));
    if (kept.length) control.setAttribute("aria-describedby", kept.join(" "));
    else control.removeAttribute("aria-describedby");
  }
}

// The form's input survives an expired session: saved as typed (never passwords or files),
// restored when the view is drawn again, dropped once the form went through.
const DRAFT = "my.draft.";

export function keepDraft(form, key) {
  const saved = JSON.parse(sessionStorage.getItem(DRAFT + key) || "{}");
  for (const [name, value] of Object.entries(saved)) {
    const control = form.elements.namedItem(name);
    if (!control || control.type === "password" || control.type === "file") continue;
    if (control.type === "checkbox") control.checked = Boolean(value);
    else control.value = value;
  }
  form.addEventListener("input", () => {
    const values = {};
    for (const control of form.elements) {
      if (!control.name || control.type === "password" || control.type === "file") continue;
      values[control.name] = control.type === "checkbox" ? control.checked : control.value;
    }
    sessionStorage.setItem(DRAFT + key, JSON.stringify(values));
  });
  return () => sessionStorage.removeItem(DRAFT + key);
}

export function notify(text) {
  document.getElementById("notice").textContent = text;
}

export function when(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(document.documentElement.lang, { dateStyle: "medium", timeStyle: "short" });
}

export function statusBadge(status) {
  return h("span", { class: `status status-${status}`, "data-status": status }, t(`status.${status}`, status));
}

// A form that sends to the API: errors shown per field, an ended session sends the resident
// to the login page (the draft stays), the button is disabled while the request is under way.
export function onSubmit(form, action) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    try {
      await action(new FormData(form));
    } catch (error) {
      if (error instanceof SessionExpired) toLogin(t("login.expired"));
      else if (error instanceof ApiError) showErrors(form, error);
      else showErrors(form, { fields: {}, message: String(error) });
    } finally {
      if (button) button.disabled = false;
    }
  });
}
