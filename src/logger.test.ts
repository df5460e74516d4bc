import pino from "pino";
import { describe, expect, it } from "vitest";
import { boltLogger, createLogger, REDACT_PATHS, redactDeep } from "./logger.js";

function capture() {
  const lines: string[] = [];
  return { lines, logger: createLogger("debug", { write: (line: string) => void lines.push(line) }) };
}

/**
 * Objects shaped like the real ones that could reach a log line. Each secret names the redact paths
 * that stand between it and the log: if all of them were gone, it would leak (checked below).
 */
const SHAPES: { name: string; logged: Record<string, unknown>; secrets: Record<string, string[]> }[] = [
  {
    name: "Slack client options with the bot token",
    logged: { token: "xoxb-BOT-TOKEN-1", slackApiUrl: "https://slack.com/api/" },
    secrets: { "xoxb-BOT-TOKEN-1": ["token"] },
  },
  {
    name: "settings holding the Slack tokens one level down",
    logged: { slack: { token: "xoxb-BOT-TOKEN-2", appToken: "public" } },
    secrets: { "xoxb-BOT-TOKEN-2": ["*.token"] },
  },
  {
    name: "an Authorization header value on its own",
    logged: { authorization: "Bearer eyJ-GRAPH-TOKEN-1" },
    secrets: { "eyJ-GRAPH-TOKEN-1": ["authorization"] },
  },
  {
    name: "request headers carrying a bearer token",
    logged: { headers: { authorization: "Bearer eyJ-GRAPH-TOKEN-2", accept: "application/json" } },
    secrets: { "eyJ-GRAPH-TOKEN-2": ["*.authorization", "headers.authorization"] },
  },
  {
    name: "a signed AWS request carrying its SigV4 authorization",
    logged: { request: { method: "POST", authorization: "AWS4-HMAC-SHA256 Credential=AKIA/SIGV4-SIGNATURE" } },
    secrets: { "SIGV4-SIGNATURE": ["*.authorization"] },
  },
  {
    name: "a service principal login",
    logged: { username: "app-id", password: "SP-PASSWORD-1" },
    secrets: { "SP-PASSWORD-1": ["password"] },
  },
  {
    name: "a service principal login inside a grant's detail",
    logged: { requestId: "JR-1", login: { username: "app-id", password: "SP-PASSWORD-2" } },
    secrets: { "SP-PASSWORD-2": ["*.password"] },
  },
  {
    name: "a signing secret",
    logged: { secret: "SIGNING-SECRET-1" },
    secrets: { "SIGNING-SECRET-1": ["secret"] },
  },
  {
    name: "an app registration's secret one level down",
    logged: { app: { appId: "app-id", secret: "APP-SECRET-2" } },
    secrets: { "APP-SECRET-2": ["*.secret"] },
  },
  {
    name: "a Graph passwordCredential as addPassword returns it",
    logged: { keyId: "k-1", hint: "abc", endDateTime: "2026-03-02T11:00:00Z", secretText: "GRAPH-SECRET-1" },
    secrets: { "GRAPH-SECRET-1": ["secretText"] },
  },
  {
    name: "a Graph passwordCredential inside a log object",
    logged: { requestId: "JR-1", passwordCredential: { keyId: "k-2", secretText: "GRAPH-SECRET-2" } },
    secrets: { "GRAPH-SECRET-2": ["*.secretText"] },
  },
  {
    name: "an AWS Credentials object as STS returns it",
    logged: {
      AccessKeyId: "ASIAEXAMPLE",
      SecretAccessKey: "AWS-SECRET-KEY-1",
      SessionToken: "AWS-SESSION-TOKEN-1",
      Expiration: "2026-03-02T11:00:00Z",
    },
    secrets: { "AWS-SECRET-KEY-1": ["SecretAccessKey"], "AWS-SESSION-TOKEN-1": ["SessionToken"] },
  },
  {
    name: "an AWS Credentials object inside AssumeRole's output",
    logged: {
      Credentials: {
        AccessKeyId: "ASIAEXAMPLE",
        SecretAccessKey: "AWS-SECRET-KEY-2",
        SessionToken: "AWS-SESSION-TOKEN-2",
      },
      AssumedRoleUser: { Arn: "arn:aws:sts::123456789012:assumed-role/EKS-Pod-Manager/alice" },
    },
    secrets: { "AWS-SECRET-KEY-2": ["*.SecretAccessKey"], "AWS-SESSION-TOKEN-2": ["*.SessionToken"] },
  },
  {
    name: "SDK client credentials",
    logged: { credentials: { accessKeyId: "ASIAEXAMPLE", secretAccessKey: "AWS-SECRET-KEY-3" } },
    secrets: { "AWS-SECRET-KEY-3": ["credentials"] },
  },
  {
    name: "an SDK client's config with its credentials",
    logged: { client: { region: "us-west-2", credentials: { sessionToken: "AWS-SESSION-TOKEN-4" } } },
    secrets: { "AWS-SESSION-TOKEN-4": ["*.credentials"] },
  },
  {
    name: "connect instructions with a secret section",
    logged: {
      instructions: {
        summary: "s",
        sections: [{ heading: "h", code: "export AWS_SECRET=INSTR-SECRET-1", secret: true }],
      },
    },
    secrets: { "INSTR-SECRET-1": ["instructions"] },
  },
  {
    name: "a provider's grant outcome, instructions included",
    logged: {
      outcome: { state: { kind: "aws-role" }, instructions: { summary: "s", sections: [{ code: "INSTR-SECRET-2" }] } },
    },
    secrets: { "INSTR-SECRET-2": ["*.instructions"] },
  },
];

function linesOf(log: (logger: pino.Logger) => void, paths = REDACT_PATHS): string {
  const lines: string[] = [];
  const destination = { write: (line: string) => void lines.push(line) };
  log(
    paths === REDACT_PATHS
      ? createLogger("debug", destination)
      : pino({ level: "debug", redact: { paths, censor: "[redacted]" } }, destination),
  );
  return lines.join("");
}

describe("logging", () => {
  for (const { name, logged, secrets } of SHAPES) {
    it(`never writes the secret of ${name}`, () => {
      const line = linesOf((logger) => logger.info(logged, "x"));
      for (const secret of Object.keys(secrets)) expect(line).not.toContain(secret);
      expect(line).toContain("[redacted]");
      // The same object under a child logger, and next to other fields, is redacted just the same.
      const child = linesOf((logger) => logger.child({ component: "grants" }).warn({ ...logged, requestId: "JR-9" }));
      for (const secret of Object.keys(secrets)) expect(child).not.toContain(secret);
    });
  }

  it("has a case for every redact path", () => {
    const covered = new Set(SHAPES.flatMap((shape) => Object.values(shape.secrets).flat()));
    expect(REDACT_PATHS.filter((path) => !covered.has(path))).toEqual([]);
  });

  // Without the paths a case names, its secret would reach the log: the cases really test those paths.
  for (const { name, logged, secrets } of SHAPES) {
    for (const [secret, paths] of Object.entries(secrets)) {
      it(`would leak ${secret} from ${name} without ${paths.join(" and ")}`, () => {
        const without = REDACT_PATHS.filter((path) => !paths.includes(path));
        expect(linesOf((logger) => logger.info(logged, "x"), without)).toContain(secret);
      });
    }
  }

  const DEEP = [
    {
      name: "an AssumeRole result inside another object",
      logged: { out: { Credentials: { SessionToken: "DEEP-1" } } },
    },
    {
      name: "an application's passwordCredentials",
      logged: { app: { passwordCredentials: [{ keyId: "k", secretText: "DEEP-2" }] } },
    },
    { name: "a secret five levels down", logged: { a: { b: { c: { d: { clientSecret: "DEEP-3" } } } } } },
    { name: "a header object two levels down", logged: { req: { opts: { headers: { Authorization: "DEEP-4" } } } } },
  ];
  for (const { name, logged } of DEEP) {
    it(`censors a secret deeper than the paths reach: ${name}`, () => {
      const line = linesOf((logger) => logger.info(logged, "x"));
      expect(line).not.toMatch(/DEEP-\d/);
      expect(line).toContain("[redacted]");
    });
  }

  // Each secret name on its own, three levels down (past pino's paths) and in another case.
  const NAMES = [
    "token",
    "authorization",
    "password",
    "secret",
    "secretText",
    "clientSecret",
    "SecretAccessKey",
    "SessionToken",
    "credentials",
    "instructions",
  ];
  for (const name of NAMES) {
    it(`censors a key named ${name} at any depth and in any case`, () => {
      const logged = { a: { b: { [name]: `DEEP-${name}`, [name.toUpperCase()]: `DEEP-UPPER-${name}` } } };
      const line = linesOf((logger) => logger.info(logged, "x"));
      expect(line).not.toContain("DEEP-");
      expect(JSON.parse(line).a.b).toEqual({ [name]: "[redacted]", [name.toUpperCase()]: "[redacted]" });
    });
  }

  it("cuts a list nested deeper than twelve levels, and keeps one at twelve", () => {
    const nested = (levels: number): unknown[] => {
      let value: unknown[] = ["leaf"];
      for (let i = 0; i < levels; i++) value = [value];
      return value;
    };
    const atTwelve = nested(12);
    expect(redactDeep(atTwelve)).toBe(atTwelve);
    expect(JSON.stringify(redactDeep(nested(13)))).toContain('"[too deep]"');
    expect(JSON.stringify(redactDeep(nested(13)))).not.toContain("leaf");
  });

  it("copies only what it censors: the other keys and items stay, and a list stays a list", () => {
    const redacted = redactDeep({ keep: 1, list: ["plain", { token: "t" }] }) as { list: unknown };
    expect(redacted).toEqual({ keep: 1, list: ["plain", { token: "[redacted]" }] });
    expect(Array.isArray(redacted.list)).toBe(true);
  });

  it("leaves objects without secrets as they are, and survives cycles", () => {
    const cyclic: Record<string, unknown> = { requestId: "JR-1" };
    cyclic.self = cyclic;
    const plain = { requestId: "JR-2", nested: { profile: "aks" } };
    expect(redactDeep(plain)).toBe(plain);
    expect(() => linesOf((logger) => logger.info({ cyclic }, "x"))).not.toThrow();
  });

  it("returns an object without secrets itself, cycles and nulls included, so nothing is copied needlessly", () => {
    const cyclic: Record<string, unknown> = { requestId: "JR-1", none: null, list: [1, null, { n: 2 }] };
    cyclic.self = cyclic;
    expect(redactDeep(cyclic)).toBe(cyclic);
  });

  it("cuts an object nested deeper than twelve levels, and keeps one at twelve", () => {
    const nested = (levels: number): Record<string, unknown> => {
      let value: Record<string, unknown> = { leaf: "v" };
      for (let i = 0; i < levels; i++) value = { next: value };
      return value;
    };
    const atTwelve = nested(12);
    expect(redactDeep(atTwelve)).toBe(atTwelve);
    expect(JSON.stringify(redactDeep(nested(13)))).toContain('"next":"[too deep]"');
    expect(JSON.stringify(redactDeep(nested(13)))).not.toContain("leaf");
  });

  it("keeps an error whole (its message and stack), its secret-named fields censored by the paths", () => {
    const failure = Object.assign(new Error("the token endpoint refused"), { token: "ERROR-TOKEN-1" });
    const line = linesOf((logger) => logger.error({ err: failure }, "x"));
    expect(line).toContain("the token endpoint refused");
    expect(line).not.toContain("ERROR-TOKEN-1");
    expect((JSON.parse(line) as { err: { token: string } }).err.token).toBe("[redacted]");
  });

  it("writes Bolt's info, warn and error lines as JSON at their level, parts joined by a space", () => {
    const { lines, logger } = capture();
    const bolt = boltLogger(logger);
    bolt.info("socket", "connected");
    bolt.warn("retrying", 2);
    bolt.error("failed:", new Error("boom"));
    const logged = lines.map(
      (line) => JSON.parse(line) as { level: number; msg: string; component: string; app: string },
    );
    expect(logged.map(({ level, msg, component, app }) => [level, msg, component, app])).toEqual([
      [30, "socket connected", "bolt", "jitbot"],
      [40, "retrying 2", "bolt", "jitbot"],
      [50, "failed: boom", "bolt", "jitbot"],
    ]);
  });

  it("logs at info unless told otherwise", () => {
    const lines: string[] = [];
    const logger = createLogger(undefined, { write: (line: string) => void lines.push(line) });
    logger.debug("hidden");
    logger.info("shown");
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(["shown"]);
  });

  it("drops the Slack client's debug lines that carry request or response bodies", () => {
    const { lines, logger } = capture();
    const bolt = boltLogger(logger);
    bolt.debug('http request body: {"channel":"U1","blocks":[{"text":"AWS_SECRET_ACCESS_KEY=abc"}]}');
    bolt.debug('http request result: {"ok":true,"message":{"text":"secret"}}');
    bolt.debug("apiCall('chat.postMessage') start");
    expect(lines.join("")).not.toContain("AWS_SECRET_ACCESS_KEY");
    expect(lines.join("")).not.toContain("secret");
    expect(lines.join("")).toContain("chat.postMessage");
  });

  it("drops a debug line carrying a JSON list, though it has no object in it", () => {
    const { lines, logger } = capture();
    boltLogger(logger).debug('http request result: ["xoxb-IN-A-LIST"]');
    expect(lines.join("")).not.toContain("xoxb-IN-A-LIST");
  });

  it("builds no debug line at all while debug is off", () => {
    const lines: string[] = [];
    const bolt = boltLogger(createLogger("info", { write: (line: string) => void lines.push(line) }));
    let built = 0;
    bolt.debug("apiCall", {
      toString: () => {
        built++;
        return "args";
      },
    });
    expect(built).toBe(0);
    expect(lines).toEqual([]);
  });
});
