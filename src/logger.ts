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

export function createLogger(level = "info", destination?: pino.DestinationStream): pino.Logger {
  return pino(
    {
      level,
      base: { app: "jitbot" },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
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
