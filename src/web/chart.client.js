// Charts: uPlot (loaded as a classic script, global `uPlot`). The live throughput chart is fed one
// point per `stats` message; history charts get a whole series. Times are the capture's clock.
import { bitrate, bytes, count, dateOf, fullTime, timeOfDay } from "./dom.client.js";

const WINDOW_POINTS = 300;
/** A fresh chart shows a minute, not two seconds stretched over the whole width. */
const MIN_SPAN_SECONDS = 60;
const HEIGHT = 220;

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

const axis = () => ({ stroke: cssVar("--muted"), grid: { stroke: cssVar("--line"), width: 1 }, ticks: { stroke: cssVar("--line") } });

/** A uPlot that follows its element's width and rebuilds when the system switches light/dark. */
function managed(el, opts, data) {
  // eslint-disable-next-line no-undef
  let plot = new uPlot(opts(), data(), el);
  new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT })).observe(el);
  // uPlot bakes colours in at creation.
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
    plot.destroy();
    // eslint-disable-next-line no-undef
    plot = new uPlot(opts(), data(), el);
  });
  return { get plot() { return plot; } };
}

/** @param {HTMLElement} el */
export function createThroughputChart(el) {
  /** @type {[number[], number[], number[]]} */
  const data = [[], [], []];
  const opts = () => ({
    width: Math.max(200, el.clientWidth),
    height: HEIGHT,
    cursor: { drag: { x: false, y: false } },
    legend: { live: true },
    scales: { x: { time: true, range: (_u, min, max) => [Math.min(min, max - MIN_SPAN_SECONDS), max] }, bps: { auto: true, range: (_u, _min, max) => [0, Math.max(1000, max * 1.1)] }, pps: { auto: true, range: (_u, _min, max) => [0, Math.max(10, max * 1.1)] } },
    series: [
      { label: "Capture time", value: (_u, v) => (v == null ? "–" : timeOfDay(v * 1000)) },
      { label: "Throughput", scale: "bps", stroke: cssVar("--accent"), width: 2, fill: cssVar("--accent") + "22", value: (_u, v) => (v == null ? "–" : bitrate(v)) },
      { label: "Packets/s", scale: "pps", stroke: cssVar("--accent-2"), width: 1.5, value: (_u, v) => (v == null ? "–" : count(v)) },
    ],
    axes: [
      // One row of labels in the page's one time format: uPlot's default second row (date) overlaps on a phone.
      { ...axis(), space: 70, values: (_u, ticks) => ticks.map((t) => timeOfDay(t * 1000)) },
      { ...axis(), scale: "bps", size: 86, values: (_u, vals) => vals.map((v) => bitrate(v)) },
      { ...axis(), scale: "pps", side: 1, size: 56, grid: { show: false }, values: (_u, vals) => vals.map((v) => count(v)) },
    ],
  });
  const m = managed(el, opts, () => data);

  return {
    /** @param {{ time: string, bytesPerSecond: number, packetsPerSecond: number }} s */
    push(s) {
      const t = Date.parse(s.time) / 1000;
      const last = data[0].length ? data[0][data[0].length - 1] : -Infinity;
      if (!(t > last)) return; // replays and reconnects may repeat a second
      data[0].push(t);
      data[1].push(s.bytesPerSecond);
      data[2].push(s.packetsPerSecond);
      if (data[0].length > WINDOW_POINTS) for (const a of data) a.shift();
      m.plot.setData(data);
      // Without a pointer over the chart, the legend shows the latest second instead of "–".
      if (!(m.plot.cursor.left >= 0)) m.plot.setLegend({ idx: data[0].length - 1 });
    },
    points: () => data[0].length,
  };
}

/**
 * Bytes over a window (history, a device's traffic) as bars, one series per name.
 * @param {HTMLElement} el @param {string[]} names
 */
export function createHistoryChart(el, names) {
  /** @type {number[][]} */
  let data = [[], ...names.map(() => [])];
  let spanDays = false;
  const colours = ["--accent", "--accent-2"];
  // eslint-disable-next-line no-undef
  const bars = () => uPlot.paths.bars({ size: [0.8, 40], align: 1 });
  const fmt = (v) => (spanDays ? `${dateOf(v * 1000).slice(5)} ${timeOfDay(v * 1000).slice(0, 5)}` : timeOfDay(v * 1000).slice(0, 5));
  const opts = () => ({
    width: Math.max(200, el.clientWidth),
    height: HEIGHT,
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1000, max * 1.1)] } },
    series: [
      { label: "Capture time", value: (_u, v) => (v == null ? "–" : fullTime(v * 1000)) },
      ...names.map((label, i) => ({
        label, stroke: cssVar(colours[i % 2]), fill: cssVar(colours[i % 2]) + "bb", paths: bars(), points: { show: false },
        value: (_u, v) => (v == null ? "–" : bytes(v)),
      })),
    ],
    axes: [
      { ...axis(), space: 80, values: (_u, ticks) => ticks.map(fmt) },
      { ...axis(), size: 70, values: (_u, vals) => vals.map((v) => bytes(v)) },
    ],
  });
  const m = managed(el, opts, () => data);
  return {
    /** @param {{ time: string, values: number[] }[]} points */
    set(points) {
      const t = points.map((p) => Date.parse(p.time) / 1000);
      spanDays = t.length > 1 && t[t.length - 1] - t[0] > 86400 * 1.5;
      data = [t, ...names.map((_n, i) => points.map((p) => p.values[i] ?? 0))];
      m.plot.setData(data);
    },
    points: () => data[0].length,
  };
}
