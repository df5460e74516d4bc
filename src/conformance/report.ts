import type { StepRow } from "./steps.js";

function took(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The ✓/✗ table: one row per step with the time it took, the fix under each ✗, and a verdict. */
export function renderSteps(rows: readonly StepRow[], options: { dryRun: boolean }): string {
  const stepWidth = Math.max("step".length, ...rows.map((r) => r.step.length));
  const timeWidth = Math.max("took".length, ...rows.map((r) => took(r.ms).length));
  const line = (mark: string, step: string, time: string, detail: string) =>
    `${mark}  ${step.padEnd(stepWidth)}  ${time.padStart(timeWidth)}  ${detail}`.trimEnd();
  const lines = [line(" ", "step", "took", "result")];
  for (const row of rows) {
    lines.push(line(row.passed ? "✓" : "✗", row.step, took(row.ms), row.detail));
    if (!row.passed && row.fix) lines.push(`   fix: ${row.fix}`);
  }
  const failed = rows.filter((r) => !r.passed).length;
  lines.push(
    "",
    failed > 0
      ? `${failed} of ${rows.length} steps failed; see the fix under each ✗.`
      : options.dryRun
        ? `All ${rows.length} steps passed in the dry run; only a run with dryRun: false proves the cloud.`
        : `All ${rows.length} steps passed: jitbot grants and revokes this profile, and the cloud shows both.`,
  );
  return `${lines.join("\n")}\n`;
}
