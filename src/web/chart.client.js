// The throughput chart: uPlot (loaded as a classic script, global `uPlot`) fed one point per
// `stats` message, keeping the last WINDOW_POINTS seconds.
import { bitrate, count } from "./dom.client.js";

const WINDOW_POINTS = 300;

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

/** @param {HTMLElement} el */
export function createThroughputChart(el) {
  /** @type {[number[], number[], number[]]} */
  const data = [[], [], []];
  const axis = () => ({ stroke: cssVar("--muted"), grid: { stroke: cssVar("--line"), width: 1 }, ticks: { stroke: cssVar("--line") } });
  const opts = {
    width: Math.max(200, el.clientWidth),
    height: 220,
    cursor: { drag: { x: false, y: false } },
    legend: { live: true },
    scales: { x: { time: true }, bps: { auto: true, range: (_u, _min, max) => [0, Math.max(1000, max * 1.1)] }, pps: { auto: true, range: (_u, _min, max) => [0, Math.max(10, max * 1.1)] } },
    series: [
      {},
      { label: "Throughput", scale: "bps", stroke: cssVar("--accent"), width: 2, fill: cssVar("--accent") + "22", value: (_u, v) => (v == null ? "–" : bitrate(v)) },
      { label: "Packets/s", scale: "pps", stroke: cssVar("--accent-2"), width: 1.5, value: (_u, v) => (v == null ? "–" : count(v)) },
    ],
    axes: [
      axis(),
      { ...axis(), scale: "bps", size: 70, values: (_u, vals) => vals.map((v) => bitrate(v)) },
      { ...axis(), scale: "pps", side: 1, size: 50, grid: { show: false }, values: (_u, vals) => vals.map((v) => count(v)) },
    ],
  };
  // eslint-disable-next-line no-undef
  const plot = new uPlot(opts, data, el);
  new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height: 220 })).observe(el);

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
    },
    points: () => data[0].length,
  };
}
