// The throughput chart: uPlot (loaded as a classic script, global `uPlot`) fed one point per
// `stats` message, keeping the last WINDOW_POINTS seconds.
import { bitrate, count } from "./dom.client.js";

const WINDOW_POINTS = 300;
/** A fresh chart shows a minute, not two seconds stretched over the whole width. */
const MIN_SPAN_SECONDS = 60;

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

const TIME_FORMAT = new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
const timeLabel = (/** @type {number} */ t) => TIME_FORMAT.format(t * 1000);

/** @param {HTMLElement} el */
export function createThroughputChart(el) {
  /** @type {[number[], number[], number[]]} */
  const data = [[], [], []];
  const axis = () => ({ stroke: cssVar("--muted"), grid: { stroke: cssVar("--line"), width: 1 }, ticks: { stroke: cssVar("--line") } });
  const opts = () => ({
    width: Math.max(200, el.clientWidth),
    height: 220,
    cursor: { drag: { x: false, y: false } },
    legend: { live: true },
    scales: { x: { time: true, range: (_u, min, max) => [Math.min(min, max - MIN_SPAN_SECONDS), max] }, bps: { auto: true, range: (_u, _min, max) => [0, Math.max(1000, max * 1.1)] }, pps: { auto: true, range: (_u, _min, max) => [0, Math.max(10, max * 1.1)] } },
    series: [
      {},
      { label: "Throughput", scale: "bps", stroke: cssVar("--accent"), width: 2, fill: cssVar("--accent") + "22", value: (_u, v) => (v == null ? "–" : bitrate(v)) },
      { label: "Packets/s", scale: "pps", stroke: cssVar("--accent-2"), width: 1.5, value: (_u, v) => (v == null ? "–" : count(v)) },
    ],
    axes: [
      // One row of wall-clock labels: uPlot's default second row (date) overlaps on a phone.
      { ...axis(), space: 70, values: (_u, ticks) => ticks.map(timeLabel) },
      { ...axis(), scale: "bps", size: 86, values: (_u, vals) => vals.map((v) => bitrate(v)) },
      { ...axis(), scale: "pps", side: 1, size: 56, grid: { show: false }, values: (_u, vals) => vals.map((v) => count(v)) },
    ],
  });
  // eslint-disable-next-line no-undef
  let plot = new uPlot(opts(), data, el);
  new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height: 220 })).observe(el);
  // uPlot bakes colours in at creation; rebuild when the system switches between light and dark.
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
    plot.destroy();
    // eslint-disable-next-line no-undef
    plot = new uPlot(opts(), data, el);
  });

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
      plot.setData(data);
      // Without a pointer over the chart, the legend shows the latest second instead of "–".
      if (!(plot.cursor.left >= 0)) plot.setLegend({ idx: data[0].length - 1 });
    },
    points: () => data[0].length,
  };
}
