import { formatDuration } from "../../config/duration.js";
import type { Profile } from "../../config/schema.js";
import type { AccessRequest, GrantRecord } from "../../domain/request.js";
import type { MyAccess } from "../../service/access-service.js";
import { escapeMrkdwn, slackDate, truncateMrkdwn } from "../escape.js";
import { ACTION } from "../ids.js";
import type { SlackMessage } from "./approval.js";
import { actions, type Block, button, context, divider, header, LIMIT, packLines, section, type View } from "./kit.js";

/** `<id>` would be read as a Slack link: the placeholders go as entities. */
const COMMANDS = [
  "*jitbot* gives you approved, expiring access to Kubernetes clusters.",
  "• `/jit request [profile] [duration] [why…]` — ask for access (opens a form)",
  "• `/jit list` — your pending requests and active access, with time left",
  "• `/jit revoke &lt;id&gt;` — end your access early",
  "• `/jit cancel &lt;id&gt;` — withdraw a request not yet granted (one being granted is revoked once it is)",
].join("\n");

export function helpMessage(profiles: Profile[]): SlackMessage {
  if (profiles.length === 0) {
    return {
      text: "jitbot help",
      blocks: [section(COMMANDS), section("_You may not request any profile yet; ask the platform team._")],
    };
  }
  const lines = profiles.map(
    (p) => `• \`${p.id}\` — ${escapeMrkdwn(p.title)} (up to ${formatDuration(p.duration.max)})`,
  );
  // Commands, heading and "…and more" take three of a message's 50 blocks; the rest hold profiles.
  const listed = packLines(lines).slice(0, LIMIT.messageBlocks - 3);
  const shown = listed.reduce((n, group) => n + group.length, 0);
  const blocks = [
    section(COMMANDS),
    section("*Profiles you can request*"),
    ...listed.map((g) => section(g.join("\n"))),
  ];
  if (shown < profiles.length) {
    blocks.push(context(`…and ${profiles.length - shown} more: \`/jit request\` opens a form that searches them all.`));
  }
  return { text: "jitbot help", blocks };
}

const timeLeft = (grant: GrantRecord, now: Date) =>
  formatDuration(Math.max(0, (grant.expiresAt.getTime() - now.getTime()) / 1000));

function profileTitle(profiles: Map<string, Profile>, request: AccessRequest): string {
  return escapeMrkdwn(profiles.get(request.profileId)?.title ?? request.profileId);
}

export function listMessage(access: MyAccess, profiles: Map<string, Profile>, now: Date): SlackMessage {
  const lines: string[] = [];
  if (access.active.length) {
    lines.push("*Active access*");
    for (const { request, grant } of access.active) {
      lines.push(
        `• *${request.id}* ${profileTitle(profiles, request)} — ${timeLeft(grant, now)} left (ends ${slackDate(grant.expiresAt)})`,
      );
    }
  }
  if (access.pending.length) {
    lines.push("*Pending requests*");
    for (const request of access.pending) {
      lines.push(
        `• *${request.id}* ${profileTitle(profiles, request)} — ${formatDuration(request.durationSeconds)}, ${request.status === "approved" ? "approved, granting" : "waiting for approval"}`,
      );
    }
  }
  if (!lines.length) lines.push("You have no pending requests and no active access. `/jit request` to ask for some.");
  return { text: "Your jitbot access", blocks: [section(lines.join("\n"))] };
}

export function homeView(input: {
  access: MyAccess;
  awaiting: AccessRequest[];
  profiles: Map<string, Profile>;
  now: Date;
}): View {
  const { access, awaiting, profiles, now } = input;
  const blocks: Block[] = [
    header("jitbot — just-in-time cluster access"),
    actions("home-actions", [button("Request access", ACTION.openRequest, "home", { style: "primary" })]),
    divider(),
    header("Your active access"),
  ];
  if (!access.active.length) blocks.push(context("None right now."));
  for (const { request, grant } of access.active) {
    blocks.push(
      section(
        `*${profileTitle(profiles, request)}* · ${request.id}\n${timeLeft(grant, now)} left · ends ${slackDate(grant.expiresAt)}`,
        {
          accessory: button("Revoke now", ACTION.revoke, request.id, {
            style: "danger",
            confirm: { title: "Revoke access?", text: `End ${request.id} now?`, confirm: "Revoke", deny: "Keep" },
          }),
        },
      ),
    );
  }
  blocks.push(header("Your pending requests"));
  if (!access.pending.length) blocks.push(context("None."));
  for (const request of access.pending) {
    blocks.push(
      section(
        `*${profileTitle(profiles, request)}* · ${request.id} · ${formatDuration(request.durationSeconds)} · ${request.status}`,
      ),
    );
  }
  if (awaiting.length) {
    blocks.push(divider(), header("Waiting for your decision"));
    for (const request of awaiting.slice(0, 20)) {
      blocks.push(
        section(
          `*${profileTitle(profiles, request)}* · ${request.id} from <@${request.requesterId}> · ${formatDuration(request.durationSeconds)}\n>${truncateMrkdwn(escapeMrkdwn(request.justification), 300).replace(/\n/g, "\n>")}`,
        ),
      );
    }
  }
  return { type: "home", blocks: blocks.slice(0, 100) };
}
