import { formatDuration } from "../../config/duration.js";
import type { Profile } from "../../config/schema.js";
import type { AccessRequest, GrantRecord } from "../../domain/request.js";
import type { MyAccess } from "../../service/access-service.js";
import { escapeMrkdwn, slackDate } from "../escape.js";
import { ACTION } from "../ids.js";
import type { SlackMessage } from "./approval.js";
import { actions, type Block, button, context, divider, header, section, type View } from "./kit.js";

export function helpMessage(profiles: Profile[]): SlackMessage {
  const list = profiles.length
    ? profiles
        .map((p) => `• \`${p.id}\` — ${escapeMrkdwn(p.title)} (up to ${formatDuration(p.duration.max)})`)
        .join("\n")
    : "_You may not request any profile yet; ask the platform team._";
  const text = [
    "*jitbot* gives you approved, expiring access to Kubernetes clusters.",
    "• `/jit request [profile] [duration] [why…]` — ask for access (opens a form)",
    "• `/jit list` — your pending requests and active access, with time left",
    "• `/jit revoke <id>` — end your access early",
    "• `/jit cancel <id>` — withdraw a request not yet granted (one being granted is revoked once it is)",
    "",
    `*Profiles you can request*\n${list}`,
  ].join("\n");
  return { text: "jitbot help", blocks: [section(text)] };
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
          `*${profileTitle(profiles, request)}* · ${request.id} from <@${request.requesterId}> · ${formatDuration(request.durationSeconds)}\n>${escapeMrkdwn(request.justification).slice(0, 300)}`,
        ),
      );
    }
  }
  return { type: "home", blocks: blocks.slice(0, 100) };
}
