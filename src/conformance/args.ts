import { formatDuration, parseDuration } from "../config/duration.js";

export const CONFORMANCE_USAGE = `conformance --profile ID --user EMAIL [--duration 15m] [--allow-dry-run]
                          for real, with the configured credentials: grant the canary profile to EMAIL,
                          read it back, revoke, read back; a timed ✓/✗ table, exit 0 only when all ✓`;

/**
 * The grant's length: short, so that a run interrupted between grant and revoke costs little. 15
 * minutes is the shortest every provider accepts (an STS session cannot be shorter).
 */
export const DEFAULT_CONFORMANCE_SECONDS = 15 * 60;

export interface ConformanceArgs {
  profileId: string;
  email: string;
  /** Undefined: 15 minutes, or the profile's duration.max when that is shorter. */
  durationSeconds: number | undefined;
  allowDryRun: boolean;
}

/** Parses the flags; a string is the one sentence that says what is wrong. */
export function parseConformanceArgs(args: readonly string[]): ConformanceArgs | string {
  const values = new Map<string, string>();
  let allowDryRun = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === "--allow-dry-run") {
      allowDryRun = true;
      continue;
    }
    const [flag, inline] = arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg];
    if (flag !== "--profile" && flag !== "--user" && flag !== "--duration") return `unknown argument ${arg}`;
    const value = inline ?? args[++i];
    if (value === undefined || value === "") return `${flag} needs a value`;
    values.set(flag, value);
  }
  const profileId = values.get("--profile");
  const email = values.get("--user");
  if (!profileId || !email) return "--profile and --user are required";
  if (!/^[^@\s]+@[^@\s]+$/.test(email)) return `--user ${email} is not an email address`;
  const durationText = values.get("--duration");
  let durationSeconds: number | undefined;
  if (durationText !== undefined) {
    durationSeconds = parseDuration(durationText);
    if (durationSeconds === undefined || durationSeconds <= 0) {
      return `--duration ${durationText} is not a duration (e.g. ${formatDuration(DEFAULT_CONFORMANCE_SECONDS)})`;
    }
  }
  return { profileId, email, durationSeconds, allowDryRun };
}
