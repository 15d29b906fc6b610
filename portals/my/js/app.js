// My Shenyang: routes #/<view>/<arg> to js/views/<view>.js, loaded when first opened (the
// first page loads only this, the dictionary, the API client and one view).

import { ApiError, SessionExpired, loggedIn, logout } from "./api.js";
import { h, notify } from "./dom.js";
import { language, setLanguage, t } from "./i18n.js";
import { toLogin } from "./nav.js";

const VIEWS = ["home", "affairs", "access", "parking", "stops", "tickets", "health", "credit"];
const PUBLIC_VIEWS = new Set(["login", "register"]);
const view = document.getElementById("view");
let drawing = 0;

function parse() {
  const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [name = "", ...args] = path.split("/").map(decodeURIComponent);
  return { name: name || "home", args, params: new URLSearchParams(query) };
}

function drawMenu(current) {
  const menu = document.getElementById("menu");
  menu.hidden = !loggedIn();
  menu.setAttribute("aria-label", t("menu.label"));
  menu.replaceChildren(
    h(
      "ul",
      {},
      ...VIEWS.map((name) =>
        h("li", {}, h("a", { href: `#/${name}`, "aria-current": name === current ? "page" : null }, t(`menu.${name}`))),
      ),
      h("li", {}, h("a", { href: "#/logout", id: "logout" }, t("menu.logout"))),
    ),
  );
}

function drawChrome() {
  document.documentElement.lang = language() === "zh" ? "zh-CN" : "en";
  document.getElementById("app-title").textContent = t("app.title");
  document.getElementById("skip-link").textContent = t("app.skip");
  const toggle = document.getElementById("lang-toggle");
  toggle.textContent = t("app.other_language");
  toggle.lang = language() === "zh" ? "en" : "zh-CN";
}

async function draw() {
  const ticket = ++drawing;
  const { name, args, params } = parse();
  if (name === "logout") {
    await logout();
    location.hash = "#/login";
    return;
  }
  if (!PUBLIC_VIEWS.has(name) && !VIEWS.includes(name)) {
    location.hash = "#/home";
    return;
  }
  if (!PUBLIC_VIEWS.has(name) && !loggedIn()) {
    toLogin();
    return;
  }
  drawChrome();
  drawMenu(name);
  view.dataset.ready = "false";
  view.dataset.view = name;
  try {
    const module = await import(`./views/${PUBLIC_VIEWS.has(name) ? "login" : name}.js`);
    const page = document.createDocumentFragment();
    const attached = await module.render(page, { name, args, params, redraw: draw });
    if (ticket !== drawing) return; // another view was asked for meanwhile
    view.replaceChildren(page);
    if (typeof attached === "function") attached();
    const heading = view.querySelector("h2");
    document.title = `${heading ? heading.textContent + " · " : ""}${t("app.title")}`;
  } catch (error) {
    if (error instanceof SessionExpired) {
      toLogin(t("login.expired"));
      return;
    }
    const message = error instanceof ApiError ? `${error.status}: ${error.message}` : String(error);
    view.replaceChildren(h("h2", {}, t("error.title")), h("p", { class: "alert", role: "alert" }, message));
  }
  view.dataset.ready = "true";
  view.focus({ preventScroll: true });
}

document.getElementById("lang-toggle").addEventListener("click", () => {
  setLanguage(language() === "zh" ? "en" : "zh");
  notify("");
  draw();
});
window.addEventListener("hashchange", () => {
  notify("");
  draw();
});
draw();
