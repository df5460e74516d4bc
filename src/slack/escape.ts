/**
 * Text a person typed, made safe for mrkdwn: `<!channel>`, `<@U…>` and `<http…|…>` arrive as plain
 * text, and bare @channel/@here/@everyone cannot notify (a zero-width joiner breaks the keyword).
 */
export function escapeMrkdwn(text: string): string {
  return escapeEntities(text).replace(/@(channel|here|everyone)\b/gi, "@\u2060$1");
}

/**
 * Only Slack's three control characters, as entities; Slack shows (and copies) them as typed. For
 * code a person pastes, where an inserted joiner would change a secret or a command.
 */
export function escapeEntities(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * The pieces a cut may not split: an entity (`&amp;`), a Slack token (`<@U1>`, `<!date^…|…>`), a
 * surrogate pair (one emoji). Anything else is one UTF-16 unit. Lengths are counted in UTF-16
 * units, as String.length does: never fewer than the characters Slack counts.
 */
const MRKDWN_UNIT = /&(?:amp|lt|gt);|<[^<>\n]*>|[\uD800-\uDBFF][\uDC00-\uDFFF]|[\s\S]/gy;
const PLAIN_UNIT = /[\uD800-\uDBFF][\uDC00-\uDFFF]|[\s\S]/gy;

function cutEnd(text: string, budget: number, units: RegExp): number {
  let end = 0;
  units.lastIndex = 0;
  for (let unit = units.exec(text); unit; unit = units.exec(text)) {
    const next = unit.index + unit[0].length;
    if (next > budget) break;
    end = next;
  }
  return end;
}

/** For plain_text fields: at most `max` characters, never half an emoji. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, cutEnd(text, max - 1, PLAIN_UNIT))}…`;
}

/**
 * For mrkdwn that is already escaped: at most `max` characters as sent (Slack's limits apply to
 * the text as sent, so `&` counts as the five of `&amp;`), never cutting an entity, a mention or
 * date token, or an emoji in half, and closing a code block the cut left open.
 */
export function truncateMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  const kept = text.slice(0, cutEnd(text, max - 4, MRKDWN_UNIT));
  const openFence = (kept.match(/```/g) ?? []).length % 2 === 1;
  return `${kept}…${openFence ? "```" : ""}`;
}

/** Slack renders this in each reader's own time zone; the fallback is UTC. */
export function slackDate(date: Date, format = "{date_short_pretty} {time}"): string {
  const unix = Math.floor(date.getTime() / 1000);
  const fallback = `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  return `<!date^${unix}^${format}|${fallback}>`;
}

/**
 * Code blocks cannot be escaped by backticks inside them; replace them so the block stays whole.
 * `&`, `<`, `>` are still control characters inside a code block, so they go as entities.
 */
export function codeBlock(text: string): string {
  return `\`\`\`${escapeEntities(text.replace(/```/g, "ʼʼʼ"))}\`\`\``;
}
