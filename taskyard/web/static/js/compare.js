// Compare 2–10 tasks: hyperparameters side by side (differences highlighted), last metric
// values, and each metric's scalars of all tasks overlaid in one chart.
import { call } from "./api.js";
import { h, put, link, fmtNumber, statusBadge } from "./dom.js";
import { setCrumbs } from "./nav.js";
import { scalarPanel, seriesFromHistogram, SAMPLES } from "./charts.js";

const MAX = 10;

export async function compareView(main, ctx) {
  const ids = [...new Set((ctx.params.get("ids") || "").split(",").map((s) => s.trim()).filter(Boolean))];
  setCrumbs([{ text: "Projects", href: "/" }, { text: "Compare" }]);
  if (ids.length < 2 || ids.length > MAX) {
    main.append(h("div", { class: "error-box" }, `Pick 2 to ${MAX} tasks to compare (got ${ids.length}). Tick them in a tasks table and press Compare.`));
    return;
  }
  const [list, hp] = await Promise.all([
    call("tasks.get_all_ex", { id: ids, only_fields: ["id", "name", "status", "project.name", "last_iteration", "last_metrics"], page: 0, page_size: MAX }),
    call("tasks.get_hyper_params", { tasks: ids }),
  ]);
  if (!ctx.alive()) return;
  const byId = new Map((list.tasks || []).map((t) => [t.id, t]));
  const tasks = ids.map((id) => byId.get(id)).filter(Boolean);
  const missing = ids.filter((id) => !byId.has(id));

  const head = () =>
    h(
      "thead",
      { class: "compare-head" },
      h("tr", null, h("th", null, ""), tasks.map((t) => h("th", { "data-task": t.id }, link(`/tasks/${encodeURIComponent(t.id)}`, t.name || t.id), " ", statusBadge(t.status)))),
    );

  // Hyperparameters: rows "section/name", one column per task.
  const values = new Map(); // "section/name" → Map(taskId → value)
  for (const entry of hp.params || []) {
    for (const p of entry.hyperparams || []) {
      const key = `${p.section}/${p.name}`;
      if (!values.has(key)) values.set(key, new Map());
      values.get(key).set(entry.task, p.value === undefined || p.value === null ? "" : String(p.value));
    }
  }
  const keys = [...values.keys()].sort();
  const onlyDiff = h("input", { type: "checkbox", id: "only-diff" });
  const hpRows = keys.map((key) => {
    const row = values.get(key);
    const cells = tasks.map((t) => (row.has(t.id) ? row.get(t.id) : undefined));
    const differs = new Set(cells.map((c) => (c === undefined ? "\u0000missing" : c))).size > 1;
    return h("tr", { class: differs ? "diff" : null, "data-param": key, "data-differs": String(differs) }, h("th", null, key), cells.map((c) => h("td", null, c === undefined ? h("span", { class: "muted" }, "—") : c)));
  });
  onlyDiff.addEventListener("change", () => {
    for (const row of hpRows) row.hidden = onlyDiff.checked && row.dataset.differs !== "true";
  });

  // Last metric values, found by their names inside each task's last_metrics.
  const metricRows = new Map();
  for (const t of tasks) {
    for (const variants of Object.values(t.last_metrics || {})) {
      for (const [vk, m] of Object.entries(variants || {})) {
        const key = `${m.metric}/${m.variant || vk}`;
        if (!metricRows.has(key)) metricRows.set(key, new Map());
        metricRows.get(key).set(t.id, m.value);
      }
    }
  }

  put(
    main,
    h("div", { class: "page-head" }, h("h1", null, `Comparing ${tasks.length} tasks`)),
    missing.length ? h("div", { class: "error-box" }, `Not found: ${missing.join(", ")}`) : null,
    h("h3", null, "Hyperparameters"),
    h("div", { class: "compare-tools" }, h("label", { class: "check" }, onlyDiff, " Only differences"), h("span", { class: "muted small" }, "Rows that differ are highlighted.")),
    keys.length
      ? h("div", { class: "table-wrap" }, h("table", { class: "grid", id: "compare-params" }, head(), h("tbody", null, hpRows)))
      : h("p", { class: "empty" }, "None of these tasks has hyperparameters."),
    metricRows.size
      ? [
          h("h3", null, "Last metric values"),
          h(
            "div",
            { class: "table-wrap" },
            h(
              "table",
              { class: "grid", id: "compare-metrics" },
              head(),
              h(
                "tbody",
                null,
                [...metricRows.keys()].sort().map((key) => h("tr", null, h("th", null, key), tasks.map((t) => h("td", { class: "num" }, fmtNumber(metricRows.get(key).get(t.id)))))),
              ),
            ),
          ),
        ]
      : null,
    h("h3", null, "Scalars"),
  );
  const scalarBox = h("div", { id: "compare-scalars" });
  main.append(scalarBox);

  // Tasks sharing a name are told apart by a short id suffix in the legend.
  const counts = new Map();
  for (const t of tasks) counts.set(t.name, (counts.get(t.name) || 0) + 1);
  const label = (t) => (counts.get(t.name) > 1 ? `${t.name} [${t.id.slice(0, 6)}]` : t.name || t.id.slice(0, 8));

  const panel = await scalarPanel(scalarBox, async () => {
    const replies = await Promise.all(tasks.map((t) => call("events.scalar_metrics_iter_histogram", { task: t.id, samples: SAMPLES, key: "iter" })));
    const merged = {};
    replies.forEach((data, i) => {
      for (const [metric, series] of Object.entries(seriesFromHistogram(data, label(tasks[i])))) (merged[metric] ||= []).push(...series);
    });
    return merged;
  });
  return () => panel.destroy();
}
