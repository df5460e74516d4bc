import { webApi } from "@slack/bolt";
import type { Policy } from "../config/schema.js";
import { requestables } from "../domain/bundle.js";
import { type CheckRow, failed, ok, skipped } from "./report.js";

/**
 * The bot scopes of slack-app-manifest.yaml (test/doctor checks the two stay equal). Kept in code
 * because the container image ships dist/, not the manifest.
 */
export const MANIFEST_BOT_SCOPES = [
  "channels:read",
  "chat:write",
  "commands",
  "groups:read",
  "usergroups:read",
  "users:read",
  "users:read.email",
] as const;

const BAD_TOKEN = new Set(["invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"]);

export interface SlackTarget {
  botToken: string;
  apiUrl?: string;
}

/** auth.test, the token's granted scopes, and every approval channel (exists, bot is a member). */
export async function slackChecks(slack: SlackTarget, policy: Policy): Promise<CheckRow[]> {
  const client = new webApi.WebClient(slack.botToken, {
    ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {}),
    retryConfig: { retries: 1, factor: 1, minTimeout: 500, maxTimeout: 1_000 },
    timeout: 10_000,
    logLevel: webApi.LogLevel.ERROR,
  });
  let auth: webApi.AuthTestResponse;
  try {
    auth = await client.auth.test();
  } catch (error) {
    const code = slackErrorCode(error);
    const rows = [
      failed(
        "Slack auth",
        "SLACK_BOT_TOKEN",
        `auth.test failed: ${code}`,
        code !== undefined && BAD_TOKEN.has(code)
          ? "SLACK_BOT_TOKEN is wrong or revoked: copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page (reinstall the app if it was removed)"
          : "check that the bot can reach Slack (SLACK_API_URL, egress to slack.com:443)",
      ),
    ];
    return [...rows, skipped("Slack scopes and channels", "-", "skipped: Slack auth failed")];
  }
  const botName = auth.user ?? "jitbot";
  const rows: CheckRow[] = [
    ok("Slack auth", auth.team_id ?? "workspace", `bot @${botName} (${auth.user_id ?? "?"}) in ${auth.team ?? "?"}`),
  ];
  rows.push(scopeRow(auth.response_metadata?.scopes));
  for (const [channel, profiles] of approvalChannels(policy)) {
    rows.push(await channelRow(client, channel, profiles, botName));
  }
  return rows;
}

function scopeRow(granted: string[] | undefined): CheckRow {
  if (granted === undefined) return skipped("Slack scopes", "bot token", "Slack did not report the token's scopes");
  const missing = MANIFEST_BOT_SCOPES.filter((scope) => !granted.includes(scope));
  const extra = granted.filter((scope) => !(MANIFEST_BOT_SCOPES as readonly string[]).includes(scope));
  if (missing.length > 0) {
    return failed(
      "Slack scopes",
      "bot token",
      `missing ${missing.join(", ")}`,
      "add the missing bot scopes on the app's OAuth & Permissions page (or re-create it from slack-app-manifest.yaml) and reinstall the app to the workspace",
    );
  }
  const note = extra.length > 0 ? `; also granted, not needed: ${extra.join(", ")}` : "";
  return ok("Slack scopes", "bot token", `all ${MANIFEST_BOT_SCOPES.length} scopes granted${note}`);
}

async function channelRow(
  client: webApi.WebClient,
  channel: string,
  profiles: string[],
  botName: string,
): Promise<CheckRow> {
  const check = "approval channel";
  const target = `${channel} (${profiles.join(", ")})`;
  try {
    const answer = await client.conversations.info({ channel });
    const name = answer.channel?.name ? `#${answer.channel.name}` : channel;
    if (answer.channel?.is_archived) {
      return failed(
        check,
        target,
        `${name} is archived`,
        `unarchive ${name} or set approval.channel to a live channel`,
      );
    }
    if (!answer.channel?.is_member) {
      return failed(
        check,
        target,
        `${name} exists; the bot is not a member`,
        `invite the bot: type /invite @${botName} in ${name}`,
      );
    }
    return ok(check, target, `${name}: bot is a member`);
  } catch (error) {
    const code = slackErrorCode(error) ?? (error instanceof Error ? error.message : String(error));
    if (code === "channel_not_found") {
      return failed(
        check,
        target,
        "channel not found",
        `check approval.channel (a channel id such as C0123ABCD); a private channel is only visible once the bot is invited: /invite @${botName}`,
      );
    }
    if (code === "missing_scope") {
      return failed(
        check,
        target,
        "missing_scope",
        "add the bot scopes channels:read and groups:read and reinstall the app",
      );
    }
    return failed(check, target, `conversations.info failed: ${code}`, "check the channel id and Slack's status");
  }
}

/** Channel id → the profiles that post there, in policy order. */
function approvalChannels(policy: Policy): Map<string, string[]> {
  const channels = new Map<string, string[]>();
  for (const profile of requestables(policy)) {
    const list = channels.get(profile.approval.channel) ?? [];
    list.push(profile.id);
    channels.set(profile.approval.channel, list);
  }
  return channels;
}

/** Slack's `error` string from a platform error (`{ok:false, error}`), if that is what this is. */
function slackErrorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("data" in error)) return undefined;
  const data = (error as { data?: { error?: unknown } }).data;
  return typeof data?.error === "string" ? data.error : undefined;
}
