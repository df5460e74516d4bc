/**
 * Real processes on one SQLite file, as two Pods on one volume or a second `npm start` by mistake:
 * the second is refused before it reconciles (which would fail the first's grants in flight), and
 * a SIGKILLed holder never blocks the restart, because the lock is the kernel's.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FakeSlackWebApi } from "../../src/playground/slack-web-api.js";
import { anchorsInLog } from "../../src/store/audit-anchor.js";
import { jitbot } from "../doctor/output.js";
import { tempDir } from "../support/temp.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const AUDIT_KEY = "one-process-test-audit-key-0123456789abcdef";
const tmp = tempDir("jitbot-one-process-");
const slack = new FakeSlackWebApi();
let slackUrl = "";
const running: Bot[] = [];

beforeAll(async () => {
  slackUrl = await slack.listen();
});
afterEach(async () => {
  for (const bot of running.splice(0)) await bot.kill("SIGKILL");
});
afterAll(async () => {
  await slack.close();
  tmp.cleanup();
});

const POLICY = `dryRun: true
audit: { channel: C0AUDIT }
profiles:
  - id: aks-prod-sre
    title: AKS prod SRE
    cluster: { kind: aks, name: prod-aks, resourceGroup: rg-prod, subscriptionId: "99999999-8888-7777-6666-555555555555" }
    grant: { type: entra-group, groupId: "6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e10" }
    duration: { default: 1h, max: 4h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] } }
`;

interface Bot {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  waitFor(pattern: RegExp): Promise<void>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

function env(dbFile: string): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(SLACK_|JITBOT_|AWS_|AZURE_|LOG_LEVEL$|PORT$)/.test(key)) clean[key] = value;
  }
  const config = join(tmp.dir, "jitbot.yaml");
  writeFileSync(config, POLICY);
  return {
    ...clean,
    PORT: "0",
    LOG_LEVEL: "info",
    JITBOT_CONFIG: config,
    JITBOT_DB: dbFile,
    JITBOT_AUDIT_KEY: AUDIT_KEY,
    SLACK_BOT_TOKEN: slack.token,
    SLACK_SIGNING_SECRET: "one-process-signing-secret",
    SLACK_API_URL: slackUrl,
  };
}

function startBot(dbFile: string): Bot {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: env(dbFile),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    for (const waiter of waiters.filter((w) => w.pattern.test(out))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const bot: Bot = {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (pattern) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(out)) return resolve();
        waiters.push({ pattern, resolve });
        // Only ever rejects this waiter: the exit is the failure it reports.
        void exited.then((code) => reject(new Error(`exited (${code}) before ${pattern}: ${out} ${err}`)));
      }),
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  running.push(bot);
  return bot;
}

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe("one jitbot process per SQLite file", () => {
  it("refuses a second process with one sentence, and lets a restart in after the first is SIGKILLed", {
    timeout: 60_000,
  }, async () => {
    const dbFile = join(tmp.dir, "data", "jitbot.db");
    const first = startBot(dbFile);
    await first.waitFor(/"msg":"jitbot is listening"/);
    await first.waitFor(/"msg":"audit anchor"/);
    expect(modeOf(join(tmp.dir, "data"))).toBe("700");
    for (const suffix of ["", "-wal", "-shm", ".lock"]) expect(modeOf(`${dbFile}${suffix}`)).toBe("600");

    const second = startBot(dbFile);
    const code = await second.exited;
    expect(code).not.toBe(0);
    expect(second.stderr()).toBe(
      `jitbot: another jitbot process (pid ${first.child.pid}) is using ${dbFile}; one process per file — use JITBOT_DATABASE_URL for several replicas\n`,
    );
    // Refused before its start-up: no catch-up sweep, no anchor, no listener.
    expect(second.stdout()).not.toMatch(/audit anchor|jitbot is listening|jitbot is ready/);

    // The read-only commands run beside the live bot: the start-up anchor (in the log) verifies.
    const log = join(tmp.dir, "first.log");
    writeFileSync(log, first.stdout());
    expect(anchorsInLog(first.stdout())).toHaveLength(1);
    const verified = await jitbot(["audit", "verify", "--anchors", log], {
      JITBOT_DB: dbFile,
      JITBOT_AUDIT_KEY: AUDIT_KEY,
    });
    expect(verified).toEqual({
      code: 0,
      output: "audit log intact: 1 events, every link verified (1 keyed with JITBOT_AUDIT_KEY; 1 anchor(s) matched)\n",
    });
    // And the anchor went to the audit channel, as the line an auditor pastes.
    expect(slack.messagesIn("C0AUDIT").map((m) => m.text)).toEqual(["Audit anchor: the audit log had 1 events."]);

    expect(await first.kill("SIGKILL")).toBeNull();
    chmodSync(dbFile, 0o644);
    const third = startBot(dbFile);
    await third.waitFor(/"msg":"jitbot is ready"/);
    // The file found wider than it was created: one warning line naming the path and the mode.
    const warnings = third
      .stdout()
      .split("\n")
      .filter((line) => line.includes('"level":40') && line.includes(`"path":"${dbFile}"`));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0] ?? "{}")).toMatchObject({ path: dbFile, mode: "0644" });
    expect(await third.kill("SIGTERM")).toBe(0);
    expect(readFileSync(log, "utf8")).toContain('"sig":"');
  });
});
