import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PRODUCTION_NODE_FLAGS } from "../../bench/lib/remote-bot.js";
import { repoRoot } from "./manifests.js";

type Instruction = { op: string; args: string };
type Stage = { name: string; from: string; instructions: Instruction[] };

/** Instructions with continuation lines joined and comments dropped; grouped into stages by FROM. */
function readDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const logical = text
    .split("\n")
    .filter((line) => !/^\s*#/.test(line))
    .join("\n")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, op = "", rest = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { op: op.toUpperCase(), args: rest.replace(/\s+/g, " ") };
    if (instruction.op === "FROM") {
      const [image = "", , name = ""] = instruction.args.split(" ");
      const from = image.replace(/\$\{(\w+)\}/g, (_, arg: string) => args[arg] ?? "");
      stages.push({ name, from, instructions: [] });
    } else if (stages.length === 0 && instruction.op === "ARG") {
      const [key = "", value = ""] = instruction.args.split("=");
      args[key] = value;
    } else stages.at(-1)?.instructions.push(instruction);
  }
  return { args, stages };
}

const dockerfile = readDockerfile(readFileSync(join(repoRoot, "Dockerfile"), "utf8"));
const stages = dockerfile.stages;
const runtime = stages.at(-1) as Stage;
const byName = (name: string) => stages.find((s) => s.name === name);
const ops = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op).map((i) => i.args);

describe("Dockerfile", () => {
  it("is multi-stage on Node 22 LTS slim (bookworm)", () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    const bases = stages.map((s) => s.from).filter((from) => !byName(from));
    expect(bases.length).toBeGreaterThan(0);
    for (const base of bases) expect(base).toMatch(/^node:22-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
    expect(runtime.from).toMatch(/^node:22-bookworm-slim/);
  });

  it("compiles TypeScript in a stage with the dev dependencies", () => {
    const build = stages.find((s) => ops(s, "RUN").some((run) => run.includes("npm run build")));
    expect(build).toBeDefined();
    const chain = [build as Stage, ...stages.filter((s) => s.name === build?.from)];
    expect(chain.flatMap((s) => ops(s, "RUN")).some((run) => /npm ci(?!.*--omit=dev)/.test(run))).toBe(true);
  });

  it("builds the native addon where compilers exist, and ships none to the runtime", () => {
    const tools = stages.flatMap((s) => ops(s, "RUN")).find((run) => run.includes("apt-get install"));
    expect(tools).toMatch(/python3/);
    expect(tools).toMatch(/g\+\+/);
    expect(ops(runtime, "RUN").join(" ")).not.toMatch(/apt-get install|npm (ci|install)/);
  });

  it("copies node_modules into the runtime only from a production-only install", () => {
    const copies = ops(runtime, "COPY").filter((copy) => copy.includes("node_modules"));
    expect(copies).toHaveLength(1);
    const source = /--from=(\S+)/.exec(copies[0] ?? "")?.[1] ?? "";
    const sourceStage = byName(source);
    expect(sourceStage).toBeDefined();
    const runs = ops(sourceStage as Stage, "RUN");
    expect(runs.some((run) => run.includes("npm ci --omit=dev"))).toBe(true);
    expect(runs.some((run) => /npm ci(?!.*--omit=dev)/.test(run))).toBe(false);
  });

  it("runs as a non-root numeric user", () => {
    const [user] = ops(runtime, "USER").slice(-1);
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
  });

  it("sets the container defaults: production, /data database, mounted policy, port 3000, writable HOME/TMPDIR", () => {
    const env = ops(runtime, "ENV").join(" ");
    for (const pair of [
      "NODE_ENV=production",
      "JITBOT_DB=/data/jitbot.db",
      "JITBOT_CONFIG=/etc/jitbot/jitbot.yaml",
      "PORT=3000",
      "HOME=/tmp",
      "TMPDIR=/tmp",
    ])
      expect(env).toContain(pair);
    expect(ops(runtime, "EXPOSE")).toEqual(["3000"]);
    expect(ops(runtime, "RUN").join(" ")).toMatch(/chown 10001:10001 \/data/);
  });

  it("checks health with Node's fetch against /healthz (slim has no curl)", () => {
    const [check] = ops(runtime, "HEALTHCHECK");
    expect(check).toMatch(/CMD \["node", "-e", ".*fetch\(.*\/healthz/);
    expect(check).not.toMatch(/curl|wget/);
  });

  it("starts the compiled bot like npm start does, with the heap flags the bench measures", () => {
    const flags = PRODUCTION_NODE_FLAGS.map((f) => `"${f}"`).join(", ");
    expect(ops(runtime, "ENTRYPOINT")).toEqual([`["node", ${flags}, "dist/main.js"]`]);
  });
});

describe(".dockerignore", () => {
  const ignored = readFileSync(join(repoRoot, ".dockerignore"), "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"));

  it("keeps local builds, databases, secrets and git history out of the build context", () => {
    for (const entry of ["node_modules", "dist", "data", ".git", ".env", "*.db"]) expect(ignored).toContain(entry);
  });

  it("does not exclude what the image is built from", () => {
    for (const needed of ["src", "package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json"])
      expect(ignored).not.toContain(needed);
  });
});
