// Task page: header with status and actions, and tabs for info, hyperparameters, configuration,
// runtime, artifacts, console, scalars and plots. A running task refreshes itself.
import { call, tryCall } from "./api.js";
import { h, put, clear, link, fmtTime, fmtBytes, fmtNumber, statusBadge } from "./dom.js";
import { setCrumbs, flash } from "./nav.js";
import { actionBar } from "./actions.js";
import { scalarPanel, seriesFromHistogram, SAMPLES } from "./charts.js";
import { renderPlots, purgePlots } from "./plots.js";

const REFRESH_MS = 3000;
const RUNNING = new Set(["in_progress", "queued"]);
const LOG_BATCH = 200;

const TABS = [
  ["info", "Info"],
  ["hyperparams", "Hyperparameters"],
  ["configuration", "Configuration"],
  ["runtime", "Runtime"],
  ["artifacts", "Artifacts"],
  ["console", "Console"],
  ["scalars", "Scalars"],
  ["plots", "Plots"],
];

/** The tab named by the rest of the URL, including the clearml web app's path words. */
function tabFromPath(rest) {
  const words = rest.join("/").toLowerCase();
  if (!words) return "info";
  if (TABS.some(([key]) => key === rest[0])) return rest[0];
  if (words.includes("log")) return "console";
  if (words.includes("scalar")) return "scalars";
  if (words.includes("plot")) return "plots";
  if (words.includes("hyper")) return "hyperparams";
  if (words.includes("config")) return "configuration";
  if (words.includes("artifact") || words.includes("model")) return "artifacts";
  return "info";
}

const kv = (rows) =>
  h(
    "table",
    { class: "kv" },
    h(
      "tbody",
      null,
      rows.filter(([, v]) => v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && !v.length)).map(([k, v]) => h("tr", null, h("th", null, k), h("td", null, v))),
    ),
  );

const projectId = (t) => (t.project && typeof t.project === "object" ? t.project.id : t.project);

export async function taskView(main, ctx) {
  const id = ctx.route.task;
  let task = null;
  let names = { project: null, user: null };
  let tab = tabFromPath(ctx.route.rest || []);
  let timer = null;
  let panel = null; // the open tab's live part: {refresh?, destroy?}
  let closed = false;

  async function fetchTask() {
    const [byId, joined] = await Promise.all([
      call("tasks.get_by_id", { task: id }),
      // get_by_id carries ids only; the joined names come from one get_all_ex.
      tryCall("tasks.get_all_ex", { id: [id], only_fields: ["project.name", "user.name"] }),
    ]);
    task = byId.task;
    const j = joined && joined.tasks && joined.tasks[0];
    if (j) names = { project: j.project && j.project.name, user: j.user && j.user.name };
  }

  await fetchTask();
  if (!ctx.alive()) return;

  const title = h("h1", { id: "task-name" });
  const badge = h("span", { id: "task-status" });
  const meta = h("div", { class: "task-meta muted" });
  const body = h("section", { class: "tab-body", id: "tab-body" });
  const tabs = h(
    "nav",
    { class: "tabs", role: "tablist" },
    TABS.map(([key, label]) => h("button", { type: "button", role: "tab", "data-tab": key, onclick: () => openTab(key, true) }, label)),
  );
  main.append(
    h("div", { class: "page-head task-head" }, title, badge),
    meta,
    actionBar(() => task, reloadAfterAction),
    tabs,
    body,
  );

  function paintHeader() {
    const pid = projectId(task);
    const pname = names.project || pid || "no project";
    setCrumbs([{ text: "Projects", href: "/" }, pid ? { text: pname, href: `/projects/${encodeURIComponent(pid)}` } : { text: pname }, { text: task.name || id }]);
    title.textContent = task.name || id;
    clear(badge).append(statusBadge(task.status));
    if ((task.system_tags || []).includes("archived")) badge.append(h("span", { class: "tag archived" }, "archived"));
    put(clear(meta),
      h("span", null, task.type || ""),
      h("span", null, "ID ", h("code", null, task.id)),
      names.user ? h("span", null, `by ${names.user}`) : null,
      task.last_iteration ? h("span", null, `iteration ${task.last_iteration}`) : null,
      task.status_message ? h("span", null, task.status_message) : null,
    );
  }

  async function reloadAfterAction() {
    try {
      await fetchTask();
    } catch (err) {
      if (err.code !== 401) flash(err.message, "error");
      return;
    }
    if (!ctx.alive()) return;
    paintHeader();
    await openTab(tab, false);
    schedule();
  }

  async function openTab(key, pushUrl) {
    tab = key;
    for (const b of tabs.querySelectorAll("button")) b.setAttribute("aria-selected", String(b.dataset.tab === key));
    if (pushUrl) history.replaceState(null, "", `/tasks/${encodeURIComponent(id)}/${key}`);
    if (panel && panel.destroy) panel.destroy();
    panel = null;
    clear(body);
    body.dataset.tab = key;
    const renderers = { info, hyperparams, configuration, runtime, artifacts, console: consoleTab, scalars, plots };
    try {
      panel = (await renderers[key](body)) || null;
    } catch (err) {
      if (err.code === 401 || !ctx.alive()) return;
      body.append(h("div", { class: "error-box" }, err.message || String(err)));
    }
  }

  function info(el) {
    const script = task.script || {};
    const models = task.models || {};
    const modelList = (items) => (items || []).map((m) => h("div", null, m.name ? `${m.name}: ` : "", h("code", null, m.model || "")));
    const metrics = [];
    for (const variants of Object.values(task.last_metrics || {})) {
      for (const [vk, m] of Object.entries(variants || {})) metrics.push({ metric: m.metric, variant: m.variant || vk, m });
    }
    el.append(
      kv([
        ["Name", task.name],
        ["ID", h("code", null, task.id)],
        ["Type", task.type],
        ["Status", [statusBadge(task.status), task.status_reason ? ` ${task.status_reason}` : ""]],
        ["Status message", task.status_message],
        ["Project", projectId(task) ? link(`/projects/${encodeURIComponent(projectId(task))}`, names.project || projectId(task)) : ""],
        ["User", names.user || (typeof task.user === "string" ? task.user : "")],
        ["Created", fmtTime(task.created)],
        ["Started", fmtTime(task.started)],
        ["Completed", fmtTime(task.completed)],
        ["Last update", fmtTime(task.last_update)],
        ["Last iteration", task.last_iteration !== undefined ? String(task.last_iteration) : ""],
        ["Tags", (task.tags || []).map((t) => h("span", { class: "tag" }, t))],
        ["System tags", (task.system_tags || []).map((t) => h("span", { class: "tag system" }, t))],
        ["Comment", task.comment ? h("pre", { class: "comment" }, task.comment) : ""],
        ["Parent", task.parent ? link(`/tasks/${encodeURIComponent(task.parent)}`, task.parent) : ""],
        ["Repository", script.repository],
        ["Branch", script.branch],
        ["Commit", script.version_num],
        ["Entry point", script.entry_point],
        ["Working dir", script.working_dir],
        ["Input models", modelList(models.input)],
        ["Output models", modelList(models.output)],
      ]),
    );
    if (metrics.length) {
      el.append(
        h("h3", null, "Last metric values"),
        h(
          "table",
          { class: "grid", id: "last-metrics" },
          h("thead", null, h("tr", null, h("th", null, "Metric"), h("th", null, "Variant"), h("th", { class: "num" }, "Last"), h("th", { class: "num" }, "Min"), h("th", { class: "num" }, "Max"))),
          h(
            "tbody",
            null,
            metrics.map(({ metric, variant, m }) =>
              h("tr", null, h("td", null, metric), h("td", null, variant), h("td", { class: "num" }, fmtNumber(m.value)), h("td", { class: "num" }, fmtNumber(m.min_value)), h("td", { class: "num" }, fmtNumber(m.max_value))),
            ),
          ),
        ),
      );
    }
  }

  function hyperparams(el) {
    const sections = { ...(task.hyperparams || {}) };
    // Tasks written by old clients keep flat `execution.parameters`.
    const legacy = (task.execution && task.execution.parameters) || {};
    if (Object.keys(legacy).length && !sections.Args) {
      sections["execution.parameters"] = Object.fromEntries(Object.entries(legacy).map(([k, v]) => [k, { name: k, value: v }]));
    }
    const names = Object.keys(sections).sort();
    if (!names.length) {
      el.append(h("p", { class: "empty" }, "No hyperparameters."));
      return;
    }
    for (const section of names) {
      const params = Object.values(sections[section] || {}).sort((a, b) => String(a.name).localeCompare(String(b.name)));
      el.append(
        h("h3", null, section),
        h(
          "table",
          { class: "grid params", "data-section": section },
          h("thead", null, h("tr", null, h("th", null, "Name"), h("th", null, "Value"), h("th", null, "Type"), h("th", null, "Description"))),
          h(
            "tbody",
            null,
            params.map((p) => h("tr", { "data-param": p.name }, h("td", null, p.name), h("td", { class: "value" }, p.value === undefined ? "" : String(p.value)), h("td", { class: "muted" }, p.type || ""), h("td", { class: "muted" }, p.description || ""))),
          ),
        ),
      );
    }
  }

  function configuration(el) {
    const items = Object.values(task.configuration || {});
    if (!items.length) {
      el.append(h("p", { class: "empty" }, "No configuration objects."));
      return;
    }
    for (const c of items.sort((a, b) => String(a.name).localeCompare(String(b.name)))) {
      el.append(
        h(
          "section",
          { class: "config", "data-name": c.name },
          h("h3", null, c.name, c.type ? h("span", { class: "muted small" }, `  ${c.type}`) : null),
          c.description ? h("p", { class: "muted" }, c.description) : null,
          h("pre", { class: "code" }, typeof c.value === "string" ? c.value : JSON.stringify(c.value, null, 2)),
        ),
      );
    }
  }

  function runtime(el) {
    const entries = Object.entries(task.runtime || {}).sort(([a], [b]) => a.localeCompare(b));
    if (!entries.length) {
      el.append(h("p", { class: "empty" }, "No runtime properties."));
      return;
    }
    el.append(kv(entries.map(([k, v]) => [k, typeof v === "object" ? JSON.stringify(v) : String(v)])));
  }

  function artifacts(el) {
    let list = (task.execution && task.execution.artifacts) || [];
    if (!Array.isArray(list)) list = Object.values(list);
    if (!list.length) {
      el.append(h("p", { class: "empty" }, "No artifacts."));
    } else {
      el.append(
        h(
          "table",
          { class: "grid", id: "artifacts-table" },
          h("thead", null, h("tr", null, ["Name", "Type", "Mode", "Size", "Hash", "Time", "Download"].map((t) => h("th", null, t)))),
          h(
            "tbody",
            null,
            list.map((a) =>
              h(
                "tr",
                { "data-artifact": a.key },
                h("td", null, a.key),
                h("td", null, a.type || ""),
                h("td", null, a.mode || ""),
                h("td", { class: "num" }, fmtBytes(a.content_size)),
                h("td", null, a.hash ? h("code", { title: a.hash }, String(a.hash).slice(0, 12)) : ""),
                h("td", { class: "nowrap" }, fmtTime(typeof a.timestamp === "number" ? a.timestamp * (a.timestamp < 1e12 ? 1000 : 1) : a.timestamp)),
                h("td", null, a.uri ? h("a", { href: downloadUrl(a.uri), download: "", class: "download" }, "Download") : ""),
              ),
            ),
          ),
        ),
      );
    }
    const models = [...((task.models && task.models.input) || []).map((m) => ["input", m]), ...((task.models && task.models.output) || []).map((m) => ["output", m])];
    if (models.length) {
      el.append(h("h3", null, "Models"), kv(models.map(([dir, m]) => [`${dir}: ${m.name || ""}`, h("code", null, m.model || "")])));
    }
  }

  async function consoleTab(el) {
    const pre = h("pre", { class: "console", id: "console-log" });
    const earlier = h("button", { type: "button", id: "log-earlier" }, "Load earlier");
    const status = h("span", { class: "muted small" });
    el.append(h("div", { class: "chart-tools" }, earlier, status), pre);
    const seen = new Set();
    let events = [];
    let oldest = null;
    let newest = null;
    const keyOf = (e) => `${e.timestamp}\u0000${e.msg}\u0000${e.worker || ""}`;
    const paint = () => {
      events.sort((a, b) => (a.timestamp || 0) - (b.timestamp || 0));
      pre.textContent = events.map((e) => `${fmtTime(e.timestamp)}  ${e.level && e.level !== "info" ? `[${e.level}] ` : ""}${e.msg ?? ""}`).join("\n");
      oldest = events.length ? events[0].timestamp : null;
      newest = events.length ? events[events.length - 1].timestamp : null;
      if (!events.length) pre.textContent = "No console output.";
    };
    const merge = (batch) => {
      let added = 0;
      for (const e of batch || []) {
        const k = keyOf(e);
        if (seen.has(k)) continue;
        seen.add(k);
        events.push(e);
        added += 1;
      }
      return added;
    };
    const fetchLog = async (body) => {
      const data = await call("events.get_task_log", { task: id, batch_size: LOG_BATCH, ...body });
      return data;
    };
    const first = await fetchLog({ navigate_earlier: true });
    merge(first.events);
    paint();
    const total = first.total;
    const paintStatus = () => {
      status.textContent = total !== undefined ? `${events.length} of ${Math.max(total, events.length)} lines` : `${events.length} lines`;
      earlier.disabled = total !== undefined && events.length >= total;
    };
    paintStatus();
    pre.scrollTop = pre.scrollHeight;
    earlier.addEventListener("click", async () => {
      if (oldest === null) return;
      earlier.disabled = true;
      const data = await fetchLog({ navigate_earlier: true, from_timestamp: oldest });
      const added = merge(data.events);
      paint();
      paintStatus();
      if (!added) earlier.disabled = true;
    });
    return {
      async refresh() {
        const data = await fetchLog(newest === null ? { navigate_earlier: true } : { navigate_earlier: false, from_timestamp: newest });
        const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
        if (merge(data.events)) {
          paint();
          paintStatus();
          if (atBottom) pre.scrollTop = pre.scrollHeight;
        }
      },
    };
  }

  async function scalars(el) {
    return scalarPanel(el, async () => seriesFromHistogram(await call("events.scalar_metrics_iter_histogram", { task: id, samples: SAMPLES, key: "iter" })));
  }

  async function plots(el) {
    const target = h("div", { class: "plots", id: "plots" });
    el.append(target);
    const load = async () => {
      const data = await call("events.get_task_plots", { task: id, iters: 1 });
      if (!ctx.alive()) return;
      purgePlots(target);
      await renderPlots(target, data.plots || []);
    };
    await load();
    return { refresh: load, destroy: () => purgePlots(target) };
  }

  function schedule() {
    clearTimeout(timer);
    if (!closed && RUNNING.has(task.status)) timer = setTimeout(poll, REFRESH_MS);
  }

  // While the task runs, follow its status and the open tab's live data; one last refresh
  // after it stops shows the final state.
  async function poll() {
    if (closed || !ctx.alive()) return;
    const before = task.status;
    try {
      await fetchTask();
      if (!ctx.alive()) return;
      paintHeader();
      if (panel && panel.refresh) await panel.refresh();
      else if (before !== task.status || tab === "info") await openTab(tab, false);
    } catch {
      // A failed refresh is retried on the next tick.
    }
    schedule();
  }

  paintHeader();
  await openTab(tab, false);
  schedule();
  return () => {
    closed = true;
    clearTimeout(timer);
    if (panel && panel.destroy) panel.destroy();
  };
}

/** Artifact links point at this server's files service; keep them on this origin so the session cookie goes along. */
function downloadUrl(uri) {
  try {
    const u = new URL(uri, location.href);
    if (u.pathname.startsWith("/files/") && u.origin !== location.origin) return u.pathname + u.search;
    return u.href;
  } catch {
    return uri;
  }
}
