import { describe, expect, it } from "vitest";
import type { PartProfile, Profile } from "../../src/config/schema.js";
import { bundleProfile, partsOf } from "../../src/domain/bundle.js";
import type { RequestStatus } from "../../src/domain/status.js";
import { awsRoleInstructions } from "../../src/grants/aws/instructions.js";
import { mergeInstructions } from "../../src/grants/composite-instructions.js";
import { aksSections, entraNotes, servicePrincipalLogin, userInstructions } from "../../src/grants/entra/connect.js";
import type { ConnectInstructions, GrantRequest } from "../../src/grants/provider.js";
import { approvalMessage } from "../../src/slack/blocks/approval.js";
import { approvalReminderMessage, auditAnchorMessage, revokeFailingMessage } from "../../src/slack/blocks/channel.js";
import { driftMessage, orphansRemovedMessage } from "../../src/slack/blocks/cleanup.js";
import {
  closedMessage,
  decisionMessage,
  endedMessage,
  expiryReminderMessage,
  extendedMessage,
  failedMessage,
  grantMessage,
  receiptMessage,
} from "../../src/slack/blocks/dm.js";
import { autoApprovalSkippedMessage, autoApprovedDm } from "../../src/slack/blocks/on-call.js";
import { helpMessage, homeView, listMessage } from "../../src/slack/blocks/overview.js";
import { denyModal, profileOptions, requestModal } from "../../src/slack/blocks/request-modal.js";
import { escapeMrkdwn } from "../../src/slack/escape.js";
import { blockKitViolations, describeViolations, type Surface } from "../support/block-kit-limits.js";
import { approvalsFor, at, grantFor, nasty, policyWith, profileOf, requestFor } from "./fixtures.js";

const policy = policyWith(153);
const profiles = policy.profiles;
const profile = profileOf(policy, 0);
const byGrant = (type: Profile["grant"]["type"]) => {
  const found = profiles.find((p) => p.grant.type === type);
  if (!found) throw new Error(type);
  return found;
};
const STATUSES: RequestStatus[] = [
  "pending",
  "approved",
  "active",
  "expired",
  "revoked",
  "denied",
  "cancelled",
  "timed_out",
  "failed",
];

function grantRequest(p: Profile): GrantRequest {
  return {
    requestId: "JR-7K3Q9M",
    profile: p,
    subject: { slackUserId: "U0ALICE12345", email: "alice@contoso.com", name: nasty(80) },
    durationSeconds: p.duration.max,
    startsAt: at(0),
    expiresAt: at(24 * 60),
    justification: nasty(2000),
    ticket: nasty(100),
  };
}

/** What each provider puts in the DM, at its longest; secrets included. */
function instructionsByGrant(): [string, Profile, ConnectInstructions][] {
  const group = byGrant("entra-group");
  const pim = byGrant("entra-pim-group");
  const sp = byGrant("entra-service-principal");
  const role = byGrant("aws-role");
  const entry = byGrant("eks-access-entry");
  const secret = `-${"~".repeat(39)}`;
  return [
    ["entra-group", group, userInstructions(grantRequest(group), policy, `Membership of ${nasty(200)}`)],
    [
      "entra-pim-group (standing member)",
      pim,
      userInstructions(grantRequest(pim), policy, `PIM assignment ${nasty(200)}`, { standingMember: true }),
    ],
    [
      "entra-service-principal",
      sp,
      {
        summary: `A temporary service principal ${nasty(300)}`,
        sections: [
          {
            heading: "Sign in as the temporary service principal",
            code: servicePrincipalLogin(
              "3c9f1b2a-5d4e-4f6a-8b7c-9d0e1f2a3b4c",
              "00000000-0000-0000-0000-000000000000",
              secret,
            ),
            secret: true,
          },
          ...aksSections(sp),
        ],
        notes: entraNotes(policy, [nasty(300), nasty(300)]),
      },
    ],
    [
      "aws-role",
      role,
      awsRoleInstructions(
        {
          profile: role,
          roleArn: "arn:aws:iam::123456789012:role/jit-role-with-a-rather-long-name-for-testing-limits",
          clusterName: role.cluster.name,
          region: "eu-central-1",
          namespace: role.cluster.namespace,
          grantExpiresAt: at(24 * 60),
          revokeSessions: true,
          refreshed: true,
        },
        {
          accessKeyId: "ASIA".padEnd(20, "X"),
          secretAccessKey: "s".repeat(40),
          // STS documents no fixed size; tokens of 1–2 KB are common with session tags.
          sessionToken: "T".repeat(2048),
          expiresAt: at(60),
        },
      ),
    ],
    [
      "eks-access-entry",
      entry,
      {
        summary: `arn:aws:iam::123456789012:role/${"r".repeat(64)} has AmazonEKSClusterAdminPolicy on namespaces ${nasty(400)}`,
        sections: [
          {
            heading: "kubeconfig",
            code: `aws eks update-kubeconfig --name ${entry.cluster.name} --region eu-central-1`,
          },
          { heading: "Check what you may do", code: `kubectl auth can-i --list --namespace ${nasty(60)}` },
        ],
        notes: ["EKS may take a few seconds to apply a new access entry; retry kubectl if the first call is refused."],
      },
    ],
  ];
}

/** A bundle of every grant type at its longest: one DM with a section per part and each part's steps. */
function bundleInstructions(): [string, Profile, ConnectInstructions][] {
  const single = instructionsByGrant();
  const members = single.map(([, p]) => p);
  const bundle = bundleProfile(
    { id: "incident-all", title: "Every grant type", profiles: members.map((p) => p.id) },
    members,
  );
  const parts = single.map(([, p, instructions]) => ({
    part: partsOf(p)[0] as PartProfile,
    instructions,
    providerExpiresAt: at(60),
  }));
  return [["bundle of every grant type", bundle, mergeInstructions(parts, at(24 * 60))]];
}

function messages(): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const status of STATUSES) {
    for (const extendsRequestId of [undefined, "JR-2ABCDE"]) {
      const request = requestFor(profile, status, { extendsRequestId });
      const approvals = approvalsFor(request, status === "denied" ? "deny" : "approve");
      out.push([
        `approval ${status}${extendsRequestId ? " (extension)" : ""}`,
        approvalMessage(request, profile, approvals),
      ]);
      out.push([`approval ${status}, no deciders`, approvalMessage(request, profile, [])]);
    }
    out.push([`receipt ${status}`, receiptMessage(requestFor(profile, status), profile)]);
  }
  // On-call auto-approval: the schedule's name comes from PagerDuty/Opsgenie, typed by their admins.
  const byRule = [{ requestId: "JR-7K3Q9M", approverId: "jitbot:on-call", decision: "approve" as const, at: at(-30) }];
  for (const status of STATUSES) {
    const request = requestFor(profile, status, { decisionNote: `on call for ${nasty(2000)} (PagerDuty)` });
    out.push([`approval ${status}, auto-approved on call`, approvalMessage(request, profile, byRule)]);
  }
  const onCall = requestFor(profile, "approved", { decisionNote: `on call for ${nasty(2000)} (Opsgenie)` });
  out.push(["auto-approved DM", autoApprovedDm(onCall, profile)]);
  out.push(["auto-approval skipped", autoApprovalSkippedMessage(onCall, nasty(3000))]);
  const approved = requestFor(profile, "approved");
  const denied = requestFor(profile, "denied");
  out.push(["decision approved", decisionMessage(approved, profile, approvalsFor(approved, "approve"))]);
  out.push(["decision denied", decisionMessage(denied, profile, approvalsFor(denied, "deny"))]);
  out.push(["closed timed out", closedMessage(requestFor(profile, "timed_out"), profile)]);
  out.push(["closed by another", closedMessage(requestFor(profile, "cancelled"), profile, "U0LEAD")]);
  out.push(["closed by self", closedMessage(requestFor(profile, "cancelled"), profile, "U0ALICE12345")]);
  for (const [name, p, instructions] of [...instructionsByGrant(), ...bundleInstructions()]) {
    const request = requestFor(p, "active", { extendsRequestId: "JR-2ABCDE" });
    const grant = grantFor(request);
    out.push([`grant DM ${name}`, grantMessage(request, p, grant, instructions, { canRefresh: true })]);
    out.push([
      `grant DM ${name} refreshed`,
      grantMessage(request, p, grant, instructions, { canRefresh: true, refreshed: true }),
    ]);
    out.push([
      `grant DM ${name} redacted`,
      grantMessage(request, p, grant, instructions, { canRefresh: false, redacted: true }),
    ]);
    out.push([`expiry reminder ${name}`, expiryReminderMessage(request, p, grant, true)]);
    out.push([`extended ${name}`, extendedMessage(request, p, grant)]);
  }
  const active = requestFor(profile, "active");
  const grant = grantFor(active);
  for (const outcome of [
    { rolledBack: true },
    { rolledBack: false },
    { rolledBack: false, revokeRequestedBy: "U0LEAD" },
  ]) {
    out.push([
      `failed ${JSON.stringify(outcome)}`,
      failedMessage(requestFor(profile, "failed"), profile, nasty(1500), outcome),
    ]);
  }
  for (const status of ["expired", "revoked", "failed"] as const) {
    out.push([`ended ${status}`, endedMessage(requestFor(profile, status), profile, nasty(3000))]);
  }
  out.push(["revoke failing", revokeFailingMessage(active, profile, grant, nasty(3000))]);
  out.push(["approval reminder", approvalReminderMessage(requestFor(profile, "pending"), at(120))]);
  out.push([
    "audit anchor",
    auditAnchorMessage({ seq: 9_007_199_254_740_991, hash: "a".repeat(64), sig: "b".repeat(64) }),
  ]);
  const findings = Array.from({ length: 40 }, (_, i) => ({
    description: `${i} ${nasty(400)}`,
    why: nasty(400),
    requestId: "JR-7K3Q9M",
  }));
  out.push(["drift", driftMessage(profile, findings)]);
  out.push(["orphans removed", orphansRemovedMessage(profile, findings)]);
  out.push(["help, 153 profiles", helpMessage(profiles)]);
  out.push(["help, no profiles", helpMessage([])]);
  const byId = new Map(profiles.map((p) => [p.id, p]));
  const many = profiles.slice(0, 60).map((p) => requestFor(p, "active"));
  const myAccess = {
    active: many.map((request) => ({ request, grant: grantFor(request) })),
    pending: profiles.slice(60, 120).map((p) => requestFor(p, "pending")),
  };
  out.push(["/jit list, 60 active and 60 pending", listMessage(myAccess, byId, at(0))]);
  out.push(["/jit list, nothing", listMessage({ active: [], pending: [] }, byId, at(0))]);
  return out;
}

function views(): [string, unknown, Surface][] {
  const out: [string, unknown, Surface][] = [];
  for (const count of [1, 100, 101, 153]) {
    const some = profiles.slice(0, count);
    const last = some[some.length - 1];
    out.push([`request modal, ${count} profiles`, requestModal(some), "modal"]);
    out.push([
      `request modal, ${count} profiles, prefilled at the limits`,
      requestModal(some, {
        profileId: last?.id,
        durationSeconds: 7 * 3600,
        justification: nasty(2000),
        // As /jit request builds it: the typed word escaped, however long Slack let it be.
        notice: `There is no profile \`${escapeMrkdwn(nasty(2900))}\` you can request; pick one below.`,
      }),
      "modal",
    ]);
    out.push([
      `extension form, ${count} profiles`,
      requestModal(some, { profileId: last?.id, extendsRequestId: "JR-7K3Q9M", justification: nasty(2000) }),
      "modal",
    ]);
  }
  out.push(["deny modal", denyModal("JR-7K3Q9M", { channel: "C0APPROVALS", ts: "1700000000.000100" }), "modal"]);
  const byId = new Map(profiles.map((p) => [p.id, p]));
  const access = {
    active: profiles.slice(0, 60).map((p) => {
      const request = requestFor(p, "active");
      return { request, grant: grantFor(request) };
    }),
    pending: profiles.slice(60, 120).map((p) => requestFor(p, "pending")),
  };
  const awaiting = profiles.slice(120).map((p) => requestFor(p, "pending"));
  out.push(["App Home, many requests", homeView({ access, awaiting, profiles: byId, now: at(0) }), "home"]);
  out.push([
    "App Home, empty",
    homeView({ access: { active: [], pending: [] }, awaiting: [], profiles: byId, now: at(0) }),
    "home",
  ]);
  out.push(["profile search, all 153", profileOptions(profiles), "options"]);
  out.push(["profile search, one cluster", profileOptions(profiles, "aks-0"), "options"]);
  return out;
}

describe("every Block Kit payload jitbot builds stays inside Slack's documented limits", () => {
  it.each(messages())("message: %s", (_, payload) => {
    expect(describeViolations(blockKitViolations(payload, "message"))).toEqual([]);
  });

  it.each(views())("%s", (_, payload, surface) => {
    expect(describeViolations(blockKitViolations(payload, surface))).toEqual([]);
  });
});

/** Every text a message shows, entities turned back into what a person sees and copies. */
const shown = (message: { blocks: unknown[] }) =>
  JSON.stringify(message.blocks)
    .replace(/\\n/g, "\n")
    .replace(/```/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

describe("at the limits the messages still say what matters", () => {
  it("the approve dialog of a 75-character title of &<> stays within 300 and names who and how long", () => {
    const message = approvalMessage(requestFor(profile, "pending"), profile, []);
    const dialog = JSON.stringify(message.blocks).match(
      /"confirm":\{"title".*?"text":\{"type":"mrkdwn","text":"(.*?)"\}/,
    );
    const text = JSON.parse(`"${dialog?.[1] ?? ""}"`) as string;
    expect(text.length).toBeLessThanOrEqual(300);
    expect(text).toMatch(/^<@U0ALICE12345> gets \*0&amp;&lt;&gt;.*…\* for 1d\.$/);
  });

  it("never cuts a secret: a 2,800-character session token reaches the DM whole", () => {
    const role = byGrant("aws-role");
    const token = "T".repeat(2800);
    const instructions = awsRoleInstructions(
      {
        profile: role,
        roleArn: "arn:aws:iam::123456789012:role/jit",
        clusterName: role.cluster.name,
        region: "eu-central-1",
        namespace: undefined,
        grantExpiresAt: at(60),
        revokeSessions: false,
        refreshed: false,
      },
      { accessKeyId: "ASIAEXAMPLE", secretAccessKey: "s".repeat(40), sessionToken: token, expiresAt: at(60) },
    );
    const request = requestFor(role, "active");
    const message = grantMessage(request, role, grantFor(request), instructions, { canRefresh: true });
    expect(describeViolations(blockKitViolations(message, "message"))).toEqual([]);
    expect(shown(message)).toContain(`AWS_SESSION_TOKEN=${token}`);
    expect(shown(message)).toContain(`aws_session_token = ${token}`);
  });

  it("help lists as many profiles as a message holds and counts the rest", () => {
    const many = policyWith(400).profiles;
    const message = helpMessage(many);
    expect(describeViolations(blockKitViolations(message, "message"))).toEqual([]);
    const listed = (shown(message).match(/• `p-/g) ?? []).length;
    expect(listed).toBeGreaterThan(153);
    expect(shown(message)).toContain(`…and ${400 - listed} more`);
  });

  it("the Home tab of a busy approver keeps the requests waiting for them, and counts what it leaves out", () => {
    const byId = new Map(profiles.map((p) => [p.id, p]));
    const access = {
      active: profiles.slice(0, 60).map((p) => {
        const request = requestFor(p, "active");
        return { request, grant: grantFor(request) };
      }),
      pending: profiles.slice(60, 120).map((p) => requestFor(p, "pending")),
    };
    const awaiting = profiles.slice(120).map((p) => requestFor(p, "pending"));
    const view = homeView({ access, awaiting, profiles: byId, now: at(0) });
    expect(describeViolations(blockKitViolations(view, "home"))).toEqual([]);
    const text = shown(view);
    expect(text).toContain("Waiting for your decision");
    expect(text).toContain("…and 32 more active grants");
    expect(text).toContain("…and 32 more pending requests");
    expect(text).toContain(`…and ${awaiting.length - 28} more requests wait for your decision`);
  });
});
