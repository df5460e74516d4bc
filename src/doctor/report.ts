/** One row of the doctor's table. `fix` is required for a failure: the operator must learn what to do. */
export type CheckRow =
  | { status: "ok" | "skipped"; check: string; target: string; result: string }
  | { status: "failed"; check: string; target: string; result: string; fix: string };

const MARK: Record<CheckRow["status"], string> = { ok: "✓", failed: "✗", skipped: "–" };

export const ok = (check: string, target: string, result: string): CheckRow => ({
  status: "ok",
  check,
  target,
  result,
});

export const skipped = (check: string, target: string, result: string): CheckRow => ({
  status: "skipped",
  check,
  target,
  result,
});

export const failed = (check: string, target: string, result: string, fix: string): CheckRow => ({
  status: "failed",
  check,
  target,
  result,
  fix,
});

/**
 * A plain-text table (it goes to terminals and CI logs alike), the fix on its own line under each ✗.
 * Every known secret value is masked on the way out, whatever an SDK put into an error message.
 */
export function renderTable(rows: readonly CheckRow[], secrets: readonly string[]): string {
  const header = { check: "check", target: "target" };
  const checkWidth = Math.max(header.check.length, ...rows.map((r) => r.check.length));
  const targetWidth = Math.max(header.target.length, ...rows.map((r) => r.target.length));
  const line = (mark: string, check: string, target: string, result: string) =>
    `${mark}  ${check.padEnd(checkWidth)}  ${target.padEnd(targetWidth)}  ${result}`.trimEnd();
  const lines = [line(" ", header.check, header.target, "result")];
  for (const row of rows) {
    lines.push(line(MARK[row.status], row.check, row.target, row.result));
    if (row.status === "failed") lines.push(`   fix: ${row.fix}`);
  }
  const failures = rows.filter((r) => r.status === "failed").length;
  lines.push(
    "",
    failures === 0
      ? `All ${rows.length} checks passed.`
      : `${failures} of ${rows.length} checks failed; see the fix under each ✗.`,
  );
  return mask(`${lines.join("\n")}\n`, secrets);
}

export function mask(text: string, secrets: readonly string[]): string {
  let masked = text;
  // Short values would mask ordinary words; real tokens and keys are long.
  for (const secret of secrets) if (secret.length >= 8) masked = masked.split(secret).join("[redacted]");
  return masked;
}

/** Runs one check; an unexpected throw becomes a ✗ row rather than aborting the whole report. */
export async function guard(
  check: string,
  target: string,
  run: () => Promise<CheckRow[]>,
  fix: string,
): Promise<CheckRow[]> {
  try {
    return await run();
  } catch (error) {
    return [failed(check, target, `unexpected error: ${error instanceof Error ? error.message : String(error)}`, fix)];
  }
}
