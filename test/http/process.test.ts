import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { rawRequest } from "../support/raw-http.js";
import { tempDir } from "../support/temp.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const tmp = tempDir("jitbot-process-");
let child: ChildProcess | undefined;

afterEach(async () => {
  if (child && child.exitCode === null) {
    child.kill("SIGKILL");
    await new Promise((resolve) => child?.once("exit", resolve));
  }
});
afterAll(() => tmp.cleanup());

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** Collects a child's output; `until` resolves with the first stdout JSON line matching. */
function watch(proc: ChildProcess) {
  let out = "";
  let err = "";
  proc.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  proc.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const until = (pattern: RegExp, ms = 30_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const deadline = Date.now() + ms;
      const look = () => {
        const line = out.split("\n").find((l) => pattern.test(l));
        if (line) return resolve(JSON.parse(line) as Record<string, unknown>);
        if (proc.exitCode !== null || Date.now() > deadline) {
          return reject(new Error(`no ${pattern}; exit ${proc.exitCode}; stdout: ${out} stderr: ${err}`));
        }
        setTimeout(look, 20);
      };
      look();
    });
  return { until, output: () => ({ out, err }) };
}

describe("the jitbot process (npm start) with the Slack API unreachable", () => {
  it("keeps serving: one log line says why, /readyz is 503, a GET to /slack/events is 405, SIGTERM exits 0", async () => {
    const apiUrl = `http://127.0.0.1:${await closedPort()}/api/`;
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (!/^(SLACK_|JITBOT_|AWS_|AZURE_|LOG_LEVEL$|PORT$)/.test(key)) env[key] = value;
    }
    child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: ROOT,
      env: {
        ...env,
        PORT: "0",
        JITBOT_CONFIG: "jitbot.example.yaml",
        JITBOT_DB: join(tmp.dir, "jitbot.db"),
        SLACK_BOT_TOKEN: "xoxb-not-a-real-token",
        SLACK_SIGNING_SECRET: "not-a-real-signing-secret",
        SLACK_API_URL: apiUrl,
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const logs = watch(child);
    const listening = await logs.until(/jitbot is listening/);
    const url = `http://127.0.0.1:${String(listening.port)}`;
    const unreachable = await logs.until(/Slack API unreachable/);
    expect(unreachable.msg).toMatch(new RegExp(`^Slack API unreachable at ${apiUrl}: ECONNREFUSED; retrying in 1s$`));

    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { reason: string }).reason).toBe(
      `Slack API unreachable at ${apiUrl}: ECONNREFUSED`,
    );
    const get = await rawRequest(url, "GET /slack/events HTTP/1.1\r\nhost: jitbot\r\n\r\n");
    expect(get.status).toBe(405);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    // No stack trace anywhere, and no secret in the output.
    const { out, err } = logs.output();
    expect(`${out}${err}`).not.toMatch(/\n\s+at |"stack"/);
    expect(`${out}${err}`).not.toContain("xoxb-not-a-real-token");

    const proc = child;
    const exited = new Promise<number | null>((resolve) => proc.once("exit", resolve));
    proc.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
