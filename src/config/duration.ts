/** Durations as operators and users type them: "15m", "1h", "2h30m", "90m", "1d". */
const PART = /(\d+)\s*(d|h|m|s)/g;
const WHOLE = /^\s*(\d+\s*(d|h|m|s)\s*)+$/;
const UNIT_SECONDS: Record<string, number> = { d: 86_400, h: 3_600, m: 60, s: 1 };

/** Returns seconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const lower = text.trim().toLowerCase();
  if (!WHOLE.test(lower)) return undefined;
  let seconds = 0;
  for (const match of lower.matchAll(PART)) {
    seconds += Number(match[1]) * (UNIT_SECONDS[match[2] ?? "s"] ?? 1);
  }
  return seconds;
}

export function isDuration(text: string): boolean {
  return parseDuration(text) !== undefined;
}

/** "2h 30m", "45m", "1d 2h"; seconds only when under a minute. */
export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.round(totalSeconds));
  if (seconds < 60) return `${seconds}s`;
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3_600);
  const minutes = Math.floor((seconds % 3_600) / 60);
  const parts: string[] = [];
  if (days) parts.push(`${days}d`);
  if (hours) parts.push(`${hours}h`);
  if (minutes) parts.push(`${minutes}m`);
  return parts.join(" ");
}

/** ISO 8601 duration for APIs such as PIM ("PT2H30M"). */
export function toIsoDuration(totalSeconds: number): string {
  const hours = Math.floor(totalSeconds / 3_600);
  const minutes = Math.floor((totalSeconds % 3_600) / 60);
  const seconds = totalSeconds % 60;
  return `PT${hours ? `${hours}H` : ""}${minutes ? `${minutes}M` : ""}${seconds || (!hours && !minutes) ? `${seconds}S` : ""}`;
}
