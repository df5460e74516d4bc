import { type Logger as BoltLogger, LogLevel } from "@slack/bolt";
import pino from "pino";

/** Fields that could carry a secret are removed from every log line, wherever they appear. */
export const REDACT_PATHS = [
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "password",
  "*.password",
  "secret",
  "*.secret",
  "secretText",
  "*.secretText",
  "SecretAccessKey",
  "*.SecretAccessKey",
  "SessionToken",
  "*.SessionToken",
  "credentials",
  "*.credentials",
  "instructions",
  "*.instructions",
];

/**
 * pino's paths reach two levels; a secret can sit deeper (a whole AssumeRole result inside another
 * object, an application's passwordCredentials). Any key named here is censored at any depth.
 */
const SECRET_KEYS = new Set(
  [
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
  ].map((key) => key.toLowerCase()),
);
const MAX_DEPTH = 12;

/** A copy of `value` with every secret-named key censored; the same object when there is none. */
export function redactDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value !== "object" || value === null || value instanceof Error) return value;
  if (depth > MAX_DEPTH) return "[too deep]";
  if (seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, index) => {
      const next = redactDeep(item, depth + 1, seen);
      if (next !== item) {
        copy ??= [...value];
        copy[index] = next;
      }
    });
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const next = SECRET_KEYS.has(key.toLowerCase()) ? "[redacted]" : redactDeep(item, depth + 1, seen);
    if (next !== item) {
      copy ??= { ...value };
      copy[key] = next;
    }
  }
  return copy ?? value;
}

export function createLogger(level = "info", destination?: pino.DestinationStream): pino.Logger {
  return pino(
    {
      level,
      base: { app: "jitbot" },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      formatters: { log: (object) => redactDeep(object) as Record<string, unknown> },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/** Debug lines that carry a payload (request/response bodies, results): any JSON object at all. */
const BODY_LINE = /[{[]/;

/** Bolt's logger interface over pino, so Bolt's own lines are JSON and redacted too. */
export function boltLogger(logger: pino.Logger): BoltLogger {
  const child = logger.child({ component: "bolt" });
  const text = (parts: unknown[]) => parts.map((p) => (p instanceof Error ? p.message : String(p))).join(" ");
  return {
    // The WebClient logs whole request bodies and results at debug level: a credential DM would
    // land in the logs. Any debug line carrying a payload is dropped; the plain ones stay.
    // Bolt and the WebClient call debug several times per request: build nothing unless it is on.
    debug: (...parts) => {
      if (!child.isLevelEnabled("debug")) return;
      const line = text(parts);
      if (!BODY_LINE.test(line)) child.debug(line);
    },
    info: (...parts) => child.info(text(parts)),
    warn: (...parts) => child.warn(text(parts)),
    error: (...parts) => child.error(text(parts)),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}
