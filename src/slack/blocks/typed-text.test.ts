import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../config/load.js";
import type { AccessRequest } from "../../domain/request.js";
import { approvalMessage } from "./approval.js";
import { driftMessage, orphansRemovedMessage } from "./cleanup.js";
import { decisionMessage } from "./dm.js";
import { homeView } from "./overview.js";

/**
 * Every place where text someone typed (or set in their own directory profile) reaches mrkdwn, with
 * text that tries every trick: a special mention, a user mention, a disguised link, a bare keyword
 * and a typed entity. None may survive as mrkdwn that Slack would act on.
 */
const HOSTILE = "x <!channel> <@U0LEAD> <https://evil.example|docs> @everyone &lt;!here&gt; y";
const TRICKS = ["<!channel>", "<@U0LEAD>", "<https://evil.example|docs>", "@everyone", "&lt;!here&gt;"];

const policy = parsePolicy(readFileSync(new URL("../../../jitbot.example.yaml", import.meta.url), "utf8"));
const profile = policy.profiles[0];
if (!profile) throw new Error("the example policy has no profile");
const at = new Date("2026-03-02T10:00:00Z");
const request = (change: Partial<AccessRequest> = {}): AccessRequest => ({
  id: "JR-TYPED1",
  profileId: profile.id,
  requesterId: "U0ALICE",
  requesterName: "Alice",
  requesterEmail: "alice@contoso.com",
  durationSeconds: 3600,
  justification: "Rotating the ingress cert",
  ticket: "OPS-7",
  status: "pending",
  createdAt: at,
  updatedAt: at,
  decidedAt: undefined,
  decisionNote: undefined,
  approvalChannel: "C0APPROVALS",
  approvalTs: "1.1",
  receiptChannel: undefined,
  receiptTs: undefined,
  extendsRequestId: undefined,
  ...change,
});
const denied = request({ status: "denied", decidedAt: at, decisionNote: HOSTILE });
const deny = [{ requestId: denied.id, approverId: "U0OMAR", decision: "deny" as const, at }];

/** Every mrkdwn text object in a message or view: what Slack parses for mentions and links. */
function mrkdwnTexts(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(mrkdwnTexts);
  if (node === null || typeof node !== "object") return [];
  const object = node as Record<string, unknown>;
  const own = object.type === "mrkdwn" && typeof object.text === "string" ? [object.text] : [];
  return [...own, ...Object.values(object).flatMap(mrkdwnTexts)];
}

const PLACES: { place: string; render: () => unknown }[] = [
  {
    place: "the justification on the approval message",
    render: () => approvalMessage(request({ justification: HOSTILE }), profile, []),
  },
  {
    place: "the ticket on the approval message",
    render: () => approvalMessage(request({ ticket: HOSTILE }), profile, []),
  },
  { place: "the deny reason on the approval message", render: () => approvalMessage(denied, profile, deny) },
  { place: "the deny reason in the requester's DM", render: () => decisionMessage(denied, profile, deny) },
  {
    place: "the justification in an approver's App Home",
    render: () =>
      homeView({
        access: { pending: [], active: [] },
        awaiting: [request({ justification: HOSTILE })],
        profiles: new Map([[profile.id, profile]]),
        now: at,
      }),
  },
  {
    place: "a directory display name and UPN in the drift report",
    render: () => driftMessage(profile, [{ description: HOSTILE, why: HOSTILE }]),
  },
  {
    place: "a cloud object's name in the orphans-removed message",
    render: () => orphansRemovedMessage(profile, [{ description: HOSTILE, why: HOSTILE, requestId: "JR-1" }]),
  },
];

describe("typed text in messages", () => {
  for (const { place, render } of PLACES) {
    it(`escapes ${place}`, () => {
      const texts = mrkdwnTexts(render());
      expect(texts.join("\n")).toContain("&lt;!channel&gt;");
      for (const trick of TRICKS) {
        for (const text of texts) expect(text).not.toContain(trick);
      }
    });
  }
});
