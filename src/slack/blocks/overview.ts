import { formatDuration } from "../../config/duration.js";
import type { Profile } from "../../config/schema.js";
import type { AccessRequest, GrantRecord } from "../../domain/request.js";
import type { MyAccess } from "../../service/access-service.js";
import { escapeMrkdwn, truncateMrkdwn } from "../escape.js";
import { ACTION } from "../ids.js";
import type { SlackMessage } from "./approval.js";
import { awaitingNote, badgeOf } from "./break-glass.js";
import { endOf } from "./enforcement.js";
import {
  actions,
  type Block,
  boundedSections,
  button,
  context,
  divider,
  header,
  LIMIT,
  section,
  type View,
} from "./kit.js";

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
    (p) =>
      `• \`${p.id}\` — ${escapeMrkdwn(p.title)} (up to ${formatDuration(p.duration.max)}${p.breakGlass ? `; 🚨 break glass up to ${formatDuration(p.breakGlass.max)}` : ""})`,
  );
  const listed = boundedSections(
    lines,
    LIMIT.messageBlocks - 2,
    (left) => `…and ${left} more: \`/jit request\` opens a form that searches them all.`,
  );
  return { text: "jitbot help", blocks: [section(COMMANDS), section("*Profiles you can request*"), ...listed] };
}

const timeLeft = (grant: GrantRecord, now: Date) =>
  formatDuration(Math.max(0, (grant.expiresAt.getTime() - now.getTime()) / 1000));

function profileTitle(profiles: Map<string, Profile>, request: AccessRequest): string {
  return `${badgeOf(request)}${escapeMrkdwn(profiles.get(request.profileId)?.title ?? request.profileId)}`;
}

export function listMessage(access: MyAccess, profiles: Map<string, Profile>, now: Date): SlackMessage {
  const lines: string[] = [];
  if (access.active.length) {
    lines.push("*Active access*");
    for (const { request, grant } of access.active) {
      lines.push(
        `• *${request.id}* ${profileTitle(profiles, request)} — ${timeLeft(grant, now)} left (${endOf(profiles.get(request.profileId), grant)})`,
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
  const blocks = boundedSections(
    lines,
    LIMIT.messageBlocks,
    (left) => `…and ${left} more lines; the Home tab shows them too.`,
  );
  return { text: "Your jitbot access", blocks };
}

/** Per list on the Home tab: three lists and their headings stay within a view's 100 blocks. */
const HOME_LIST = 28;

/** A list's first HOME_LIST blocks, and a line counting the rest. */
function capped<T>(items: T[], render: (item: T) => Block, more: string): Block[] {
  const blocks = items.slice(0, HOME_LIST).map(render);
  if (items.length > HOME_LIST) blocks.push(context(`…and ${items.length - HOME_LIST} more ${more}.`));
  return blocks;
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
  blocks.push(
    ...capped(
      access.active,
      ({ request, grant }) =>
        section(
          `*${profileTitle(profiles, request)}* · ${request.id}\n${timeLeft(grant, now)} left · ${endOf(profiles.get(request.profileId), grant)}`,
          {
            accessory: button("Revoke now", ACTION.revoke, request.id, {
              style: "danger",
              confirm: { title: "Revoke access?", text: `End ${request.id} now?`, confirm: "Revoke", deny: "Keep" },
            }),
          },
        ),
      "active grants: `/jit list` shows them all",
    ),
  );
  blocks.push(header("Your pending requests"));
  if (!access.pending.length) blocks.push(context("None."));
  blocks.push(
    ...capped(
      access.pending,
      (request) =>
        section(
          `*${profileTitle(profiles, request)}* · ${request.id} · ${formatDuration(request.durationSeconds)} · ${request.status}`,
        ),
      "pending requests: `/jit list` shows them all",
    ),
  );
  if (awaiting.length) {
    blocks.push(divider(), header("Waiting for your decision"));
    blocks.push(
      ...capped(
        awaiting,
        (request) =>
          section(
            `*${profileTitle(profiles, request)}* · ${request.id} from <@${request.requesterId}> · ${formatDuration(request.durationSeconds)}${awaitingNote(request)}\n>${truncateMrkdwn(escapeMrkdwn(request.justification), 300).replace(/\n/g, "\n>")}`,
          ),
        "requests wait for your decision in the approval channels",
      ),
    );
  }
  return { type: "home", blocks };
}
