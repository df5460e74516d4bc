import { formatDuration } from "../config/duration.js";
import { readEnv } from "../config/env.js";
import { ConfigError, loadPolicyFile } from "../config/load.js";
import type { Policy } from "../config/schema.js";
import { mask } from "../doctor/report.js";
import { type Clock, systemClock } from "../domain/clock.js";
import { canCheckRequest, canReadBack } from "../grants/provider.js";
import { createProviders, providerFor } from "../grants/registry.js";
import { CONFORMANCE_USAGE, type ConformanceArgs, DEFAULT_CONFORMANCE_SECONDS, parseConformanceArgs } from "./args.js";
import { renderSteps } from "./report.js";
import { runCanary } from "./steps.js";

export { CONFORMANCE_USAGE } from "./args.js";

/** Values that must never reach the output, whatever an SDK put into an error message. */
const SECRET_VARS = ["AZURE_CLIENT_SECRET", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "SLACK_BOT_TOKEN"];

export interface ConformanceOptions {
  /** Tests move time; production waits on the system clock. */
  clock?: Clock;
  /** Waits between read-backs (default: about two minutes in all). */
  delaysMs?: readonly number[];
}

/**
 * `jitbot conformance`: proves on the operator's own tenant and account, with the configured
 * credentials, that one canary profile really grants and really revokes. Exit 0 only when every
 * step is ✓; 1 when a step failed; 2 when it refused to run (usage, dry run, unknown profile).
 */
export async function runConformance(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  out: NodeJS.WritableStream,
  options: ConformanceOptions = {},
): Promise<number> {
  const refuse = (sentence: string) => {
    out.write(`jitbot conformance: ${sentence}\nusage: jitbot ${CONFORMANCE_USAGE}\n`);
    return 2;
  };
  const parsed = parseConformanceArgs(args);
  if (typeof parsed === "string") return refuse(parsed);
  const settings = readEnv(env);
  let policy: Policy;
  try {
    policy = loadPolicyFile(settings.configPath);
  } catch (error) {
    if (error instanceof ConfigError) return refuse(error.message);
    throw error;
  }
  const profile = policy.profiles.find((p) => p.id === parsed.profileId);
  if (!profile) {
    return refuse(
      `no profile ${parsed.profileId} in ${settings.configPath} (profiles: ${policy.profiles.map((p) => p.id).join(", ")})`,
    );
  }
  if (policy.dryRun && !parsed.allowDryRun) {
    return refuse(
      `${settings.configPath} says dryRun: true, so no grant would reach Entra or AWS and the run would prove nothing; set dryRun: false (or pass --allow-dry-run to rehearse the command)`,
    );
  }
  const durationSeconds = chooseDuration(parsed, profile.duration.max);
  if (typeof durationSeconds === "string") return refuse(durationSeconds);
  const clock = options.clock ?? systemClock;
  const warnings: string[] = [];
  const providers = await createProviders({
    env,
    policy,
    clock,
    logger: { warn: (_obj, msg) => warnings.push(msg ?? "warning") },
  });
  const provider = providerFor(providers, profile);
  if (!provider || !canReadBack(provider)) return refuse(`grant type ${profile.grant.type} cannot be read back`);
  const refusal = canCheckRequest(provider) ? provider.checkRequest(profile, durationSeconds) : undefined;
  if (refusal) return refuse(refusal);

  const rows = await runCanary({
    profile,
    provider,
    email: parsed.email,
    durationSeconds,
    clock,
    delaysMs: options.delaysMs,
  });
  const heading = [
    `jitbot conformance — profile ${profile.id} (${profile.grant.type}) for ${parsed.email}, a ${formatDuration(durationSeconds)} grant`,
    ...(policy.dryRun
      ? ["dry run (--allow-dry-run): nothing reached Entra or AWS; this only rehearses the command"]
      : []),
  ].join("\n");
  const notes = warnings.length > 0 ? `\nprovider warnings:\n${warnings.map((w) => `  - ${w}`).join("\n")}\n` : "";
  const secrets = SECRET_VARS.flatMap((name) => env[name]?.trim() || []);
  out.write(mask(`${heading}\n\n${renderSteps(rows, { dryRun: policy.dryRun })}${notes}`, secrets));
  return rows.every((row) => row.passed) ? 0 : 1;
}

/** 15 minutes, or less when the profile's max is shorter; an explicit --duration must fit the profile. */
function chooseDuration(args: ConformanceArgs, max: number): number | string {
  if (args.durationSeconds === undefined) return Math.min(DEFAULT_CONFORMANCE_SECONDS, max);
  if (args.durationSeconds > max) {
    return `--duration ${formatDuration(args.durationSeconds)} is longer than the profile's duration.max (${formatDuration(max)})`;
  }
  return args.durationSeconds;
}
