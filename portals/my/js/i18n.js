// Every string the app shows, in Chinese (the default) and English: one plain dictionary per
// language (words-zh.js, words-en.js). t("key", {name}) fills {name}; t("key", "fallback") when the key may be unknown
// (a new status or department from the API is shown as the API names it).

import { en } from "./words-en.js";
import { zh } from "./words-zh.js";

const DICTIONARIES = { zh, en };
const KEY = "my.language";

export function language() {
  const chosen = localStorage.getItem(KEY);
  return chosen in DICTIONARIES ? chosen : "zh";
}

export function setLanguage(code) {
  localStorage.setItem(KEY, code);
}

export function t(key, fallbackOrValues, values) {
  const fallback = typeof fallbackOrValues === "string" ? fallbackOrValues : undefined;
  const fill = typeof fallbackOrValues === "object" ? fallbackOrValues : values || {};
  const text = DICTIONARIES[language()][key] ?? en[key] ?? fallback ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in fill ? String(fill[name]) : `{${name}}`));
}

// An API problem ("must be an 11-digit mobile number") in the current language when the
// dictionary knows it, else as the API wrote it (the API speaks English).
export function problem(message) {
  return DICTIONARIES[language()][`problem.${message}`] ?? message;
}
