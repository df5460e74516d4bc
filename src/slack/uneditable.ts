/**
 * chat.update refusals no retry can change: the message or its conversation is gone, or Slack will
 * never let the bot edit it. Each is one of chat.update's documented errors
 * (https://api.slack.com/methods/chat.update, "Errors").
 */
const UNEDITABLE = new Set([
  "message_not_found",
  "channel_not_found",
  "cant_update_message",
  "edit_window_closed",
  "is_archived",
]);

/** Slack's error code when `error` is a chat.update refusal that will never succeed, else undefined. */
export function uneditable(error: unknown): string | undefined {
  if (!error || typeof error !== "object") return undefined;
  const { code, data } = error as { code?: unknown; data?: { error?: unknown } };
  if (code !== "slack_webapi_platform_error" || typeof data?.error !== "string") return undefined;
  return UNEDITABLE.has(data.error) ? data.error : undefined;
}
