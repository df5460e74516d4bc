/**
 * Approver step-up end to end: the real bot (signed Slack requests, the store on the test engine)
 * with its OIDC client pointed at a fake Entra ID on 127.0.0.1 over HTTPS, and a small "browser"
 * that follows redirects the way a person's browser does. The bot's public URL is
 * https://jitbot.test, a stand-in for the reverse proxy in front of it: the browser sends what is
 * addressed there to the bot's own listener.
 */
import { createGraphClient } from "../../src/grants/entra/graph.js";
import type { PostedMessage } from "../../src/playground/slack-web-api.js";
import { graphUserIds } from "../../src/stepup/entra-users.js";
import type { StepUpSettings } from "../../src/stepup/settings.js";
import { identityEndpoint } from "../entra/harness.js";
import { type FakeEntraOidc, type OidcUser, startFakeEntraOidc } from "../fakes/entra-oidc.js";
import { type FakeGraph, startFakeGraph } from "../fakes/graph-server.js";
import {
  examplePolicy,
  SIGNING_SECRET,
  startTestBot,
  type TestBot,
  type TestBotOptions,
  waitFor,
} from "../support/bot.js";

export const TENANT_ID = "0b5c8f3e-2a41-4d6b-9e7f-1c2d3e4f5a6b";
export const CLIENT_ID = "7d9e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a";
export const CLIENT_SECRET = "step-up-client-secret-0123456789";
export const PUBLIC_URL = "https://jitbot.test";
export const REDIRECT_URI = `${PUBLIC_URL}/stepup/callback`;

export const LEE: OidcUser = {
  oid: "11111111-1111-4111-8111-111111111111",
  name: "Lee Lead",
  upn: "lee@contoso.com",
  email: "lee@contoso.com",
  satisfies: ["c1"],
};
export const OMAR: OidcUser = {
  oid: "22222222-2222-4222-8222-222222222222",
  name: "Omar Oncall",
  upn: "omar@contoso.com",
  email: "omar@contoso.com",
};
export const EVE: OidcUser = {
  oid: "33333333-3333-4333-8333-333333333333",
  name: "Eve Outsider",
  upn: "eve@contoso.com",
};

/** aks-prod-sre: `stepUp: entra`; aks-prod-dev: with the authentication context c1. */
export function stepUpPolicy() {
  return examplePolicy((yaml) =>
    yaml
      .replace(
        "selfApproval: false # a requester never approves their own request",
        "selfApproval: false # a requester never approves their own request\n      stepUp: entra",
      )
      .replace(
        "approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD], slackUserGroups: [S0ONCALL] } }",
        "approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD], slackUserGroups: [S0ONCALL] }, stepUp: { provider: entra, authenticationContext: C1 } }",
      ),
  );
}

/**
 * The tenant's directory as Graph shows it: the approvers (object ids as in their ID tokens) and
 * Mallory, whose own account carries Lee's address as its `email` claim.
 */
export const MALLORY: OidcUser = {
  oid: "44444444-4444-4444-8444-444444444444",
  name: "Mallory",
  upn: "mallory@contoso.com",
  email: "lee@contoso.com",
};

export async function startDirectory(): Promise<FakeGraph> {
  await identityEndpoint();
  const graph = await startFakeGraph();
  for (const user of [LEE, OMAR, EVE, MALLORY]) {
    graph.directory.addUser({ id: user.oid, userPrincipalName: user.upn, displayName: user.name });
  }
  return graph;
}

export function stepUpSettings(oidc: FakeEntraOidc, graph: FakeGraph): StepUpSettings {
  return {
    publicUrl: new URL(PUBLIC_URL),
    issuer: new URL(oidc.issuer),
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    derivationKey: SIGNING_SECRET,
    userIds: graphUserIds(stepUpPolicy(), () =>
      createGraphClient({ env: { GRAPH_BASE_URL: graph.baseUrl }, maxRetries: 0 }),
    ),
  };
}

export interface StepUpRig {
  t: TestBot;
  oidc: FakeEntraOidc;
  graph: FakeGraph;
  close(): Promise<void>;
}

export async function startStepUpRig(options: TestBotOptions & { oidc?: FakeEntraOidc } = {}): Promise<StepUpRig> {
  const policy = options.policy ?? stepUpPolicy();
  let clockNow = () => new Date();
  const oidc =
    options.oidc ??
    (await startFakeEntraOidc({
      tenantId: TENANT_ID,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUris: [REDIRECT_URI],
      // Entra and the bot share the test's clock: expiry is judged in the same time.
      now: () => clockNow(),
    }));
  const graph = await startDirectory();
  const t = await startTestBot({ ...options, policy, stepUp: stepUpSettings(oidc, graph) });
  clockNow = () => t.clock.now();
  return {
    t,
    oidc,
    graph,
    async close() {
      await t.close();
      await graph.close();
      if (!options.oidc) await oidc.close();
    },
  };
}

/** The sign-in link in the approver's newest "Confirm it's you" message. */
export async function linkFor(t: TestBot, userId: string, before = 0): Promise<string> {
  const message = await waitFor(
    () =>
      t.slack
        .ephemeralsFor(userId)
        .slice(before)
        .find((m) => m.text.includes("Confirm it's you")),
    `${userId}'s sign-in link`,
  );
  const link = /<(https:\/\/jitbot\.test\/stepup\/start\?state=[A-Za-z0-9_-]+)\|/.exec(message.text)?.[1];
  if (!link) throw new Error(`no sign-in link in: ${message.text}`);
  return link;
}

/** Clicks Approve as `userId` and returns the link they were given. */
export async function clickApprove(t: TestBot, userId: string, approval: PostedMessage): Promise<string> {
  const before = t.slack.ephemeralsFor(userId).length;
  const current = t.slack.messagesIn("C0APPROVALS").find((m) => m.ts === approval.ts) ?? approval;
  const res = await t.driver.click(userId, current, "jit_approve");
  if (res.status !== 200) throw new Error(`the click answered ${res.status}`);
  return linkFor(t, userId, before);
}

export interface Visit {
  status: number;
  body: string;
  headers: Headers;
  /** Every URL the browser went to, in order. */
  hops: string[];
}

/**
 * A browser: GET, follow 3xx Location, stop at the first other answer. What is addressed to the
 * public URL reaches the bot itself; everything else (the fake Entra) is fetched as addressed.
 */
export async function browse(
  t: { bot: { url: string } },
  start: string,
  options: {
    stopAt?: (url: URL) => boolean;
    /** Which replica behind the public URL answers this hop (a load balancer's choice); default `t`. */
    replica?: (url: URL) => { bot: { url: string } };
  } = {},
): Promise<Visit> {
  const hops: string[] = [];
  let url = new URL(start);
  for (let i = 0; i < 10; i++) {
    hops.push(url.href);
    if (options.stopAt?.(url)) return { status: 0, body: "", headers: new Headers(), hops };
    const bot = (options.replica?.(url) ?? t).bot;
    const target = url.origin === PUBLIC_URL ? new URL(`${url.pathname}${url.search}`, bot.url) : url;
    const res = await fetch(target, { redirect: "manual" });
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location) {
      await res.arrayBuffer();
      url = new URL(location, url);
      continue;
    }
    return { status: res.status, body: await res.text(), headers: res.headers, hops };
  }
  throw new Error(`too many redirects: ${hops.join(" → ")}`);
}

/** The page's one sentence, HTML entities left as they are. */
export function sentenceOf(visit: Visit): string {
  return /<p>([\s\S]*?)<\/p>/.exec(visit.body)?.[1] ?? "";
}
