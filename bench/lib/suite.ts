import { availableParallelism, cpus } from "node:os";
import { type AckSizes, ackScenario } from "../scenarios/ack.js";
import { type ApproveSizes, approveDmScenario } from "../scenarios/approve-dm.js";
import { type CatchUpSizes, catchUpScenario } from "../scenarios/catch-up.js";
import { type EffectiveLagSizes, effectiveLagScenario } from "../scenarios/effective-lag.js";
import { type IdleSizes, idleSweepScenario } from "../scenarios/idle-sweep.js";
import { type MassSizes, massExpiryScenario } from "../scenarios/mass-expiry.js";
import { replicasAckScenario } from "../scenarios/replicas-ack.js";
import { type ReplicasLagSizes, replicasLagScenario } from "../scenarios/replicas-lag.js";
import { replicasMassScenario } from "../scenarios/replicas-mass.js";
import { type LagSizes, revocationLagScenario } from "../scenarios/revocation-lag.js";
import { type Row, round, type ScenarioResult } from "./stats.js";

export interface Sizes {
  ack: AckSizes;
  approve: ApproveSizes;
  lag: LagSizes;
  mass: MassSizes;
  catchUp: CatchUpSizes;
  idle: IdleSizes;
  /** Issue 14: three bot processes on one PostgreSQL (skipped, with a printed line, without one). */
  replicasLag: ReplicasLagSizes;
  replicasMass: MassSizes;
  replicasAck: AckSizes;
  /** Issue 16: kubernetes-rolebinding grants, from expires_at to the cluster's "denied". */
  effectiveLag: EffectiveLagSizes;
}

/** The sizes of issue 7. */
/**
 * The mass-expiry rows' Graph throttle: 200 req/s, or JITBOT_BENCH_MASS_RATE. A lower one keeps the
 * rows at the throttle on a machine too loaded to reach 200 revocations a second, so what they
 * measure is how many Graph calls a revoke costs, not the machine.
 */
function massRate(): number {
  return Number(process.env.JITBOT_BENCH_MASS_RATE ?? 200);
}

export const FULL: Sizes = {
  ack: { total: 5_000, concurrency: 50, warmup: 500, reference: { concurrency: 10, total: 2_000 } },
  approve: { requests: 200, latencies: [0, 50] },
  lag: { grants: 1_000, spreadMs: 30_000 },
  mass: { grants: Number(process.env.JITBOT_BENCH_MASS ?? 10_000), ratePerSecond: massRate() },
  catchUp: { grants: 1_000, latencyMs: 20 },
  idle: { finished: 1_000_000, active: 10_000, sweeps: 200 },
  replicasLag: { grants: 300, spreadMs: 15_000 },
  replicasMass: {
    grants: Number(process.env.JITBOT_BENCH_MASS ?? 10_000),
    ratePerSecond: massRate(),
    // A machine under load (other work on the same cores) may need longer to start three bot processes.
    leadMs: process.env.JITBOT_BENCH_MASS_LEAD_MS ? Number(process.env.JITBOT_BENCH_MASS_LEAD_MS) : undefined,
  },
  replicasAck: { total: 5_000, concurrency: 50, warmup: 500 },
  effectiveLag: { grants: 1_000, spreadMs: 30_000 },
};

/** Every scenario, tiny: proves the bench code works in seconds (`--quick`, the smoke test). */
export const QUICK: Sizes = {
  ack: { total: 80, concurrency: 10, warmup: 20, reference: { concurrency: 2, total: 20 } },
  approve: { requests: 5, latencies: [0, 50] },
  lag: { grants: 20, spreadMs: 1_000 },
  mass: { grants: 120, ratePerSecond: 50, burst: 10 },
  catchUp: { grants: 40, latencyMs: 20 },
  idle: { finished: 5_000, active: 500, sweeps: 10 },
  replicasLag: { grants: 20, spreadMs: 1_000 },
  replicasMass: { grants: 120, ratePerSecond: 50, burst: 10, leadMs: 5_000 },
  replicasAck: { total: 60, concurrency: 10, warmup: 12 },
  effectiveLag: { grants: 20, spreadMs: 1_000 },
};

export type ScenarioName =
  | "ack"
  | "replicasAck"
  | "approve"
  | "lag"
  | "replicasLag"
  | "effectiveLag"
  | "mass"
  | "replicasMass"
  | "catchUp"
  | "idle";
/** In table order: each replica row right under its single-replica row. */
export const SCENARIOS: ScenarioName[] = [
  "ack",
  "replicasAck",
  "approve",
  "lag",
  "replicasLag",
  "effectiveLag",
  "mass",
  "replicasMass",
  "catchUp",
  "idle",
];

export interface BenchReport {
  at: string;
  mode: "full" | "quick";
  node: string;
  cores: number;
  cpu: string;
  results: ScenarioResult[];
  memory: Row;
  wallMs: number;
}

function run(name: ScenarioName, sizes: Sizes): Promise<ScenarioResult> {
  switch (name) {
    case "ack":
      return ackScenario(sizes.ack);
    case "approve":
      return approveDmScenario(sizes.approve);
    case "lag":
      return revocationLagScenario(sizes.lag);
    case "mass":
      return massExpiryScenario(sizes.mass);
    case "catchUp":
      return catchUpScenario(sizes.catchUp);
    case "idle":
      return idleSweepScenario(sizes.idle);
    case "replicasLag":
      return replicasLagScenario(sizes.replicasLag);
    case "replicasMass":
      return replicasMassScenario(sizes.replicasMass);
    case "replicasAck":
      return replicasAckScenario(sizes.replicasAck);
    case "effectiveLag":
      return effectiveLagScenario(sizes.effectiveLag);
  }
}

/** Runs the scenarios one after another in this process; peak RSS covers all of them. */
export async function runBench(
  sizes: Sizes,
  mode: BenchReport["mode"],
  only: readonly ScenarioName[] = SCENARIOS,
  onResult: (result: ScenarioResult) => void = () => {},
): Promise<BenchReport> {
  const started = performance.now();
  const results: ScenarioResult[] = [];
  for (const name of only) {
    const result = await run(name, sizes);
    result.details = { ...result.details, rssAfterMB: round(process.memoryUsage().rss / 2 ** 20) };
    results.push(result);
    onResult(result);
  }
  const peakMB = round(process.resourceUsage().maxRSS / 1024);
  return {
    at: new Date().toISOString(),
    mode,
    node: process.version,
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? "unknown",
    results,
    memory: {
      scenario: "memory",
      metric: "peak RSS of the bench process (bot and fakes)",
      unit: "MB",
      value: peakMB,
      target: "≤ 200 MB",
      met: peakMB <= 200,
    },
    wallMs: performance.now() - started,
  };
}
