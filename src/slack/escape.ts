/**
 * Text a person typed, made safe for mrkdwn: `<!channel>`, `<@U…>` and `<http…|…>` arrive as plain
 * text, and bare @channel/@here/@everyone cannot notify (a zero-width joiner breaks the keyword).
 */
export function escapeMrkdwn(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/@(channel|here|everyone)\b/gi, "@\u2060$1");
}

/** For plain_text fields: only the length limit matters there. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Slack renders this in each reader's own time zone; the fallback is UTC. */
export function slackDate(date: Date, format = "{date_short_pretty} {time}"): string {
  const unix = Math.floor(date.getTime() / 1000);
  const fallback = `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  return `<!date^${unix}^${format}|${fallback}>`;
}

/** Code blocks cannot be escaped by backticks inside them; replace them so the block stays whole. */
export function codeBlock(text: string): string {
  return `\`\`\`${text.replace(/```/g, "ʼʼʼ")}\`\`\``;
}
