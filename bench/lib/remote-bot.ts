import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { GrantType } from "../../src/config/schema.js";
import { FakeSlackWebApi } from "../../src/playground/slack-web-api.js";
import { Store } from "../../src/store/index.js";
import type { HostCommand, HostConfig, HostReply, HostStats, RevokeCall, Seeded } from "../host/protocol.js";
import { quiesce } from "./bot.js";
import type { Pending } from "./pending.js";
import { benchPeople, SIGNING_SECRET } from "./people.js";

/** Where `npm run bench` compiles the bot process (tsc -p bench/tsconfig.host.json). */
export const COMPILED_HOST = fileURLToPath(new URL("../../dist/.bench/bench/host/bot-host.js", import.meta.url));
const TS_HOST = fileURLToPath(new URL("../host/bot-host.ts", import.meta.url));

/**
 * The V8 heap settings the Dockerfile's ENTRYPOINT starts the bot with (test/shipping checks they
 * match), so the bench measures the memory production uses. The bot's live heap stays near 30 MB
 * even mid-burst; on this 24 GiB machine V8's defaults let the heap (and RSS) grow to ~280 MB of
 * garbage before collecting. Any explicit old-space cap up to 1 GB makes V8 collect early (RSS
 * ~150 MB); 256 MB is half the pod's 512 Mi limit. The young generation stays at 16 MB: at 2 MB,
 * scavenges ran 8× as often and throughput fell by a third.
 */
export const PRODUCTION_NODE_FLAGS = ["--max-old-space-size=256", "--max-semi-space-size=16"];

export interface RemoteBotOptions {
  providerType?: GrantType;
  latencyMs?: number;
  concurrency?: number;
  /** Runs on the store before the bot process starts. */
  seed?: (store: Store) => void | Promise<void>;
  /** A postgres:// URL several bot processes share; a fresh SQLite file when absent. */
  database?: string;
  replicaId?: string;
  /** The real entra-group provider against this Graph base URL (see HostConfig.graphBaseUrl). */
  graphBaseUrl?: string;
  /** A fake Slack shared by several bot processes (its owner closes it); one of its own otherwise. */
  slack?: { fake: FakeSlackWebApi; apiUrl: string };
}

/** The bot in its own process; the fake Slack here, in the bench's process, as in production. */
export interface RemoteBot {
  url: string;
  slack: FakeSlackWebApi;
  /** The SQLite file or the PostgreSQL URL. */
  database: string;
  pid: number;
  file(count: number): Promise<Pending[]>;
  /** Active grants written through this process's own store, ending at the given times. */
  seed(expiresAt: number[]): Promise<Seeded[]>;
  /** The revoke calls this process's in-process provider received. */
  revokes(): Promise<RevokeCall[]>;
  /** SIGKILL: no drain, no goodbye, as a node dies. */
  kill(): Promise<void>;
  idle(): Promise<void>;
  stats(): Promise<HostStats>;
  resetLoopDelay(): Promise<void>;
  /** Waits for the bot's Slack calls to finish, stops it; its last stats (peak RSS). */
  close(): Promise<HostStats>;
}

/**
 * Compiled JS (`node dist/.bench/…`) when `npm run bench` built it (JITBOT_BENCH_COMPILED=1), else
 * the TypeScript under tsx (the smoke test: never a stale build).
 * JITBOT_BENCH_HOST_ARGS adds node flags (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`);
 * JITBOT_BENCH_LOG sets the bot's LOG_LEVEL (default info, as in production; stdout is discarded).
 */
export async function startRemoteBot(options: RemoteBotOptions = {}): Promise<RemoteBot> {
  const tmp = options.database ? undefined : mkdtempSync(join(tmpdir(), "jitbot-bench-"));
  const database = options.database ?? join(tmp ?? "", "jitbot.db");
  if (options.seed) {
    const store = await Store.open(database);
    await options.seed(store);
    await store.close();
  }
  const ownSlack = options.slack === undefined;
  const slack = options.slack?.fake ?? new FakeSlackWebApi(benchPeople());
  const config: HostConfig = {
    slackApiUrl: options.slack?.apiUrl ?? (await slack.listen()),
    slackToken: slack.token,
    signingSecret: SIGNING_SECRET,
    database,
    replicaId: options.replicaId,
    providerType: options.providerType ?? "entra-group",
    latencyMs: options.latencyMs ?? 0,
    graphBaseUrl: options.graphBaseUrl,
    concurrency: options.concurrency,
    logLevel: process.env.JITBOT_BENCH_LOG ?? "info",
  };
  const extra = (process.env.JITBOT_BENCH_HOST_ARGS ?? "").split(" ").filter(Boolean);
  const compiled = process.env.JITBOT_BENCH_COMPILED === "1" && existsSync(COMPILED_HOST);
  const flags = [...PRODUCTION_NODE_FLAGS, ...extra];
  const args = compiled ? [...flags, COMPILED_HOST] : [...flags, "--import", "tsx", TS_HOST];
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", process.env.JITBOT_BENCH_STDOUT ? "inherit" : "ignore", "inherit", "ipc"],
    env: { ...process.env, JITBOT_BENCH_HOST: JSON.stringify(config), NODE_OPTIONS: "" },
  });
  const ipc = new Ipc(child);
  const url = await ipc.ready();
  const cleanUp = async () => {
    if (child.exitCode === null) child.kill("SIGKILL");
    if (ownSlack) await slack.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  };
  return {
    url,
    slack,
    database,
    pid: child.pid ?? 0,
    file: (count) => ipc.ask({ cmd: "file", count }) as Promise<Pending[]>,
    seed: (expiresAt) => ipc.ask({ cmd: "seed", expiresAt }) as Promise<Seeded[]>,
    revokes: () => ipc.ask({ cmd: "revokes" }) as Promise<RevokeCall[]>,
    async kill() {
      child.kill("SIGKILL");
      await ipc.exited(5_000);
      await cleanUp();
    },
    idle: async () => void (await ipc.ask({ cmd: "idle" })),
    stats: () => ipc.ask({ cmd: "stats" }) as Promise<HostStats>,
    resetLoopDelay: async () => void (await ipc.ask({ cmd: "resetLoopDelay" })),
    async close() {
      try {
        await quiesce(slack);
        const last = (await ipc.ask({ cmd: "stop" })) as HostStats;
        await ipc.exited(5_000);
        return last;
      } finally {
        await cleanUp();
      }
    },
  };
}

type Ask =
  | { cmd: "file"; count: number }
  | { cmd: "seed"; expiresAt: number[] }
  | { cmd: "revokes" }
  | { cmd: "idle" }
  | { cmd: "stats" }
  | { cmd: "resetLoopDelay" }
  | { cmd: "stop" };

class Ipc {
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly readyUrl: Promise<string>;

  constructor(private readonly child: ChildProcess) {
    this.readyUrl = new Promise((resolve, reject) => {
      child.once("exit", (code, signal) => {
        reject(new Error(`bot process exited (${code ?? signal}) before it was ready`));
        // A killed bot answers nothing more: whoever waits hears so instead of hanging.
        for (const pending of this.waiting.values()) pending.reject(new Error("the bot process is gone"));
        this.waiting.clear();
      });
      child.on("message", (message: HostReply) => {
        if (message.type === "ready") return resolve(message.url);
        const pending = this.waiting.get(message.id);
        this.waiting.delete(message.id);
        if (message.type === "error") pending?.reject(new Error(message.message));
        else pending?.resolve(message.value);
      });
    });
  }

  ready(): Promise<string> {
    return this.readyUrl;
  }

  ask(command: Ask): Promise<unknown> {
    const id = ++this.seq;
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return Promise.reject(new Error("the bot process is gone"));
    }
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ ...command, id } satisfies HostCommand);
    });
  }

  exited(timeoutMs: number): Promise<void> {
    if (this.child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
