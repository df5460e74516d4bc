/** What the bench (Slack side) and the bot process say to each other over the IPC channel. */
import type { GrantType } from "../../src/config/schema.js";
import type { Pending } from "../lib/pending.js";

/** The bot process's settings, as JSON in JITBOT_BENCH_HOST. */
export interface HostConfig {
  slackApiUrl: string;
  slackToken: string;
  signingSecret: string;
  /** A SQLite file, or a postgres:// URL that several bot processes share. */
  database: string;
  /** This process among the replicas on one database (createJitbot's replicaId). */
  replicaId?: string;
  providerType: GrantType;
  latencyMs: number;
  /**
   * When set, the entra-group provider is the real one (Graph SDK, managed-identity token) talking
   * to this base URL (the bench's throttle in front of its fake Graph), not the in-process sleeper.
   */
  graphBaseUrl?: string;
  concurrency?: number;
  logLevel: string;
}

/** A grant made through this process's store, and when it ends (ms since the epoch). */
export interface Seeded {
  requestId: string;
  expiresAt: number;
}

/** One revoke call as the in-process provider saw it arrive (ms since the epoch). */
export interface RevokeCall {
  requestId: string;
  at: number;
}

export type HostCommand =
  | { id: number; cmd: "file"; count: number }
  | { id: number; cmd: "seed"; expiresAt: number[] }
  | { id: number; cmd: "revokes" }
  | { id: number; cmd: "idle" }
  | { id: number; cmd: "stats" }
  | { id: number; cmd: "resetLoopDelay" }
  | { id: number; cmd: "stop" };

export interface HostStats {
  grants: number;
  revokes: number;
  duplicates: number;
  rssMB: number;
  /** Peak RSS of the bot process so far (process.resourceUsage().maxRSS). */
  maxRssMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  /** Event-loop blocking since the last resetLoopDelay: p99 and max, ms. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** Memory outside the JS heap that V8 knows of (Buffers, SQLite is not in it). */
  externalMB: number;
  /** CPU time the bot process has used (user + system), ms: per request it is steadier than latency. */
  cpuMs: number;
  /** How the bot process runs: "compiled" (node dist/…) or "tsx". */
  runtime: string;
}

export type HostReply =
  | { type: "ready"; url: string }
  | { type: "reply"; id: number; value: Pending[] | Seeded[] | RevokeCall[] | HostStats | null }
  | { type: "error"; id: number; message: string };
