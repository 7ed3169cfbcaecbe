// Tasks table of one project (or of all, project "*"): server-side filtering, sorting and paging,
// a column chooser, selection for compare. One get_all_ex per page view.
import { call, tryCall } from "./api.js";
import { h, clear, debounce } from "./dom.js";
import { navigate, setCrumbs, setQuery, flash } from "./nav.js";
import { BASE_COLUMNS, columnsFromSpecs, loadSpecs, saveSpecs, makeColumn, defaultSpecs } from "./columns.js";
import { STATUSES, TYPES, PAGE_SIZES, readState, writeState, hasFilters, queryBody, multiSelect } from "./filters.js";

const REFRESH_MS = 5000;
const RUNNING = new Set(["in_progress", "queued"]);
const MAX_COMPARE = 10;

export async function tasksView(main, ctx) {
  const project = ctx.route.project;
  const allProjects = project === "*";
  const state = readState(ctx.params);
  let specs = loadSpecs(project);
  let columns = columnsFromSpecs(specs);
  const selected = new Set();
  const knownUsers = new Map(); // id → name, learnt from the rows for the user filter
  let timer = null;
  let fetchSeq = 0;

  setCrumbs([{ text: "Projects", href: "/" }, { text: allProjects ? "All tasks" : "…" }]);
  async function loadProjectName() {
    const d = await tryCall("projects.get_by_id", { project });
    if (!ctx.alive()) return;
    const name = (d && d.project && d.project.name) || project;
    setCrumbs([{ text: "Projects", href: "/" }, { text: name }]);
    title.textContent = name;
  }

  const title = h("h1", null, allProjects ? "All tasks" : "Tasks");
  const compareButton = h("button", { type: "button", id: "compare-selected", disabled: true, onclick: () => openCompare() }, "Compare");
  const chooser = h("details", { class: "dropdown column-chooser", id: "column-chooser" }, h("summary", { class: "button" }, "Columns"), h("div", { class: "menu wide" }));
  chooser.addEventListener("toggle", () => chooser.open && fillChooser());
  const head = h("div", { class: "page-head" }, title, h("span", { class: "spacer" }), compareButton, chooser);

  const filterBar = h("div", { class: "filters", id: "filters" });
  const table = h("table", { class: "grid tasks", id: "tasks-table" });
  const status = h("div", { class: "table-status muted" });
  const pager = h("div", { class: "pager", id: "pager" });
  main.append(head, filterBar, h("div", { class: "table-wrap" }, table), status, pager);

  function update(changes, resetPage = true) {
    Object.assign(state, changes);
    if (resetPage) state.page = 0;
    setQuery(writeState(state));
    load();
  }

  function buildFilters() {
    clear(filterBar);
    const search = h("input", { type: "search", id: "filter-search", placeholder: "Search text…", value: state.q });
    search.addEventListener("input", debounce(() => update({ q: search.value.trim() }), 350));
    const name = h("input", { type: "search", id: "filter-name", placeholder: "Name (regex)", value: state.name });
    name.addEventListener("input", debounce(() => update({ name: name.value.trim() }), 350));
    const tags = h("input", { type: "search", id: "filter-tags", placeholder: "Tags (comma separated)", value: state.tags.join(", ") });
    tags.addEventListener(
      "input",
      debounce(() => update({ tags: tags.value.split(",").map((s) => s.trim()).filter(Boolean) }), 350),
    );
    const statusSel = multiSelect("filter-status", "Status", STATUSES.map((s) => ({ value: s, label: s.replace("_", " ") })), state.status, (v) => update({ status: v }));
    const typeSel = multiSelect("filter-type", "Type", TYPES.map((s) => ({ value: s, label: s.replace("_", " ") })), state.type, (v) => update({ type: v }));
    userCount = -1;
    buildUserSelect();
    const archived = h("input", { type: "checkbox", id: "filter-archived", checked: state.archived });
    archived.addEventListener("change", () => update({ archived: archived.checked }));
    const reset = h(
      "button",
      {
        type: "button",
        class: "link",
        id: "filter-clear",
        hidden: !hasFilters(state),
        onclick: () => {
          update({ status: [], type: [], user: [], tags: [], name: "", q: "", archived: false });
          buildFilters();
        },
      },
      "Clear filters",
    );
    filterBar.append(search, name, statusSel, typeSel, userHolder, tags, h("label", { class: "check" }, archived, " Archived"), reset);
  }

  // The user filter offers the company's users when the server lists them, else the users
  // seen in the rows so far; it is rebuilt alone so typing in the other filters is not disturbed.
  const userHolder = h("span", { class: "holder" });
  let userCount = -1;
  function buildUserSelect() {
    if (knownUsers.size === userCount) return;
    userCount = knownUsers.size;
    const options = [...knownUsers].map(([id, nm]) => ({ value: id, label: nm }));
    for (const id of state.user) if (!knownUsers.has(id)) options.push({ value: id, label: id });
    clear(userHolder).append(multiSelect("filter-user", "User", options, state.user, (v) => update({ user: v })));
  }

  async function loadUsers() {
    const data = await tryCall("users.get_all", { only_fields: ["id", "name"] });
    if (!data || !ctx.alive()) return;
    for (const u of data.users || []) knownUsers.set(u.id, u.name || u.id);
    buildUserSelect();
  }

  function onlyFields() {
    const fields = new Set(["id", "name", "status"]);
    for (const c of columns) for (const f of c.fields) fields.add(f);
    return [...fields];
  }

  function sortHeader(col) {
    const asc = state.sort === col.sort;
    const desc = state.sort === `-${col.sort}`;
    const th = h(
      "th",
      {
        class: `sortable${asc || desc ? " sorted" : ""}${col.numeric ? " num" : ""}`,
        "data-col": col.key,
        "aria-sort": asc ? "ascending" : desc ? "descending" : "none",
        title: `Sort by ${col.title}`,
      },
      col.title,
      asc ? " ▲" : desc ? " ▼" : "",
    );
    th.addEventListener("click", () => {
      const next = asc ? `-${col.sort}` : desc ? col.sort : col.desc ? `-${col.sort}` : col.sort;
      update({ sort: next });
    });
    return th;
  }

  function renderTable(tasks) {
    clear(table);
    const allBox = h("input", { type: "checkbox", "aria-label": "Select all on this page", checked: tasks.length > 0 && tasks.every((t) => selected.has(t.id)) });
    allBox.addEventListener("change", () => {
      for (const t of tasks) {
        if (allBox.checked) selected.add(t.id);
        else selected.delete(t.id);
      }
      renderTable(tasks);
    });
    table.append(h("thead", null, h("tr", null, h("th", { class: "select" }, allBox), columns.map(sortHeader))));
    const body = h("tbody");
    for (const t of tasks) {
      if (t.user && t.user.id) knownUsers.set(t.user.id, t.user.name || t.user.id);
      const box = h("input", { type: "checkbox", class: "row-select", "aria-label": `Select ${t.name}`, checked: selected.has(t.id) });
      box.addEventListener("change", () => {
        if (box.checked) selected.add(t.id);
        else selected.delete(t.id);
        paintCompare();
      });
      body.append(
        h(
          "tr",
          { "data-task": t.id, "data-status": t.status || "", class: selected.has(t.id) ? "selected" : null },
          h("td", { class: "select" }, box),
          columns.map((c) => h("td", { class: c.numeric ? "num" : null, "data-col": c.key }, c.render(t))),
        ),
      );
    }
    table.append(body);
    paintCompare();
  }

  function paintCompare() {
    const n = selected.size;
    compareButton.textContent = n ? `Compare (${n})` : "Compare";
    compareButton.disabled = n < 2 || n > MAX_COMPARE;
    compareButton.title = n > MAX_COMPARE ? `Select at most ${MAX_COMPARE} tasks` : "Select 2 to 10 tasks to compare";
  }

  function openCompare() {
    navigate(`/compare?ids=${[...selected].map(encodeURIComponent).join(",")}`);
  }

  function renderPager(count) {
    clear(pager);
    const first = state.page * state.size;
    const prev = h("button", { type: "button", id: "page-prev", disabled: state.page === 0, onclick: () => update({ page: state.page - 1 }, false) }, "‹ Prev");
    // get_all_ex reports no total; a full page means there may be more.
    const next = h("button", { type: "button", id: "page-next", disabled: count < state.size, onclick: () => update({ page: state.page + 1 }, false) }, "Next ›");
    const size = h("select", { id: "page-size", "aria-label": "Rows per page" }, PAGE_SIZES.map((n) => h("option", { value: n, selected: n === state.size }, `${n} / page`)));
    size.addEventListener("change", () => update({ size: Number(size.value) }));
    pager.append(prev, h("span", { class: "page-info" }, count ? `Rows ${first + 1}–${first + count}` : "No rows"), next, size);
  }

  async function load(silent = false) {
    const seq = ++fetchSeq;
    clearTimeout(timer);
    if (!silent) table.classList.add("loading");
    let data;
    try {
      data = await call("tasks.get_all_ex", queryBody(project, state, onlyFields()));
    } catch (err) {
      if (seq !== fetchSeq || !ctx.alive()) return;
      table.classList.remove("loading");
      if (err.code !== 401) flash(err.message, "error");
      return;
    }
    if (seq !== fetchSeq || !ctx.alive()) return;
    table.classList.remove("loading");
    const tasks = data.tasks || [];
    renderTable(tasks);
    renderPager(tasks.length);
    buildUserSelect();
    status.textContent = tasks.length ? "" : hasFilters(state) ? "No tasks match these filters." : "No tasks in this project yet.";
    if (!silent) performance.mark("taskyard:tasks-rendered");
    // Running tasks change under our eyes: refresh the page of rows while any is running.
    if (tasks.some((t) => RUNNING.has(t.status))) timer = setTimeout(() => load(true), REFRESH_MS);
  }

  async function fillChooser() {
    const menu = clear(chooser.querySelector(".menu"));
    const isOn = (col) => columns.some((c) => c.key === col.key);
    const toggle = (spec, on) => {
      const key = makeColumn(spec).key;
      specs = on ? [...specs, spec] : specs.filter((s) => makeColumn(s)?.key !== key);
      if (!specs.length) specs = defaultSpecs(allProjects);
      saveSpecs(project, specs);
      columns = columnsFromSpecs(specs);
      load();
    };
    const option = (spec) => {
      const col = makeColumn(spec);
      const box = h("input", { type: "checkbox", checked: isOn(col), "data-col": col.key });
      box.addEventListener("change", () => toggle(spec, box.checked));
      return h("label", { class: "option" }, box, " ", col.title);
    };
    const hpBox = h("div", { class: "group", id: "chooser-hyperparams" }, h("span", { class: "muted" }, "Loading…"));
    const metricBox = h("div", { class: "group", id: "chooser-metrics" }, h("span", { class: "muted" }, "Loading…"));
    menu.append(
      h("div", { class: "group" }, h("strong", null, "Fields"), BASE_COLUMNS.map((c) => option({ kind: "field", key: c.key }))),
      h("div", { class: "group-title" }, h("strong", null, "Hyperparameters")),
      hpBox,
      h("div", { class: "group-title" }, h("strong", null, "Metrics (last value)")),
      metricBox,
      h(
        "button",
        {
          type: "button",
          class: "link",
          onclick: () => {
            specs = defaultSpecs(allProjects);
            saveSpecs(project, specs);
            columns = columnsFromSpecs(specs);
            load();
            chooser.open = false;
          },
        },
        "Reset columns",
      ),
    );
    const { hyperparams, metrics } = await discoverColumns(project);
    clear(hpBox).append(...(hyperparams.length ? hyperparams.map((p) => option({ kind: "hp", section: p.section, name: p.name })) : [h("span", { class: "muted" }, "none")]));
    clear(metricBox).append(...(metrics.length ? metrics.map((m) => option({ kind: "metric", metric: m.metric, variant: m.variant })) : [h("span", { class: "muted" }, "none")]));
  }

  buildFilters();
  // The rows' request goes out first: the server answers in arrival order, and the project's
  // name and the user list can wait for it.
  const rows = load();
  if (!allProjects) loadProjectName();
  loadUsers();
  await rows;
  return () => clearTimeout(timer);
}

/**
 * Hyperparameter and metric names available as columns. Uses the projects service's summaries
 * when the server has them, else samples the project's most recent tasks.
 */
async function discoverColumns(project) {
  const scope = project && project !== "*" ? { project } : {};
  const scopeList = project && project !== "*" ? { project: [project] } : {};
  const [hp, mv] = await Promise.all([
    tryCall("projects.get_hyper_parameters", { ...scope, page_size: 500 }),
    tryCall("projects.get_unique_metric_variants", scope),
  ]);
  let hyperparams = hp && Array.isArray(hp.parameters) ? hp.parameters.map((p) => ({ section: p.section, name: p.name })) : null;
  let metrics = mv && Array.isArray(mv.metrics) ? mv.metrics.map((m) => ({ metric: m.metric, variant: m.variant })) : null;
  if (!hyperparams || !metrics) {
    const sample = await tryCall("tasks.get_all_ex", { ...scopeList, only_fields: ["hyperparams", "last_metrics"], order_by: ["-last_update"], page: 0, page_size: 100 });
    const hpSeen = new Map();
    const mSeen = new Map();
    for (const t of (sample && sample.tasks) || []) {
      for (const [section, params] of Object.entries(t.hyperparams || {})) {
        for (const name of Object.keys(params || {})) hpSeen.set(`${section}/${name}`, { section, name });
      }
      for (const [mk, variants] of Object.entries(t.last_metrics || {})) {
        for (const [vk, entry] of Object.entries(variants || {})) {
          const metric = (entry && entry.metric) || mk;
          const variant = (entry && entry.variant) || vk;
          mSeen.set(`${metric}/${variant}`, { metric, variant });
        }
      }
    }
    hyperparams = hyperparams || [...hpSeen.values()];
    metrics = metrics || [...mSeen.values()];
  }
  const byName = (a, b) => a.localeCompare(b);
  hyperparams.sort((a, b) => byName(`${a.section}/${a.name}`, `${b.section}/${b.name}`));
  metrics.sort((a, b) => byName(`${a.metric}/${a.variant}`, `${b.metric}/${b.variant}`));
  return { hyperparams, metrics };
}

