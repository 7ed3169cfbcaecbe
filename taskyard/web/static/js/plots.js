// The task's plot events (plotly figures reported by the SDK), drawn with the vendored
// plotly.js bundle, which is only loaded when a page has plots to show.
import { h, clear, loadScript } from "./dom.js";

export async function ensurePlotly() {
  await loadScript(new URL("../vendor/plotly-cartesian.min.js", import.meta.url).href);
  return window.Plotly;
}

function parse(plot) {
  try {
    const fig = typeof plot.plot_str === "string" ? JSON.parse(plot.plot_str) : plot.plot_str || plot.plot_data;
    return fig && typeof fig === "object" ? fig : null;
  } catch {
    return null;
  }
}

/** plots: [{metric, variant, iter, plot_str}]; only the latest iteration of each is kept. */
export async function renderPlots(container, plots) {
  clear(container);
  const latest = new Map();
  for (const p of plots || []) {
    const key = `${p.metric}\u0000${p.variant}`;
    const seen = latest.get(key);
    if (!seen || (p.iter || 0) >= (seen.iter || 0)) latest.set(key, p);
  }
  if (!latest.size) {
    container.append(h("p", { class: "empty" }, "No plots reported."));
    return;
  }
  const Plotly = await ensurePlotly();
  const items = [...latest.values()].sort((a, b) => `${a.metric}/${a.variant}`.localeCompare(`${b.metric}/${b.variant}`));
  for (const p of items) {
    const fig = parse(p);
    const title = `${p.metric} / ${p.variant}${p.iter !== undefined ? ` · iteration ${p.iter}` : ""}`;
    const target = h("div", { class: "plot-target" });
    container.append(h("figure", { class: "plot", "data-metric": p.metric, "data-variant": p.variant }, h("figcaption", null, title), target));
    if (!fig) {
      target.append(h("p", { class: "muted" }, "This plot could not be read."));
      continue;
    }
    const layout = { ...(fig.layout || {}), autosize: true, height: 360, margin: { l: 50, r: 20, t: 30, b: 40 } };
    await Plotly.newPlot(target, fig.data || [], layout, { responsive: true, displaylogo: false });
  }
}

export function purgePlots(container) {
  if (!window.Plotly) return;
  for (const el of container.querySelectorAll(".plot-target")) window.Plotly.purge(el);
}
