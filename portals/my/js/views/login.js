// Log in (card or ID number + password) and real-name registration.

import { api, saveTokens } from "../api.js";
import { field, h, keepDraft, onSubmit } from "../dom.js";
import { t } from "../i18n.js";
import { back } from "../nav.js";

async function logIn(username, password) {
  saveTokens(await api("POST", "/api/v1/auth/token", { auth: false, body: { username, password } }));
}

function loginForm() {
  const form = h(
    "form",
    { id: "login-form", novalidate: true },
    field(t("field.username"), "username", { autocomplete: "username", required: true, hint: t("login.username_hint") }),
    field(t("field.password"), "password", { type: "password", autocomplete: "current-password", required: true }),
    h("button", { type: "submit", class: "primary" }, t("login.submit")),
  );
  onSubmit(form, async (data) => {
    await logIn(data.get("username").trim(), data.get("password"));
    back();
  });
  return form;
}

function registerForm() {
  const form = h(
    "form",
    { id: "register-form", novalidate: true },
    field(t("field.name"), "name", { autocomplete: "name", required: true }),
    field(t("field.id_number"), "id_number", { required: true, inputmode: "text", maxlength: 18 }),
    field(t("field.phone"), "phone", { type: "tel", autocomplete: "tel", required: true, maxlength: 11 }),
    field(t("field.password"), "password", {
      type: "password",
      autocomplete: "new-password",
      required: true,
      hint: t("register.password_hint"),
    }),
    h("button", { type: "submit", class: "primary" }, t("register.submit")),
  );
  const done = keepDraft(form, "register");
  onSubmit(form, async (data) => {
    const person = Object.fromEntries(["name", "id_number", "phone", "password"].map((k) => [k, data.get(k).trim()]));
    await api("POST", "/api/v1/residents", { auth: false, body: person });
    done();
    // The answer is the same for a known ID number: logging in shows the card at /me.
    await logIn(person.id_number, person.password);
    sessionStorage.setItem("my.back", "#/home");
    back();
  });
  return form;
}

export function render(page, { name }) {
  const registering = name === "register";
  const reason = sessionStorage.getItem("my.reason");
  sessionStorage.removeItem("my.reason");
  page.append(
    h("h2", {}, t(registering ? "register.title" : "login.title")),
    reason ? h("p", { class: "alert", role: "alert" }, reason) : null,
    h("div", { class: "card" }, registering ? registerForm() : loginForm()),
    h(
      "p",
      {},
      registering
        ? h("a", { href: "#/login" }, t("register.have_account"))
        : h("a", { href: "#/register", id: "to-register" }, t("login.no_account")),
    ),
  );
}
