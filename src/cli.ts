import { AUDIT_VERIFY_USAGE, auditVerify } from "./audit-verify.js";
import { readEnv } from "./config/env.js";
import { ConfigError, loadPolicyFile } from "./config/load.js";
import { CONFORMANCE_USAGE } from "./conformance/args.js";
import { onCallConfigProblems } from "./oncall/env.js";
import { publicUrlProblem } from "./stepup/settings.js";

const USAGE = `usage: jitbot <command>
  ${AUDIT_VERIFY_USAGE}
  check-config [file]     validate a policy file offline (default JITBOT_CONFIG or ./jitbot.yaml)
  doctor                  check the database, Slack, Entra, AWS and cluster access with the configured credentials
  migrate                 bring the database (JITBOT_DATABASE_URL, else JITBOT_DB) to this jitbot's schema
  ${CONFORMANCE_USAGE}`;

export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  out = process.stdout,
): Promise<number> {
  const settings = readEnv(env);
  const [command, sub] = args;
  if (command === "audit" && sub === "verify") return auditVerify(args.slice(2), settings, out, env);
  if (command === "check-config") {
    const path = sub ?? settings.configPath;
    try {
      const policy = loadPolicyFile(path);
      // The file is valid, but a profile would ask a service jitbot has no key for.
      const onCall = onCallConfigProblems(policy, env);
      if (onCall.length > 0) throw new ConfigError(path, onCall);
      const stepUpProblem = publicUrlProblem(policy, env);
      if (stepUpProblem) {
        out.write(`${path}: ${stepUpProblem}\n`);
        return 1;
      }
      out.write(
        `${path}: valid — ${policy.profiles.length} profile(s): ${policy.profiles.map((p) => p.id).join(", ")}${
          policy.bundles.length
            ? `; ${policy.bundles.length} bundle(s): ${policy.bundles.map((b) => b.id).join(", ")}`
            : ""
        }\n`,
      );
      return 0;
    } catch (error) {
      if (error instanceof ConfigError) {
        out.write(`${error.message}\n`);
        return 1;
      }
      throw error;
    }
  }
  if (command === "migrate") {
    const { migrate } = await import("./store/index.js");
    const { databasePassword } = await import("./store/pg-auth.js");
    const { from, to } = await migrate(settings.databaseUrl ?? settings.dbPath, { password: databasePassword(env) });
    out.write(
      from === to
        ? `database schema already at version ${to}\n`
        : `database schema migrated from version ${from} to ${to}\n`,
    );
    return 0;
  }
  if (command === "doctor") {
    const { runDoctor } = await import("./doctor/index.js");
    return runDoctor(env, out);
  }
  if (command === "conformance") {
    const { runConformance } = await import("./conformance/index.js");
    return runConformance(args.slice(1), env, out);
  }
  out.write(`${USAGE}\n`);
  return command === undefined || command === "help" ? 0 : 2;
}

if (process.argv[1] && /cli\.(ts|js)$/.test(process.argv[1])) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`jitbot: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
