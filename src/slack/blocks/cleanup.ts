import type { Profile } from "../../config/schema.js";
import type { CloudFinding } from "../../service/ports.js";
import { escapeMrkdwn, truncateMrkdwn } from "../escape.js";
import type { SlackMessage } from "./approval.js";
import { type Block, context, section, sections } from "./kit.js";

/** Findings shown per message; the rest are counted. Lines are packed into sections that fit. */
const SHOWN = 15;
/** Per half of a line, as sent: escaping can make a cloud name five times longer. */
const CLIP = 300;

function lines(findings: CloudFinding[]): Block[] {
  const shown = findings
    .slice(0, SHOWN)
    .map(
      (f) => `• ${truncateMrkdwn(escapeMrkdwn(f.description), CLIP)} — ${truncateMrkdwn(escapeMrkdwn(f.why), CLIP)}`,
    );
  if (findings.length > SHOWN) shown.push(`…and ${findings.length - SHOWN} more (see the audit log).`);
  return sections(shown);
}

/** Drift: access no live grant explains. Posted once per finding until it changes. */
export function driftMessage(profile: Profile, findings: CloudFinding[]): SlackMessage {
  return {
    text: `Drift: ${findings.length} object(s) of ${escapeMrkdwn(profile.title)} hold access without an active grant.`,
    blocks: [
      section(
        `🔍 *Drift report* for *${escapeMrkdwn(profile.title)}*: ${findings.length} new or changed finding(s) — access without an active jitbot grant, not listed in \`standingMembers\`:`,
      ),
      ...lines(findings),
      context(
        "Each finding is posted once, and again only if it changes. jitbot removes only what it can prove it created; remove the rest by hand, or add people to standingMembers if this access is intended.",
      ),
    ],
  };
}

/** The reaper removed objects jitbot had created and no live grant explained. */
export function orphansRemovedMessage(profile: Profile, removed: CloudFinding[]): SlackMessage {
  return {
    text: `jitbot removed ${removed.length} orphaned object(s) of ${escapeMrkdwn(profile.title)}.`,
    blocks: [
      section(
        `🧹 *Orphans removed* for *${escapeMrkdwn(profile.title)}*: jitbot had created ${removed.length} object(s) that no live grant explains (a cloud call that landed after its roll-back), and removed them:`,
      ),
      ...lines(removed),
      context("Each removal is in the audit log as `orphan.removed`."),
    ],
  };
}
