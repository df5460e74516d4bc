/** Latency summaries and the rows of the result table. */
export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles: p99 of 5,000 samples is the 4,950th smallest. */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? 0;
  const sum = sorted.reduce((total, v) => total + v, 0);
  return {
    n: sorted.length,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: sorted.at(-1) ?? 0,
    mean: sorted.length ? sum / sorted.length : 0,
  };
}

export interface Row {
  scenario: string;
  metric: string;
  unit: "ms" | "s" | "MB" | "%" | "count" | "x" | "req/s";
  /** A latency distribution, or one value. */
  stats?: Summary;
  value?: number;
  target: string;
  /** undefined: reported only, no target. */
  met?: boolean;
}

export interface ScenarioResult {
  scenario: string;
  rows: Row[];
  /** Correctness facts the smoke test asserts (counts, exactly-once). */
  checks: Record<string, number | boolean>;
  /** Anything else worth keeping in latest.json. */
  details?: Record<string, unknown>;
  wallMs: number;
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Polls `probe` until it is truthy, at most `timeoutMs`; a bench waits for outcomes, never fails on them. */
export async function until(probe: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 5): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return true;
}
