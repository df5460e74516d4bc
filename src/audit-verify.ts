import { existsSync, readFileSync } from "node:fs";
import type { RuntimeSettings } from "./config/env.js";
import { type AuditAnchor, anchorsInLog, parseAnchor } from "./store/audit-anchor.js";
import { NoDatabaseError, StoreRefusal } from "./store/errors.js";
import { openForReading, type StoreReader } from "./store/index.js";
import { DatabaseAuthError, databasePassword } from "./store/pg-auth.js";

export const AUDIT_VERIFY_USAGE = `audit verify [--anchor '<json>']... [--anchors <log file>]...
                          check the audit log's chain (JITBOT_DATABASE_URL, else JITBOT_DB) and that it
                          still reaches every published anchor; JITBOT_AUDIT_KEY checks keyed rows`;

/**
 * `jitbot audit verify`: read-only and lock-free, so it runs beside the bot. A path that does not
 * exist is an error, never an empty database reported intact. Exit 0 intact, 1 broken, 2 misuse.
 */
export async function auditVerify(
  args: string[],
  settings: RuntimeSettings,
  out: NodeJS.WritableStream,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const fail = (code: number, sentence: string) => {
    out.write(`${sentence}\n`);
    return code;
  };
  if (settings.auditKeyProblem) return fail(2, settings.auditKeyProblem);
  const anchors = readAnchors(args);
  if (typeof anchors === "string") return fail(2, anchors);
  const location = settings.databaseUrl ?? settings.dbPath;
  let reader: StoreReader;
  try {
    reader = await openForReading(location, { auditKey: settings.auditKey, password: databasePassword(env) });
  } catch (error) {
    if (error instanceof NoDatabaseError || error instanceof StoreRefusal || error instanceof DatabaseAuthError) {
      return fail(1, `audit log not verified: ${error.message}`);
    }
    throw error;
  }
  try {
    const verdict = await reader.verifyAudit(anchors);
    if (!verdict.ok) {
      return fail(1, `audit log BROKEN at event ${verdict.brokenAt}: ${verdict.why} (${verdict.events} events read)`);
    }
    const queued = await reader.queuedAudits();
    const extras = [
      verdict.keyed > 0 ? `${verdict.keyed} keyed with JITBOT_AUDIT_KEY` : "",
      verdict.anchors > 0 ? `${verdict.anchors} anchor(s) matched` : "",
      queued > 0 ? `${queued} more committed and waiting to be linked: the bot links them within seconds` : "",
    ].filter(Boolean);
    const suffix = extras.length ? ` (${extras.join("; ")})` : "";
    return fail(0, `audit log intact: ${verdict.events} events, every link verified${suffix}`);
  } catch (error) {
    const code = (error as { code?: string }).code ?? "";
    if (/^SQLITE_/.test(code)) {
      return fail(1, `audit log not verified: ${settings.dbPath} is not a readable jitbot database (${code})`);
    }
    throw error;
  } finally {
    await reader.close();
  }
}

/** The anchors named by --anchor and --anchors, or a sentence saying which one is unusable. */
function readAnchors(args: string[]): AuditAnchor[] | string {
  const anchors: AuditAnchor[] = [];
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = args[i + 1];
    if ((flag !== "--anchor" && flag !== "--anchors") || value === undefined) {
      return `unexpected argument ${JSON.stringify(flag)}: use --anchor '<json line>' or --anchors <log file>`;
    }
    i++;
    if (flag === "--anchor") {
      const anchor = parseAnchor(value);
      if (typeof anchor === "string") return `the --anchor given ${anchor}`;
      anchors.push(anchor);
      continue;
    }
    if (!existsSync(value)) return `no anchor log at ${value}`;
    const found = anchorsInLog(readFileSync(value, "utf8"));
    if (typeof found === "string") return `${value}: ${found}`;
    if (found.length === 0) return `${value} has no "audit anchor" lines`;
    anchors.push(...found);
  }
  return anchors;
}
