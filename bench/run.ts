/**
 * `npm run bench [-- --quick] [-- --only=ack,mass]`: the scenarios of issue 7 against the real bot and
 * the local fakes; prints a table and writes bench/results/latest.json (quick.json for --quick).
 * Slowness never fails it: the exit code is 0 unless something crashed.
 *
 * Each scenario runs in its own child process: one scenario's garbage cannot pause another's
 * timings, and peak RSS is measured per scenario. The parent also makes the throwaway certificate
 * of the HTTPS fake Graph: Node reads NODE_EXTRA_CA_CERTS only at start, so the children inherit it.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import setupTls from "../test/fakes/tls-global-setup.js";
import { header, markdownTable } from "./lib/report.js";
import { type BenchReport, FULL, QUICK, runBench, SCENARIOS, type ScenarioName } from "./lib/suite.js";

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const mode = quick ? "quick" : "full";
const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const isScenario = (n: string): n is ScenarioName => (SCENARIOS as string[]).includes(n);
const only = (option("only") ?? "").split(",").filter(isScenario);

const child = option("scenario");
if (child !== undefined) {
  // A child: one scenario, its report to the file the parent named.
  if (!isScenario(child)) throw new Error(`unknown scenario ${child}`);
  const report = await runBench(quick ? QUICK : FULL, mode, [child]);
  writeFileSync(option("out") ?? "", JSON.stringify(report));
  process.exit(0);
}

// The bot process runs from compiled JS, as the production image does (node dist/…, no tsx).
const build = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "bench/tsconfig.host.json"], {
  stdio: "inherit",
  cwd: fileURLToPath(new URL("..", import.meta.url)),
});
if (build.status !== 0) throw new Error("could not compile the bot process (tsc -p bench/tsconfig.host.json)");
process.env.JITBOT_BENCH_COMPILED = "1";
const cleanup = setupTls();
const work = mkdtempSync(join(tmpdir(), "jitbot-bench-run-"));
const started = performance.now();
const reports: BenchReport[] = [];
try {
  for (const name of only.length ? only : SCENARIOS) {
    const out = join(work, `${name}.json`);
    const script = fileURLToPath(import.meta.url);
    const run = spawnSync(
      process.execPath,
      [...process.execArgv, script, `--scenario=${name}`, `--out=${out}`, ...args],
      {
        stdio: "inherit",
        env: process.env,
      },
    );
    if (run.status !== 0) throw new Error(`scenario ${name} crashed (exit ${run.status ?? run.signal})`);
    const report = JSON.parse(readFileSync(out, "utf8")) as BenchReport;
    const result = report.results[0];
    if (result) result.details = { ...result.details, peakRssMB: report.memory.value };
    reports.push(report);
    console.log(`… ${name}: ${((result?.wallMs ?? 0) / 1000).toFixed(1)} s, peak RSS ${report.memory.value} MB`);
  }
} finally {
  cleanup();
  rmSync(work, { recursive: true, force: true });
}

const first = reports[0];
if (!first) process.exit(0);
// Production-like: the bot process alone (compiled, fakes elsewhere), where a scenario runs it so.
// The in-process scenarios' number (bot + fakes + tsx in one process) is reported beside it.
const botPeaks = reports.flatMap((r) => r.results.map((x) => Number(x.details?.botPeakRssMB ?? Number.NaN)));
const botPeak = Math.max(0, ...botPeaks.filter((v) => !Number.isNaN(v)));
// The replica scenarios run their bots elsewhere too; their own process holds only fakes and load.
const inProcess = reports.filter((r) =>
  r.results.every((x) => x.details?.botPeakRssMB === undefined && x.details?.replicas === undefined && x.rows.length),
);
const inProcessPeak = Math.max(0, ...inProcess.map((r) => r.memory.value ?? 0));
const report: BenchReport = {
  ...first,
  results: [
    ...reports.flatMap((r) => r.results),
    {
      scenario: "memory",
      rows: [
        {
          scenario: "memory",
          metric: "  in-process scenarios: bot + fakes + tsx in one process (not production-like)",
          unit: "MB",
          value: inProcessPeak,
          target: "reported",
        },
      ],
      checks: {},
      wallMs: 0,
    },
  ],
  memory: {
    ...first.memory,
    metric: "peak RSS of the bot process alone (compiled JS, fakes in another process)",
    value: botPeak,
    met: botPeak > 0 && botPeak <= 200,
  },
  wallMs: performance.now() - started,
};
console.log(`\n${header(report)}\n`);
console.log(markdownTable(report));
const lag = report.results.find((r) => r.scenario === "revocation lag");
if (lag?.details) console.log(`\nrevocation lag, sweep-only ÷ timer: p50 ×${Number(lag.details.ratioP50).toFixed(0)}`);
const dir = fileURLToPath(new URL("./results/", import.meta.url));
mkdirSync(dir, { recursive: true });
const file = `${dir}${mode === "quick" ? "quick" : "latest"}.json`;
writeFileSync(file, `${JSON.stringify({ ...report, table: markdownTable(report) }, null, 2)}\n`);
console.log(`\nwritten: ${file}`);
