import { WebClient } from "@slack/web-api";
import { afterEach, describe, expect, it } from "vitest";
import { examplePolicy, PEOPLE } from "../../test/support/bot.js";
import { ManualClock } from "../domain/clock.js";
import type { AccessRequest, Approval, GrantRecord } from "../domain/request.js";
import { createLogger } from "../logger.js";
import { FakeSlackWebApi } from "../playground/slack-web-api.js";
import type { AccessService } from "../service/access-service.js";
import { HomeTabs, refreshingHomes } from "./home-tabs.js";
import { SlackNotifier } from "./notifier.js";

const at = new Date("2026-03-01T10:00:00Z");
const policy = examplePolicy();
const profile = policy.profiles.find((p) => p.id === "aks-prod-sre") ?? policy.profiles[0];

function request(id: string, approval?: { channel: string; ts: string }): AccessRequest {
  return {
    id,
    profileId: profile?.id ?? "",
    requesterId: "U0ALICE",
    requesterName: "Alice",
    requesterEmail: "alice@example.com",
    durationSeconds: 3600,
    justification: "debugging the ingress",
    ticket: undefined,
    status: "expired",
    createdAt: at,
    updatedAt: at,
    decidedAt: at,
    decisionNote: undefined,
    approvalChannel: approval?.channel,
    approvalTs: approval?.ts,
    receiptChannel: undefined,
    receiptTs: undefined,
    extendsRequestId: undefined,
  };
}

function ended(requestId: string): GrantRecord {
  return {
    requestId,
    provider: "entra-group",
    status: "ended",
    state: {},
    startedAt: at,
    grantedAt: at,
    expiresAt: at,
    providerExpiresAt: undefined,
    dueAt: at,
    endReason: "expired",
    endedAt: at,
    revokeAttempts: 0,
    lastError: undefined,
    lastAlertAt: undefined,
    reminderSentAt: undefined,
    dmChannel: undefined,
    dmTs: undefined,
    dmHasSecret: false,
    revokeRequestedAt: undefined,
    revokeRequestedBy: undefined,
  };
}

describe("notices after a mass expiry", () => {
  const slack = new FakeSlackWebApi(PEOPLE);
  afterEach(async () => {
    await slack.close();
  });

  it("sixteen grants ending together read App Home's visitors at most twice, not once each", async () => {
    if (!profile) throw new Error("the example policy has no profiles");
    const client = new WebClient(slack.token, { slackApiUrl: await slack.listen(), retryConfig: { retries: 0 } });
    let visitorReads = 0;
    let approvalReads = 0;
    const homes = new HomeTabs(client, new ManualClock(at), createLogger("silent"), {
      homeOpened: async () => undefined,
      homeVisitors: async () => {
        visitorReads++;
        // A database round trip: the read is still in flight when the next change asks.
        await new Promise((resolve) => setImmediate(resolve));
        return [];
      },
    });
    // Only the policy is read when nobody has App Home open.
    homes.attach({ policy } as unknown as AccessService);
    const approvalsOf = async (): Promise<Approval[]> => {
      approvalReads++;
      return [];
    };
    const notifier = refreshingHomes(
      new SlackNotifier(client, createLogger("silent"), approvalsOf, () => false),
      homes,
    );
    const ids = Array.from({ length: 16 }, (_, i) => `JR-MASS${i}`);
    // The revoker's sixteen slots end their grants together; each change refreshes the homes it shows in.
    await Promise.all(ids.map((id) => homes.refreshFor(request(id))));
    expect(visitorReads).toBeLessThanOrEqual(2);
    await Promise.all(ids.map((id) => notifier.grantEnded(request(id), profile, ended(id), "removed from group")));
    // No approval message was ever posted for these: nothing to bring up to date, nothing to read.
    expect(approvalReads).toBe(0);
    expect(slack.callsOf("chat.postMessage")).toHaveLength(16);
    // One whose approval message exists is brought up to date with its approvals, as before.
    await notifier.grantEnded(
      request("JR-POSTED", { channel: "C0APPROVALS", ts: "1700000000.000100" }),
      profile,
      ended("JR-POSTED"),
      "removed from group",
    );
    expect(approvalReads).toBe(1);
  });
});
