import type { HealthSource, HealthTimings, StoreHealth } from "./health.js";
import { HEALTH_DEFAULTS } from "./health.js";

/**
 * Errors that say the server cannot be reached or dropped the connection, as opposed to a query
 * the server refused: node's socket codes, SQLSTATE class 08 (connection exception), 57P0x (the
 * server is shutting down or terminated this backend), 53300 (no connection slot), and the
 * code-less errors pg raises for a connection that ended or a pool that timed out.
 */
const NODE_CODES = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE)$/;
const SQLSTATES = /^(08...|57P0[1-3]|53300)$/;
const MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/;

export function unreachableCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === "string" && (NODE_CODES.test(code) || SQLSTATES.test(code))) return code;
  if (typeof message === "string" && MESSAGES.test(message)) return "connection lost";
  return undefined;
}

const reasonFor = (code: string) => `the PostgreSQL database is unreachable (${code})`;

/**
 * PostgreSQL's health, answered from memory so readiness never waits on the network: a probe (a
 * committed one-row write) runs in the background at most every few seconds, and any repository
 * call that meets an unreachable server flips it at once. The next passing probe clears both.
 */
export class PostgresHealth implements HealthSource {
  private failure: { reason: string; at: number } | undefined;
  private lastProbeAt: number | undefined;
  private probing: { startedAt: number } | undefined;
  private stopped = false;
  private readonly timings: HealthTimings;

  constructor(
    private readonly probeWrite: (at: number) => Promise<void>,
    timings: Partial<HealthTimings> = {},
  ) {
    this.timings = { ...HEALTH_DEFAULTS, ...timings };
  }

  observe(error: unknown): void {
    const code = unreachableCode(error);
    if (code) this.failure = { reason: reasonFor(code), at: this.timings.now() };
  }

  health(): StoreHealth {
    if (this.stopped) return { ok: false, reason: "the store is closed" };
    const now = this.timings.now();
    if (this.probing && now - this.probing.startedAt >= this.timings.probeEveryMs * 2) {
      const seconds = Math.round((now - this.probing.startedAt) / 1000);
      return { ok: false, reason: `the PostgreSQL database has not answered for ${seconds} s` };
    }
    if (!this.probing && (this.lastProbeAt === undefined || now - this.lastProbeAt >= this.timings.probeEveryMs)) {
      void this.probe(now); // never rejects: its outcome is what health() reads next time
    }
    return this.failure ? { ok: false, reason: this.failure.reason } : { ok: true };
  }

  /** Runs the probe now and settles health() with its result. */
  async probe(now = this.timings.now()): Promise<void> {
    if (this.probing) return;
    this.probing = { startedAt: now };
    this.lastProbeAt = now;
    try {
      await this.probeWrite(now);
      // Only a failure seen before this probe started is answered by its success.
      if (this.failure && this.failure.at <= now) this.failure = undefined;
    } catch (error) {
      const code = unreachableCode(error);
      const detail = error instanceof Error ? error.message.slice(0, 120) : String(error);
      this.failure = { reason: code ? reasonFor(code) : `the database's write probe failed (${detail})`, at: now };
    } finally {
      this.probing = undefined;
    }
  }

  /** PostgreSQL checks its own pages; there is nothing for jitbot to scan. */
  checkIntegrity(): Promise<void> {
    return this.probe();
  }

  stop(): void {
    this.stopped = true;
  }
}
