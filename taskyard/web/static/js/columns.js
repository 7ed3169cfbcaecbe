// Columns of the tasks table. Each column names the only_fields it needs, so one get_all_ex
// fetches exactly what is on screen, and the order_by key the server sorts it by.
import { h, link, fmtTime, fmtNumber, statusBadge, dig } from "./dom.js";

const text = (path) => (t) => {
  const v = dig(t, path);
  return v === undefined || v === null ? "" : String(v);
};
const time = (path) => (t) => fmtTime(dig(t, path));
// A joined reference is {id, name}; a server that did not join it sends the bare id.
const ref = (value) => (value && typeof value === "object" ? value.name || value.id : value) || "";

export const BASE_COLUMNS = [
  {
    key: "name",
    title: "Name",
    fields: ["name"],
    sort: "name",
    render: (t) => link(`/tasks/${encodeURIComponent(t.id)}`, t.name || t.id, { class: "task-link" }),
  },
  { key: "type", title: "Type", fields: ["type"], sort: "type", render: text("type") },
  { key: "status", title: "Status", fields: ["status"], sort: "status", render: (t) => statusBadge(t.status) },
  { key: "project", title: "Project", fields: ["project.name"], sort: "project", render: (t) => ref(t.project) },
  // Joined user names; the sort key is the user id (the server cannot order by a joined name).
  { key: "user", title: "User", fields: ["user.name"], sort: "user", render: (t) => ref(t.user) },
  {
    key: "tags",
    title: "Tags",
    fields: ["tags"],
    sort: "tags",
    render: (t) => (t.tags || []).map((tag) => h("span", { class: "tag" }, tag)),
  },
  { key: "created", title: "Created", fields: ["created"], sort: "created", desc: true, render: time("created") },
  { key: "started", title: "Started", fields: ["started"], sort: "started", desc: true, render: time("started") },
  { key: "completed", title: "Completed", fields: ["completed"], sort: "completed", desc: true, render: time("completed") },
  { key: "last_update", title: "Updated", fields: ["last_update"], sort: "last_update", desc: true, render: time("last_update") },
  { key: "last_iteration", title: "Iterations", fields: ["last_iteration"], sort: "last_iteration", desc: true, numeric: true, render: text("last_iteration") },
  { key: "comment", title: "Comment", fields: ["comment"], sort: "comment", render: text("comment") },
  { key: "id", title: "ID", fields: ["id"], sort: "id", render: (t) => h("code", null, t.id) },
];

export const DEFAULT_KEYS = ["name", "type", "status", "user", "tags", "started", "last_update", "last_iteration"];

/** Find a last_metrics entry by its plain names, whatever the server keys the dict by. */
export function lastMetric(task, metric, variant) {
  const lm = task.last_metrics || {};
  const direct = lm[metric] && lm[metric][variant];
  if (direct && typeof direct === "object") return direct;
  for (const variants of Object.values(lm)) {
    if (!variants || typeof variants !== "object") continue;
    for (const entry of Object.values(variants)) {
      if (entry && entry.metric === metric && entry.variant === variant) return entry;
    }
  }
  return null;
}

/**
 * A column spec is stored as a plain object (URL / localStorage safe):
 *   {kind: "field", key} | {kind: "hp", section, name} | {kind: "metric", metric, variant}.
 */
export function makeColumn(spec) {
  if (spec.kind === "hp") {
    const path = `hyperparams.${spec.section}.${spec.name}`;
    return {
      key: `hp:${spec.section}/${spec.name}`,
      title: `${spec.section}/${spec.name}`,
      group: "hp",
      spec,
      fields: [path],
      sort: `${path}.value`,
      numeric: true,
      render: (t) => {
        const p = dig(t, "hyperparams") && t.hyperparams[spec.section] && t.hyperparams[spec.section][spec.name];
        return p && p.value !== undefined ? String(p.value) : "";
      },
    };
  }
  if (spec.kind === "metric") {
    return {
      key: `m:${spec.metric}/${spec.variant}`,
      title: `${spec.metric}/${spec.variant}`,
      group: "metric",
      spec,
      // The whole last_metrics dict (small) so the value is found whether the server keys it
      // by names or by hashes.
      fields: ["last_metrics"],
      // ASSUMPTION: taskyard sorts by `last_metrics.<metric>.<variant>.value` given the plain
      // metric and variant names (the reference server's UI sends the md5 hashes its dict is
      // keyed by; taskyard's query engine accepts either). Names containing "." cannot be
      // expressed in this path.
      sort: `last_metrics.${spec.metric}.${spec.variant}.value`,
      desc: true,
      numeric: true,
      render: (t) => {
        const m = lastMetric(t, spec.metric, spec.variant);
        return m ? fmtNumber(m.value) : "";
      },
    };
  }
  const base = BASE_COLUMNS.find((c) => c.key === spec.key);
  return base ? { ...base, spec } : null;
}

export function columnsFromSpecs(specs) {
  return specs.map(makeColumn).filter(Boolean);
}

export function defaultSpecs(allProjects) {
  const keys = allProjects ? ["name", "project", ...DEFAULT_KEYS.slice(1)] : DEFAULT_KEYS;
  return keys.map((key) => ({ kind: "field", key }));
}

const storageKey = (project) => `taskyard.columns.${project}`;

export function loadSpecs(project) {
  try {
    const raw = localStorage.getItem(storageKey(project));
    const specs = raw ? JSON.parse(raw) : null;
    if (Array.isArray(specs) && specs.length) return specs;
  } catch {
    // Corrupt or unavailable storage: fall back to the defaults.
  }
  return defaultSpecs(project === "*");
}

export function saveSpecs(project, specs) {
  try {
    localStorage.setItem(storageKey(project), JSON.stringify(specs));
  } catch {
    // Private mode or full storage: the choice just isn't remembered.
  }
}

export const sameSpec = (a, b) => makeColumn(a)?.key === makeColumn(b)?.key;
