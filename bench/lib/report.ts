import type { Row } from "./stats.js";
import type { BenchReport } from "./suite.js";

const fmt = (v: number | undefined, unit: string) =>
  v === undefined ? "" : unit === "ms" && v < 10 ? v.toFixed(2) : v < 10 ? v.toFixed(2) : v.toFixed(1);

function cells(row: Row): string[] {
  const values = row.stats
    ? `${fmt(row.stats.p50, row.unit)} / ${fmt(row.stats.p95, row.unit)} / ${fmt(row.stats.p99, row.unit)} / ${fmt(row.stats.max, row.unit)}`
    : fmt(row.value, row.unit);
  const met = row.met === undefined ? "" : row.met ? "yes" : "NO";
  return [row.scenario, row.metric, `${values} ${row.unit}`, row.target, met];
}

/** The result table as Markdown (pastes into the README as is). */
export function markdownTable(report: BenchReport): string {
  const rows = [...report.results.flatMap((r) => r.rows), report.memory];
  const lines = [
    "| scenario | metric | p50 / p95 / p99 / max, or value | target | met? |",
    "|---|---|---|---|---|",
    ...rows.map((row) => `| ${cells(row).join(" | ")} |`),
  ];
  return lines.join("\n");
}

export function header(report: BenchReport): string {
  const wall = (report.wallMs / 1000).toFixed(0);
  return `jitbot bench (${report.mode}) — ${report.cores} cores (${report.cpu}), Node ${report.node}, ${wall} s`;
}
