import type { Policy, Profile } from "../config/schema.js";
import { createGraphClient } from "../grants/entra/graph.js";
import { type EntraUserIds, graphUserIds } from "./entra-users.js";

export const STEP_UP_START_PATH = "/stepup/start";
export const STEP_UP_CALLBACK_PATH = "/stepup/callback";

/** What jitbot needs to run its own Entra sign-in for approvers (approval.stepUp). */
export interface StepUpSettings {
  /** JITBOT_PUBLIC_URL: where approvers' browsers reach jitbot; links and the redirect URI start here. */
  publicUrl: URL;
  /** The tenant's v2.0 issuer: `${AZURE_AUTHORITY_HOST}/${tenant}/v2.0`. */
  issuer: URL;
  clientId: string;
  clientSecret: string;
  /**
   * The key the PKCE verifier and the nonce are derived from (src/stepup/derive.ts): a secret every
   * replica already shares, so nothing secret is stored with a pending step-up.
   */
  derivationKey: string;
  /** The approver's Entra object id, which the ID token's `oid` must equal (src/stepup/match.ts). */
  userIds: EntraUserIds;
}

export function stepUpProfiles(policy: Policy): Profile[] {
  return policy.profiles.filter((profile) => profile.approval.stepUp !== undefined);
}

/** The redirect URI to register in the Entra app: JITBOT_PUBLIC_URL + /stepup/callback. */
export function redirectUri(publicUrl: URL): string {
  return new URL(`${publicUrl.pathname.replace(/\/+$/, "")}${STEP_UP_CALLBACK_PATH}`, publicUrl).href;
}

/** Loopback hosts are the one place Entra accepts an http redirect URI. */
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * JITBOT_PUBLIC_URL checked for a policy that uses step-up: one sentence saying what is wrong and
 * why it matters, or undefined. `check-config`, `doctor` and the bot's start-up all ask this.
 */
export function publicUrlProblem(policy: Policy, env: NodeJS.ProcessEnv): string | undefined {
  const using = stepUpProfiles(policy).map((p) => p.id);
  if (using.length === 0) return undefined;
  const raw = env.JITBOT_PUBLIC_URL?.trim();
  const who = `${using.join(", ")} ${using.length === 1 ? "uses" : "use"} approval.stepUp`;
  if (!raw) {
    return `${who}, but JITBOT_PUBLIC_URL is not set: an approver's browser must reach jitbot at a public URL to finish the Entra sign-in that makes the approval count (set it to e.g. https://jitbot.example.com).`;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `JITBOT_PUBLIC_URL is not a URL (${raw}): ${who}, and approvers' browsers are sent there to finish their sign-in.`;
  }
  if (url.search || url.hash) {
    return "JITBOT_PUBLIC_URL must not carry a query or fragment: jitbot appends its own paths (/stepup/start, /stepup/callback) to it.";
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.has(url.hostname))) {
    return `JITBOT_PUBLIC_URL must be https (got ${url.protocol.replace(":", "")}): Entra ID sends the sign-in back only to https redirect URIs, except on localhost.`;
  }
  return undefined;
}

/**
 * Everything step-up needs from the environment, or the sentences saying what is missing. The
 * Entra app is the bot's own (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET) unless
 * JITBOT_STEPUP_CLIENT_ID / JITBOT_STEPUP_CLIENT_SECRET name another (e.g. when the bot itself
 * signs in with workload identity and has no secret).
 */
export function readStepUpSettings(
  policy: Policy,
  env: NodeJS.ProcessEnv,
): { settings: StepUpSettings | undefined; problems: string[] } {
  if (stepUpProfiles(policy).length === 0) return { settings: undefined, problems: [] };
  const problems: string[] = [];
  const urlProblem = publicUrlProblem(policy, env);
  if (urlProblem) problems.push(urlProblem);
  const tenant = env.AZURE_TENANT_ID?.trim() || policy.entra.tenantId;
  if (!tenant) {
    problems.push(
      "approval.stepUp needs the Entra tenant: set AZURE_TENANT_ID (or entra.tenantId in the policy) so jitbot knows which tenant approvers sign in to.",
    );
  }
  const clientId = env.JITBOT_STEPUP_CLIENT_ID?.trim() || env.AZURE_CLIENT_ID?.trim();
  if (!clientId) {
    problems.push(
      "approval.stepUp needs an Entra app to sign approvers in with: set AZURE_CLIENT_ID (or JITBOT_STEPUP_CLIENT_ID).",
    );
  }
  const clientSecret = env.JITBOT_STEPUP_CLIENT_SECRET?.trim() || env.AZURE_CLIENT_SECRET?.trim();
  if (!clientSecret) {
    problems.push(
      "approval.stepUp needs the Entra app's client secret to redeem a sign-in: set JITBOT_STEPUP_CLIENT_SECRET (or AZURE_CLIENT_SECRET).",
    );
  }
  // HTTP mode signs with the signing secret; Socket Mode has no signing secret but always an app token.
  const derivationKey = env.SLACK_SIGNING_SECRET?.trim() || env.SLACK_APP_TOKEN?.trim();
  if (!derivationKey) {
    problems.push("approval.stepUp needs SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN) to derive its sign-in checks from.");
  }
  if (problems.length > 0 || !tenant || !clientId || !clientSecret || !derivationKey) {
    return { settings: undefined, problems };
  }
  const authority = (env.AZURE_AUTHORITY_HOST?.trim() || "https://login.microsoftonline.com").replace(/\/+$/, "");
  return {
    settings: {
      publicUrl: new URL(env.JITBOT_PUBLIC_URL?.trim() ?? ""),
      issuer: new URL(`${authority}/${tenant}/v2.0`),
      clientId,
      clientSecret,
      derivationKey,
      userIds: graphUserIds(policy, () => createGraphClient({ env })),
    },
    problems,
  };
}
