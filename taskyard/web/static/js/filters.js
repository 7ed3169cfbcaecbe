// Filter state of the tasks table. It lives in the URL query so a filtered view can be shared
// and reloaded; every filter is applied by the server (get_all_ex), never in the browser.
import { h } from "./dom.js";

export const STATUSES = ["created", "queued", "in_progress", "stopped", "completed", "failed", "published", "closed"];
export const TYPES = [
  "training",
  "testing",
  "inference",
  "data_processing",
  "application",
  "monitor",
  "controller",
  "optimizer",
  "service",
  "qc",
  "custom",
];
export const PAGE_SIZES = [25, 50, 100, 200];

const list = (params, key) =>
  (params.get(key) || "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

export function readState(params) {
  const size = Number(params.get("size")) || 50;
  return {
    status: list(params, "status"),
    type: list(params, "type"),
    user: list(params, "user"),
    tags: list(params, "tags"),
    name: params.get("name") || "",
    q: params.get("q") || "",
    archived: params.get("archived") === "1",
    sort: params.get("sort") || "-last_update",
    page: Math.max(0, Number(params.get("page")) || 0),
    size: PAGE_SIZES.includes(size) ? size : 50,
  };
}

export function writeState(state) {
  const p = new URLSearchParams();
  for (const key of ["status", "type", "user", "tags"]) if (state[key].length) p.set(key, state[key].join(","));
  if (state.name) p.set("name", state.name);
  if (state.q) p.set("q", state.q);
  if (state.archived) p.set("archived", "1");
  if (state.sort !== "-last_update") p.set("sort", state.sort);
  if (state.page) p.set("page", String(state.page));
  if (state.size !== 50) p.set("size", String(state.size));
  return p;
}

export function hasFilters(state) {
  return Boolean(state.status.length || state.type.length || state.user.length || state.tags.length || state.name || state.q || state.archived);
}

/** The get_all_ex request for one page of the table. */
export function queryBody(project, state, onlyFields) {
  const body = {
    only_fields: onlyFields,
    order_by: [state.sort],
    page: state.page,
    page_size: state.size,
    // Archived tasks are hidden unless asked for, as they are meant to be out of the way.
    system_tags: [state.archived ? "archived" : "-archived"],
  };
  if (project && project !== "*") body.project = [project];
  for (const key of ["status", "type", "user", "tags"]) if (state[key].length) body[key] = state[key];
  if (state.name) body.name = state.name;
  if (state.q) body.search_text = state.q;
  return body;
}

/**
 * A drop-down of checkboxes. options: [{value, label}]; onChange(selectedValues).
 * Built on <details> so it opens and closes without script.
 */
export function multiSelect(id, label, options, selected, onChange) {
  const chosen = new Set(selected);
  const summary = h("summary", { class: "button" });
  const paint = () => {
    summary.textContent = chosen.size ? `${label}: ${[...chosen].map((v) => options.find((o) => o.value === v)?.label || v).join(", ")}` : label;
    summary.classList.toggle("active", chosen.size > 0);
  };
  const boxes = options.map((o) => {
    const box = h("input", { type: "checkbox", value: o.value, checked: chosen.has(o.value) });
    box.addEventListener("change", () => {
      if (box.checked) chosen.add(o.value);
      else chosen.delete(o.value);
      paint();
      onChange([...chosen]);
    });
    return h("label", { class: "option" }, box, " ", o.label);
  });
  paint();
  const details = h("details", { class: "dropdown", id }, summary, h("div", { class: "menu" }, boxes.length ? boxes : h("span", { class: "muted" }, "none")));
  return details;
}

// One listener for every drop-down: a click elsewhere closes the open ones.
document.addEventListener("click", (e) => {
  for (const d of document.querySelectorAll("details.dropdown[open]")) if (!d.contains(e.target)) d.open = false;
});
