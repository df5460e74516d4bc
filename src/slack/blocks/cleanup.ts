import type { Profile } from "../../config/schema.js";
import type { CloudFinding } from "../../service/ports.js";
import { escapeMrkdwn } from "../escape.js";
import type { SlackMessage } from "./approval.js";
import { context, section } from "./kit.js";

/** Findings shown per message: each line is bounded, so the section stays under Slack's 3000 chars. */
const SHOWN = 15;

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function lines(findings: CloudFinding[]): string {
  const shown = findings
    .slice(0, SHOWN)
    .map((f) => `• ${escapeMrkdwn(clip(f.description, 140))} — ${escapeMrkdwn(clip(f.why, 140))}`);
  const more = findings.length > SHOWN ? `\n…and ${findings.length - SHOWN} more (see the audit log).` : "";
  return `${shown.join("\n")}${more}`;
}

/** Drift: access no live grant explains. Posted once per finding until it changes. */
export function driftMessage(profile: Profile, findings: CloudFinding[]): SlackMessage {
  return {
    text: `Drift: ${findings.length} object(s) of ${profile.title} hold access without an active grant.`,
    blocks: [
      section(
        `🔍 *Drift report* for *${escapeMrkdwn(profile.title)}*: ${findings.length} new or changed finding(s) — access without an active jitbot grant, not listed in \`standingMembers\`:\n${lines(findings)}`,
      ),
      context(
        "Each finding is posted once, and again only if it changes. jitbot removes only what it can prove it created; remove the rest by hand, or add people to standingMembers if this access is intended.",
      ),
    ],
  };
}

/** The reaper removed objects jitbot had created and no live grant explained. */
export function orphansRemovedMessage(profile: Profile, removed: CloudFinding[]): SlackMessage {
  return {
    text: `jitbot removed ${removed.length} orphaned object(s) of ${profile.title}.`,
    blocks: [
      section(
        `🧹 *Orphans removed* for *${escapeMrkdwn(profile.title)}*: jitbot had created ${removed.length} object(s) that no live grant explains (a cloud call that landed after its roll-back), and removed them:\n${lines(removed)}`,
      ),
      context("Each removal is in the audit log as `orphan.removed`."),
    ],
  };
}
