import { readEnv } from "../config/env.js";
import { ConfigError, loadPolicyFile } from "../config/load.js";
import type { Policy } from "../config/schema.js";
import { policyParts } from "../domain/bundle.js";
import { awsChecks } from "./aws.js";
import { databaseChecks, databaseSecrets } from "./database.js";
import { entraChecks, isEntraProfile } from "./entra.js";
import { isBindingProfile, kubernetesChecks } from "./kubernetes.js";
import { onCallChecks } from "./on-call.js";
import { type CheckRow, failed, guard, ok, renderTable, skipped } from "./report.js";
import { slackChecks } from "./slack.js";
import { stepUpChecks } from "./step-up.js";

/** Environment variables whose values must never reach the doctor's output (and the database URL's password). */
const SECRET_VARS = [
  "SLACK_BOT_TOKEN",
  "SLACK_SIGNING_SECRET",
  "SLACK_APP_TOKEN",
  "AZURE_CLIENT_SECRET",
  "JITBOT_STEPUP_CLIENT_SECRET",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "PAGERDUTY_TOKEN",
  "OPSGENIE_API_KEY",
];

/**
 * `jitbot doctor`: checks, with the configured credentials, everything the bot needs from its
 * database, Slack, Entra, AWS and the clusters of kubernetes-rolebinding profiles, and prints one ✓/✗ row per check with the fix under each ✗. Read-only except the
 * dry AssumeRole (a 15-minute session that is thrown away). Exit code 1 when any check failed.
 */
export async function runDoctor(env: NodeJS.ProcessEnv, out: NodeJS.WritableStream): Promise<number> {
  const settings = readEnv(env);
  const secrets = [...SECRET_VARS.flatMap((name) => env[name]?.trim() || []), ...databaseSecrets(env)];
  const rows: CheckRow[] = [];
  let policy: Policy | undefined;
  try {
    policy = loadPolicyFile(settings.configPath);
    rows.push(ok("policy", settings.configPath, `valid, ${policy.profiles.length} profile(s)`));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    rows.push(
      failed(
        "policy",
        settings.configPath,
        error.problems.join("; "),
        "fix the keys named (jitbot check-config shows the same) or set JITBOT_CONFIG",
      ),
    );
  }
  const location = settings.databaseUrl ?? settings.dbPath;
  rows.push(
    ...(await guard(
      "database",
      settings.databaseUrl ? "JITBOT_DATABASE_URL" : location,
      () => databaseChecks({ location, env }),
      "check JITBOT_DATABASE_URL or JITBOT_DB",
    )),
  );
  if (settings.missingSlack.length > 0) {
    rows.push(
      failed(
        "Slack settings",
        "environment",
        `${settings.missingSlack.join(" and ")} not set`,
        "set them from the Slack app's pages (Bot User OAuth Token; Basic Information → Signing Secret)",
      ),
    );
  }
  const botToken = env.SLACK_BOT_TOKEN?.trim();
  if (policy && botToken) {
    const target = { botToken, apiUrl: env.SLACK_API_URL?.trim() || undefined };
    const slackPolicy = policy;
    rows.push(
      ...(await guard("Slack", "Web API", () => slackChecks(target, slackPolicy), "check SLACK_API_URL and egress")),
    );
  }
  if (policy) rows.push(...(await cloudChecks(env, policy)));
  // Read-only and outside the clouds: checked in dry runs too, since auto-approval runs in them.
  if (policy) {
    const onCallPolicy = policy;
    rows.push(
      ...(await guard("on-call", "PagerDuty / Opsgenie", () => onCallChecks(env, onCallPolicy), "check egress")),
    );
  }
  if (policy) {
    const stepUpPolicy = policy;
    rows.push(
      ...(await guard(
        "approver step-up",
        "Entra ID",
        () => stepUpChecks(env, stepUpPolicy),
        "check JITBOT_PUBLIC_URL and the Entra app",
      )),
    );
  }
  out.write(`jitbot doctor — ${settings.configPath}\n\n${renderTable(rows, secrets)}`);
  return rows.some((row) => row.status === "failed") ? 1 : 0;
}

async function cloudChecks(env: NodeJS.ProcessEnv, policy: Policy): Promise<CheckRow[]> {
  if (policy.dryRun) {
    return [skipped("Entra and AWS", "policy.dryRun: true", "dry run: skipped (no grant reaches Entra or AWS)")];
  }
  const rows: CheckRow[] = [];
  if (policyParts(policy).some(isEntraProfile)) {
    rows.push(
      ...(await guard(
        "Entra",
        "Microsoft Graph",
        () => entraChecks(env, policy),
        "check the bot's Azure identity and GRAPH_BASE_URL",
      )),
    );
  }
  const usesAws = policyParts(policy).some((p) => p.grant.type === "aws-role" || p.grant.type === "eks-access-entry");
  if (usesAws) {
    rows.push(
      ...(await guard("AWS", "STS / EKS", () => awsChecks(env, policy), "check the bot's AWS credentials and region")),
    );
  }
  if (policy.profiles.some(isBindingProfile)) {
    rows.push(
      ...(await guard(
        "cluster RBAC",
        "clusters",
        () => kubernetesChecks(env, policy),
        "check clusters[] and the bot's cloud identity",
      )),
    );
  }
  return rows;
}
