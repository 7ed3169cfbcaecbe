// Navigation, breadcrumbs and flash messages shared by every view.
import { h, clear } from "./dom.js";

let renderHook = () => {};

export function setRenderer(fn) {
  renderHook = fn;
}

/** Go to an in-app URL without a page load. */
export function navigate(url, replace = false) {
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  window.scrollTo(0, 0);
  renderHook();
}

/** Replace the current URL's query (filters, sort, page) without re-rendering. */
export function setQuery(params) {
  const qs = params.toString();
  history.replaceState(null, "", location.pathname + (qs ? `?${qs}` : ""));
}

/** crumbs: [{text, href?}] shown after the brand in the top bar. */
export function setCrumbs(crumbs) {
  const nav = clear(document.getElementById("crumbs"));
  for (const c of crumbs) {
    nav.append(h("span", { class: "sep" }, "/"));
    nav.append(c.href ? h("a", { href: c.href, "data-nav": true }, c.text) : h("span", null, c.text));
  }
  const last = crumbs.length ? crumbs[crumbs.length - 1].text : "";
  document.title = last ? `${last} · taskyard` : "taskyard";
}

let flashTimer = null;

/** Show a message above the page: kind is "ok" or "error". Errors stay until dismissed. */
export function flash(message, kind = "ok") {
  const box = clear(document.getElementById("flash"));
  clearTimeout(flashTimer);
  const close = h("button", { type: "button", class: "link", "aria-label": "Dismiss", onclick: () => clear(box) }, "×");
  box.append(h("div", { class: `flash flash-${kind}`, "data-kind": kind }, h("span", { class: "msg" }, message), close));
  if (kind !== "error") flashTimer = setTimeout(() => clear(box), 6000);
}

export function clearFlash() {
  clear(document.getElementById("flash"));
}
