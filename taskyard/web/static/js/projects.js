// Projects page: every project with a link to its tasks table.
import { call } from "./api.js";
import { h, link, fmtTime } from "./dom.js";
import { setCrumbs } from "./nav.js";

export async function projectsView(main, ctx) {
  setCrumbs([{ text: "Projects" }]);
  const data = await call("projects.get_all", {
    only_fields: ["id", "name", "description", "created", "last_update"],
    order_by: ["name"],
  });
  if (!ctx.alive()) return;
  const projects = data.projects || [];
  const rows = projects.map((p) =>
    h(
      "tr",
      { "data-project": p.id },
      h("td", null, link(`/projects/${encodeURIComponent(p.id)}`, p.name || p.id, { class: "project-link" })),
      h("td", { class: "muted" }, p.description || ""),
      h("td", { class: "nowrap" }, fmtTime(p.last_update || p.created)),
    ),
  );
  main.append(
    h(
      "div",
      { class: "page-head" },
      h("h1", null, "Projects"),
      link("/projects/*", "All tasks", { class: "button", id: "all-tasks" }),
    ),
    projects.length
      ? h(
          "table",
          { class: "grid", id: "projects-table" },
          h("thead", null, h("tr", null, h("th", null, "Name"), h("th", null, "Description"), h("th", null, "Updated"))),
          h("tbody", null, rows),
        )
      : h("p", { class: "empty" }, "No projects yet. Tasks created with the clearml SDK appear here."),
  );
}
