// The UI's only data path: the same JSON API the SDK uses, authenticated by the session cookie
// that auth.login sets (the server reads it as a Bearer token).

export const API_VERSION = "2.23";

export class ApiError extends Error {
  constructor(code, subcode, message, endpoint) {
    super(message);
    this.code = code;
    this.subcode = subcode;
    this.endpoint = endpoint;
  }
}

let unauthorizedHandler = () => {};

/** Called on any 401 so the app can send the user to the login page. */
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

async function decode(resp, endpoint) {
  let payload = null;
  try {
    payload = await resp.json();
  } catch {
    throw new ApiError(resp.status, 0, `${endpoint}: HTTP ${resp.status}`, endpoint);
  }
  const meta = (payload && payload.meta) || {};
  const code = meta.result_code ?? resp.status;
  if (code !== 200) {
    const err = new ApiError(code, meta.result_subcode || 0, meta.result_msg || `HTTP ${resp.status}`, endpoint);
    if (code === 401) unauthorizedHandler(err);
    throw err;
  }
  return (payload && payload.data) || {};
}

/** POST /v2.23/<endpoint>; resolves to the reply's `data`, rejects with ApiError. */
export async function call(endpoint, body = {}) {
  let resp;
  try {
    resp = await fetch(`/v${API_VERSION}/${endpoint}`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 0, `Cannot reach the server (${e.message})`, endpoint);
  }
  return decode(resp, endpoint);
}

/**
 * Like call() but resolves to null when the server lacks the endpoint (404) or refuses it; for
 * optional extras (names, user lists) that must never break a page. A 401 has already sent the
 * user to the login page by then.
 */
export async function tryCall(endpoint, body = {}) {
  try {
    return await call(endpoint, body);
  } catch (e) {
    if (e instanceof ApiError) return null;
    throw e;
  }
}

/** Log in with an access key and secret key; the server answers with a session cookie. */
export async function login(accessKey, secretKey) {
  const resp = await fetch("/auth.login", {
    method: "POST",
    credentials: "same-origin",
    headers: { Authorization: "Basic " + btoa(`${accessKey}:${secretKey}`) },
  });
  let payload = null;
  try {
    payload = await resp.json();
  } catch {
    throw new ApiError(resp.status, 0, `Login failed (HTTP ${resp.status})`, "auth.login");
  }
  const meta = (payload && payload.meta) || {};
  if ((meta.result_code ?? resp.status) !== 200) {
    throw new ApiError(meta.result_code || resp.status, meta.result_subcode || 0, meta.result_msg || "Login failed", "auth.login");
  }
  return payload.data || {};
}

export async function logout() {
  try {
    await fetch("/auth.logout", { method: "POST", credentials: "same-origin" });
  } catch {
    // Offline or already gone: the login page is where we end up anyway.
  }
}
