// Where the resident goes when the session ends, and back again after logging in.

// Off to the login page, which brings the resident back here afterwards.
export function toLogin(reason) {
  const back = location.hash && !location.hash.startsWith("#/login") ? location.hash : "#/home";
  sessionStorage.setItem("my.back", back);
  if (reason) sessionStorage.setItem("my.reason", reason);
  location.hash = "#/login";
}

export function back() {
  const target = sessionStorage.getItem("my.back") || "#/home";
  sessionStorage.removeItem("my.back");
  location.hash = target;
}
