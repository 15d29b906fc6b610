// The gateway's API as the app uses it: JSON in and out, the resident's tokens in
// sessionStorage, one refresh on a 401, and SessionExpired when the login has ended.

const TOKENS = "my.tokens";

export class ApiError extends Error {
  constructor(status, body) {
    super(body.message || `HTTP ${status}`);
    this.status = status;
    this.code = body.error || "error";
    this.fields = flatten(body.fields || {});
    this.details = body.details || {};
  }
}

export class SessionExpired extends Error {}

// {"form": {"grade": ["…"]}} → {"form.grade": ["…"]}: one entry per input's name.
function flatten(fields, prefix = "") {
  const flat = {};
  for (const [name, problems] of Object.entries(fields)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (Array.isArray(problems)) flat[key] = problems.map(String);
    else if (problems && typeof problems === "object") Object.assign(flat, flatten(problems, key));
    else flat[key] = [String(problems)];
  }
  return flat;
}

export function tokens() {
  try {
    return JSON.parse(sessionStorage.getItem(TOKENS));
  } catch {
    return null;
  }
}

export function loggedIn() {
  return Boolean(tokens());
}

export function saveTokens(pair) {
  sessionStorage.setItem(
    TOKENS,
    JSON.stringify({ access_token: pair.access_token, refresh_token: pair.refresh_token }),
  );
}

export function forget() {
  sessionStorage.removeItem(TOKENS);
}

let refreshing = null;

async function refresh() {
  const current = tokens();
  if (!current) throw new SessionExpired();
  const response = await fetch("/api/v1/auth/refresh", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ refresh_token: current.refresh_token }),
  });
  if (!response.ok) {
    forget();
    throw new SessionExpired();
  }
  saveTokens(await response.json());
}

async function send(method, path, { body, auth, contentType }) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = contentType || "application/json";
  if (auth) {
    const current = tokens();
    if (!current) throw new SessionExpired();
    headers.Authorization = `Bearer ${current.access_token}`;
  }
  const payload = body === undefined || contentType ? body : JSON.stringify(body);
  return fetch(path, { method, headers, body: payload });
}

// api("GET", "/api/v1/me") → the parsed body; ApiError for a 4xx/5xx answer.
// {raw: true} returns the Response (an SVG, a FHIR bundle); {auth: false} for public routes.
export async function api(method, path, { body, auth = true, raw = false, contentType } = {}) {
  let response = await send(method, path, { body, auth, contentType });
  if (response.status === 401 && auth) {
    refreshing ??= refresh().finally(() => {
      refreshing = null;
    });
    await refreshing;
    response = await send(method, path, { body, auth, contentType });
    if (response.status === 401) {
      forget();
      throw new SessionExpired();
    }
  }
  if (!response.ok) {
    const text = await response.text();
    let parsed = {};
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { message: text.slice(0, 200) };
    }
    // FHIR routes answer an OperationOutcome: its first issue says what went wrong.
    if (parsed.resourceType === "OperationOutcome") {
      parsed = { error: "error", message: parsed.issue?.[0]?.diagnostics || "" };
    }
    throw new ApiError(response.status, parsed);
  }
  if (raw) return response;
  return response.status === 204 ? null : response.json();
}

export async function logout() {
  const current = tokens();
  forget();
  if (current) {
    await fetch("/api/v1/auth/logout", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: current.refresh_token }),
    }).catch(() => null);
  }
}
