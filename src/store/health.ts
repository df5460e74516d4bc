import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { Db } from "./db.js";

export type StoreHealth = { ok: true } | { ok: false; reason: string };

/** What the Store asks of either engine's monitor. */
export interface HealthSource {
  health(): StoreHealth;
  observe(error: unknown): void;
  checkIntegrity(): Promise<void>;
  stop(): void;
}

/** SQLite result codes (and their extended forms, SQLITE_IOERR_WRITE…) that mean the file is unusable. */
const FATAL = /^SQLITE_(CORRUPT|NOTADB|READONLY|IOERR|FULL|CANTOPEN)/;

function reasonFor(code: string): string {
  if (/^SQLITE_(CORRUPT|NOTADB)/.test(code)) return `the database file is corrupt (${code}): restore it from a backup`;
  if (code.startsWith("SQLITE_READONLY")) return `the database file is read-only (${code})`;
  if (code.startsWith("SQLITE_FULL")) return `the disk holding the database is full (${code})`;
  if (code.startsWith("SQLITE_CANTOPEN")) return `the database file cannot be opened (${code})`;
  if (code.startsWith("SQLITE_IOERR")) return `the disk failed a read or write of the database (${code})`;
  return `the store's write probe failed (${code})`;
}

const corruption = (code: string) => /^SQLITE_(CORRUPT|NOTADB)/.test(code);

/**
 * quick_check reads every page: 1.7 s on a 370 MB file of a million requests and a million audit
 * rows. Run on the bot's thread, that would stall Slack's 3 s acks, so it runs in a worker over its
 * own read-only connection (WAL lets it read beside the writer). Plain CommonJS: a worker is not
 * compiled by tsx or vitest.
 */
const INTEGRITY_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
let db;
try {
  db = new Database(workerData.file, { readonly: true, fileMustExist: true });
  const rows = db.pragma("quick_check(1)");
  parentPort.postMessage({ result: rows.map((row) => row.quick_check).join("; ") });
} catch (error) {
  parentPort.postMessage({ result: String((error && error.message) || error), code: error && error.code });
} finally {
  if (db) db.close();
}`;

export interface HealthTimings {
  /** How often the write probe runs at most; between probes health() answers from memory. */
  probeEveryMs: number;
  /**
   * How long a failed repository call keeps the store unhealthy. A passing probe does not prove
   * the disk has room again (it rewrites a page that exists), so a full disk shows for this long
   * after its last failed write; the probe's own failures count at once.
   */
  errorHoldMs: number;
  integrityEveryMs: number;
  now: () => number;
}

export const HEALTH_DEFAULTS: HealthTimings = {
  probeEveryMs: 5_000,
  errorHoldMs: 60_000,
  integrityEveryMs: 15 * 60_000,
  now: Date.now,
};

/**
 * Whether the store still works, cheaply enough for every readiness probe: the last fatal SQLite
 * error any repository call met, a committed one-row write at most every few seconds (a rolled-back
 * write never reaches the file, so it misses a disk that refuses writes), and a background
 * quick_check for corrupted pages.
 */
export class HealthMonitor implements HealthSource {
  private lastError: { code: string; at: number } | undefined;
  private lastProbe: { at: number; failure?: string } | undefined;
  private integrity: { startedAt: number; problem?: string } | undefined;
  private running: { promise: Promise<void>; worker?: Worker } | undefined;
  private readonly timings: HealthTimings;

  constructor(
    private readonly db: Db,
    private readonly file: string,
    timings: Partial<HealthTimings> = {},
  ) {
    this.timings = { ...HEALTH_DEFAULTS, ...timings };
  }

  /** Remembers a fatal SQLite error; anything else is the caller's business. */
  observe(error: unknown): void {
    const code = (error as { code?: unknown } | undefined)?.code;
    if (typeof code === "string" && FATAL.test(code)) this.lastError = { code, at: this.timings.now() };
  }

  health(): StoreHealth {
    if (!this.db.open) return { ok: false, reason: "the store is closed" };
    const now = this.timings.now();
    if (!this.lastProbe || now - this.lastProbe.at >= this.timings.probeEveryMs) this.probe(now);
    if (!this.running && (!this.integrity || now - this.integrity.startedAt >= this.timings.integrityEveryMs)) {
      void this.checkIntegrity(); // never rejects: it records its own failure for health()
    }
    if (this.lastProbe?.failure) return { ok: false, reason: reasonFor(this.lastProbe.failure) };
    const error = this.lastError;
    if (error && (corruption(error.code) || now - error.at < this.timings.errorHoldMs)) {
      return { ok: false, reason: reasonFor(error.code) };
    }
    if (this.integrity?.problem) return { ok: false, reason: this.integrity.problem };
    return { ok: true };
  }

  /** Runs quick_check now (or joins the one running); health() reflects it once this settles. */
  checkIntegrity(): Promise<void> {
    if (this.running) return this.running.promise;
    const startedAt = this.timings.now();
    const settle = (result: string, code?: string) => {
      const problem =
        result === "ok" ? undefined : code ? reasonFor(code) : `the database file is corrupt: ${result.slice(0, 200)}`;
      this.integrity = { startedAt, problem };
      // A corruption error seen before this check began is answered by it; later ones stand.
      if (!problem && this.lastError && corruption(this.lastError.code) && this.lastError.at <= startedAt) {
        this.lastError = undefined;
      }
      this.running = undefined;
    };
    if (this.file === ":memory:") {
      try {
        settle((this.db.pragma("quick_check(1)") as { quick_check: string }[]).map((r) => r.quick_check).join("; "));
      } catch (error) {
        settle(String(error), (error as { code?: string }).code);
      }
      return Promise.resolve();
    }
    const worker = new Worker(INTEGRITY_WORKER, {
      eval: true,
      workerData: { file: this.file, driver: createRequire(import.meta.url).resolve("better-sqlite3") },
    });
    worker.unref();
    const promise = new Promise<void>((resolve) => {
      worker.once("message", (message: { result: string; code?: string }) => {
        settle(message.result, message.code);
        resolve();
      });
      worker.once("error", (error) => {
        settle(`the integrity check could not run: ${error.message}`);
        resolve();
      });
      worker.once("exit", () => {
        if (this.running?.worker === worker) settle("the integrity check stopped before it finished");
        resolve();
      });
    });
    this.running = { promise, worker };
    return promise;
  }

  stop(): void {
    void this.running?.worker?.terminate(); // the check is abandoned; nothing waits for its end
  }

  private probe(now: number): void {
    // The one connection may be inside a transaction that awaits between statements; a probe
    // written there would commit or roll back with it. It runs at the next call instead.
    if (this.db.inTransaction) return;
    try {
      this.db.prepare("UPDATE store_probe SET at = ? WHERE id = 1").run(now);
      this.lastProbe = { at: now };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      this.lastProbe = { at: now, failure: typeof code === "string" ? code : "an unknown error" };
    }
  }
}

/**
 * Routes every error a repository method rejects with through `observe`, so health() knows of a
 * failing disk or an unreachable database from the first failed call rather than the next probe.
 * The methods still reject.
 */
export function reportingErrors<T extends object>(target: T, observe: (error: unknown) => void): T {
  for (
    let proto = Object.getPrototypeOf(target);
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const method: unknown = Reflect.get(target, name);
      if (name === "constructor" || typeof method !== "function" || Object.hasOwn(target, name)) continue;
      Object.defineProperty(target, name, {
        configurable: true,
        writable: true,
        value: async (...args: unknown[]) => {
          try {
            return await method.apply(target, args);
          } catch (error) {
            observe(error);
            throw error;
          }
        },
      });
    }
  }
  return target;
}
