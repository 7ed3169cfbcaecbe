// Interactive scalar charts on the vendored uPlot: drag to zoom (double-click resets), hover for
// values, EMA smoothing. The server downsamples long series (`samples`), so a 100k-point series
// arrives as a few thousand points and draws in one frame.
import { h, clear, loadScript, loadStyle, fmtNumber } from "./dom.js";

export const SAMPLES = 2000;

const PALETTE = ["#2d6cdf", "#e4572e", "#17a589", "#a05ad8", "#f0a202", "#d6336c", "#3d9970", "#6c757d", "#0aa1c9", "#8d6e63"];

export async function ensureUPlot() {
  loadStyle(new URL("../vendor/uPlot.min.css", import.meta.url).href);
  await loadScript(new URL("../vendor/uPlot.iife.min.js", import.meta.url).href);
  return window.uPlot;
}

/** Exponential moving average with TensorBoard-style debiasing; weight in [0, 1). */
export function smooth(ys, weight) {
  if (!weight) return ys;
  const out = new Array(ys.length);
  let acc = 0;
  let n = 0;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (y === null || y === undefined || !Number.isFinite(y)) {
      out[i] = y;
      continue;
    }
    acc = acc * weight + (1 - weight) * y;
    n += 1;
    out[i] = acc / (1 - Math.pow(weight, n));
  }
  return out;
}

const SMOOTH_KEY = "taskyard.smoothing";

export function savedSmoothing() {
  const v = Number(localStorage.getItem(SMOOTH_KEY));
  return Number.isFinite(v) && v >= 0 && v < 1 ? v : 0;
}

/** Histogram reply {metric: {variant: {x, y}}} → {metric: [{label, x, y}]}. */
export function seriesFromHistogram(data, labelPrefix = "") {
  const out = {};
  for (const [metric, variants] of Object.entries(data || {})) {
    if (!variants || typeof variants !== "object") continue;
    for (const [variant, s] of Object.entries(variants)) {
      if (!s || !Array.isArray(s.x) || !Array.isArray(s.y)) continue;
      (out[metric] ||= []).push({ label: labelPrefix ? `${labelPrefix} · ${variant}` : variant, x: s.x, y: s.y });
    }
  }
  return out;
}

function sameX(series) {
  const x0 = series[0].x;
  return series.every((s) => s.x === x0 || (s.x.length === x0.length && s.x.every((v, i) => v === x0[i])));
}

/** Align the series on one x axis (uPlot needs a shared x), with nulls where a series lacks one. */
function align(uPlot, series) {
  if (series.length === 1 || sameX(series)) return [series[0].x, ...series.map((s) => s.y)];
  return uPlot.join(series.map((s) => [s.x, s.y]));
}

/** One chart; returns {update(series), setSmoothing(w), destroy()}. */
function makeChart(uPlot, box, title, series, weight) {
  let plot = null;
  let zoomed = false;
  let current = series;
  let w = weight;

  const build = () => {
    const aligned = align(uPlot, current);
    const ySeries = [];
    const data = [aligned[0]];
    current.forEach((s, i) => {
      const color = PALETTE[i % PALETTE.length];
      const fmt = (u, v) => (v === null || v === undefined ? "–" : fmtNumber(v));
      if (w > 0) {
        ySeries.push({ label: `${s.label} (raw)`, stroke: `${color}40`, width: 1, spanGaps: true, points: { show: false }, value: fmt });
        data.push(aligned[i + 1]);
      }
      ySeries.push({ label: s.label, stroke: color, width: 1.6, spanGaps: true, points: { show: false }, value: fmt });
      data.push(smooth(aligned[i + 1], w));
    });
    const oldX = plot && zoomed ? { min: plot.scales.x.min, max: plot.scales.x.max } : null;
    if (plot) plot.destroy();
    const width = Math.max(300, box.clientWidth || 600);
    plot = new uPlot(
      {
        title,
        width,
        height: 260,
        scales: { x: { time: false } },
        axes: [{ label: "iteration" }, { size: 60, values: (u, ticks) => ticks.map(fmtNumber) }],
        cursor: { drag: { x: true, y: false, setScale: true } },
        series: [{ label: "iteration", value: (u, v) => (v === null || v === undefined ? "–" : String(v)) }, ...ySeries],
        hooks: {
          setSelect: [(u) => u.select.width > 0 && (zoomed = true)],
          // The visible x range, readable from the page (tests, bench).
          setScale: [(u, key) => key === "x" && (box.dataset.xRange = `${u.scales.x.min}:${u.scales.x.max}`)],
        },
      },
      data,
      box,
    );
    plot.over.addEventListener("dblclick", () => (zoomed = false));
    if (oldX) plot.setScale("x", oldX);
    box.dataset.points = String(data[0].length);
    box.dataset.series = String(current.length);
  };

  build();
  const observer = new ResizeObserver(() => {
    const width = Math.max(300, box.clientWidth);
    if (plot && Math.abs(plot.width - width) > 4) plot.setSize({ width, height: 260 });
  });
  observer.observe(box);

  return {
    update(series) {
      current = series;
      build();
    },
    setSmoothing(weight) {
      w = weight;
      build();
    },
    destroy() {
      observer.disconnect();
      if (plot) plot.destroy();
    },
  };
}

/**
 * A panel of charts, one per metric, with a smoothing slider. `fetch` resolves to
 * {metric: [{label, x, y}]}; `refresh()` re-fetches (for running tasks) keeping zoom.
 */
export async function scalarPanel(container, fetch) {
  const uPlot = await ensureUPlot();
  let weight = savedSmoothing();
  const charts = new Map();
  const value = h("output", { id: "smoothing-value" }, weight.toFixed(2));
  const slider = h("input", { type: "range", id: "smoothing", min: "0", max: "0.99", step: "0.01", value: String(weight), "aria-label": "Smoothing" });
  slider.addEventListener("input", () => {
    weight = Number(slider.value);
    value.textContent = weight.toFixed(2);
    localStorage.setItem(SMOOTH_KEY, String(weight));
    for (const c of charts.values()) c.setSmoothing(weight);
  });
  const grid = h("div", { class: "charts", id: "scalar-charts" });
  const note = h("p", { class: "muted small" }, "Drag across a chart to zoom, double-click to reset; hover for values.");
  container.append(h("div", { class: "chart-tools" }, h("label", null, "Smoothing ", slider, " ", value), note), grid);

  async function refresh() {
    const byMetric = await fetch();
    const metrics = Object.keys(byMetric).sort();
    if (!metrics.length && !charts.size) {
      clear(grid).append(h("p", { class: "empty" }, "No scalars reported."));
      return;
    }
    if (!charts.size) clear(grid);
    for (const metric of metrics) {
      const series = byMetric[metric];
      if (!series.length) continue;
      if (charts.has(metric)) {
        charts.get(metric).update(series);
      } else {
        const box = h("div", { class: "chart", "data-metric": metric });
        grid.append(box);
        charts.set(metric, makeChart(uPlot, box, metric, series, weight));
      }
    }
    performance.mark("taskyard:scalars-drawn");
  }

  await refresh();
  return {
    refresh,
    destroy() {
      for (const c of charts.values()) c.destroy();
      charts.clear();
    },
  };
}
