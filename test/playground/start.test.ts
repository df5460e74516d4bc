import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { rawRequest } from "./attack.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
let child: ChildProcess | undefined;

afterEach(async () => {
  if (child && child.exitCode === null) {
    child.kill("SIGKILL");
    await new Promise((resolve) => child?.once("exit", resolve));
  }
  child = undefined;
});

/** The environment of a fresh machine: no Slack, no cloud, no jitbot settings. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(SLACK_|JITBOT_|AWS_|AZURE_|LOG_LEVEL$|PORT$)/.test(key)) env[key] = value;
  }
  return { ...env, PORT: "0", JITBOT_CONFIG: "jitbot.example.yaml" };
}

/** Resolves with stdout once `pattern` appears; rejects if the process exits first or time runs out. */
function waitForOutput(proc: ChildProcess, pattern: RegExp, ms: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} within ${ms} ms; stdout: ${out} stderr: ${err}`)),
      ms,
    );
    proc.stderr?.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    proc.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = pattern.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before printing the URL; stdout: ${out} stderr: ${err}`));
    });
  });
}

describe("npm start without SLACK_BOT_TOKEN", () => {
  it("starts playground mode, prints the URL, serves the page and stops cleanly on SIGTERM", async () => {
    expect(existsSync(`${ROOT}jitbot.example.yaml`)).toBe(true);
    child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: ROOT,
      env: { ...cleanEnv(), JITBOT_PLAYGROUND_ALLOWED_HOSTS: "box.lan, " },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const match = await waitForOutput(child, /http:\/\/localhost:(\d+)\/playground/, 20_000);
    const port = Number(match[1]);
    expect(port).toBeGreaterThan(0);

    const page = await fetch(`http://127.0.0.1:${port}/playground`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain("jitbot playground");
    const script = await fetch(`http://127.0.0.1:${port}/playground/static/app.js`);
    expect(script.headers.get("content-type")).toMatch(/^text\/javascript/);
    // The state is read with the token the served page carries, as the page's own script does.
    const token = /<meta name="playground-token" content="([\w-]+)"/.exec(html)?.[1] ?? "";
    expect(token).toHaveLength(43);
    const stateUrl = `http://127.0.0.1:${port}/playground/api/state?as=U0LEAD`;
    expect((await fetch(stateUrl)).status).toBe(403);
    const state = (await (await fetch(stateUrl, { headers: { "x-playground-token": token } })).json()) as {
      me: { id: string };
    };
    expect(state.me.id).toBe("U0LEAD");
    // Only the names it serves, and the one JITBOT_PLAYGROUND_ALLOWED_HOSTS adds, get the page.
    expect((await rawRequest(port, "/playground", { headers: { host: `box.lan:${port}` } })).status).toBe(200);
    expect((await rawRequest(port, "/playground", { headers: { host: `attacker.example:${port}` } })).status).toBe(421);

    const proc = child;
    const exited = new Promise<number | null>((resolve) => proc.once("exit", resolve));
    proc.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
