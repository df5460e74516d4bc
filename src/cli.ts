import { readEnv } from "./config/env.js";
import { ConfigError, loadPolicyFile } from "./config/load.js";
import { verifyAudit } from "./store/audit.js";
import { openDatabase } from "./store/db.js";

const USAGE = `usage: jitbot <command>
  audit verify            check the audit log's hash chain (JITBOT_DB, default ./data/jitbot.db)
  check-config [file]     validate a policy file offline (default JITBOT_CONFIG or ./jitbot.yaml)
  doctor                  check Slack, Entra and AWS access with the configured credentials`;

export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  out = process.stdout,
): Promise<number> {
  const settings = readEnv(env);
  const [command, sub] = args;
  if (command === "audit" && sub === "verify") {
    const db = openDatabase(settings.dbPath);
    const verdict = verifyAudit(db);
    db.close();
    if (verdict.ok) {
      out.write(`audit log intact: ${verdict.events} events, every link verified\n`);
      return 0;
    }
    out.write(`audit log BROKEN at event ${verdict.brokenAt}: ${verdict.why} (${verdict.events} events read)\n`);
    return 1;
  }
  if (command === "check-config") {
    const path = sub ?? settings.configPath;
    try {
      const policy = loadPolicyFile(path);
      out.write(
        `${path}: valid — ${policy.profiles.length} profile(s): ${policy.profiles.map((p) => p.id).join(", ")}\n`,
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
  if (command === "doctor") {
    const { runDoctor } = await import("./doctor/index.js");
    return runDoctor(env, out);
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
