// Entry point: routing (history API) and the views' life cycle.
import { onUnauthorized, logout } from "./api.js";
import { h, clear } from "./dom.js";
import { navigate, setRenderer, setCrumbs, clearFlash } from "./nav.js";
import { tasksView } from "./tasks.js";

const main = document.getElementById("main");
const logoutButton = document.getElementById("logout");
let cleanup = null;
let generation = 0;

/**
 * URL → view. Besides our own `/tasks/<id>/<tab>` and `/projects/<id>`, the links the clearml SDK
 * prints (`/projects/<p>/experiments/<task>/output/log`, `/projects/<p>/tasks/<task>/…`,
 * `/pipelines/<p>/experiments/<task>`, `/datasets/simple/<p>/experiments/<task>`) open the task.
 */
function resolve(pathname) {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const [head] = parts;
  if (!head) return { view: "projects" };
  if (head === "login") return { view: "login" };
  if (head === "compare") return { view: "compare" };
  if (head === "tasks" && parts[1]) return { view: "task", task: parts[1], rest: parts.slice(2) };
  if (head === "projects") {
    if (parts.length === 1) return { view: "projects" };
    if (parts.length >= 4 && (parts[2] === "experiments" || parts[2] === "tasks")) {
      return { view: "task", task: parts[3], rest: parts.slice(4), project: parts[1] };
    }
    return { view: "tasks", project: parts[1] };
  }
  if (head === "pipelines" || head === "datasets") {
    const i = parts.indexOf("experiments");
    if (i >= 0 && parts[i + 1]) return { view: "task", task: parts[i + 1], rest: parts.slice(i + 2) };
  }
  return { view: "notfound" };
}

async function load(route) {
  switch (route.view) {
    case "projects":
      return (await import("./projects.js")).projectsView;
    case "tasks":
      return tasksView;
    case "task":
      return (await import("./task.js")).taskView;
    case "compare":
      return (await import("./compare.js")).compareView;
    case "login":
      return (await import("./login.js")).loginView;
    default:
      return async (el) => {
        setCrumbs([{ text: "Not found" }]);
        el.append(h("p", null, "No such page. ", h("a", { href: "/", "data-nav": true }, "Go to projects")));
      };
  }
}

async function render() {
  const mine = ++generation;
  if (cleanup) {
    try {
      cleanup();
    } catch {
      // A view's teardown failing must not block the next view.
    }
    cleanup = null;
  }
  clearFlash();
  const route = resolve(location.pathname);
  logoutButton.hidden = route.view === "login";
  const view = await load(route);
  if (mine !== generation) return;
  clear(main);
  main.className = `view-${route.view}`;
  const ctx = {
    route,
    params: new URLSearchParams(location.search),
    // Views check this after each await so a slow reply cannot draw over a newer page.
    alive: () => mine === generation,
  };
  try {
    const result = await view(main, ctx);
    if (typeof result === "function") {
      if (mine === generation) cleanup = result;
      else result();
    }
  } catch (err) {
    if (mine !== generation || (err && err.code === 401)) return;
    main.append(h("div", { class: "error-box" }, err && err.message ? err.message : String(err)));
  }
}

onUnauthorized(() => {
  if (location.pathname === "/login") return;
  navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, true);
});

document.addEventListener("click", (e) => {
  const a = e.target.closest && e.target.closest("a[data-nav]");
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(a.getAttribute("href"));
});

logoutButton.addEventListener("click", async () => {
  await logout();
  navigate("/login", true);
});

window.addEventListener("popstate", render);
setRenderer(render);
render();
