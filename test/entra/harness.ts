/**
 * Shared set-up for the Entra tests: the real providers (real DefaultAzureCredential, real Graph SDK)
 * against the fake Graph over HTTPS and the local managed-identity endpoint. Nothing leaves 127.0.0.1.
 */
import { randomUUID } from "node:crypto";
import { type Policy, policySchema } from "../../src/config/schema.js";
import type { Clock, TimerHandle } from "../../src/domain/clock.js";
import { createEntraProviders } from "../../src/grants/entra/index.js";
import type { GrantProvider, GrantRequest } from "../../src/grants/provider.js";
import { type FakeGraph, startFakeGraph } from "../fakes/graph-server.js";
import {
  type IdentityEndpoint,
  OTHER_AZURE_CREDENTIAL_VARS,
  startIdentityEndpoint,
} from "../fakes/identity-endpoint.js";

export const TENANT_ID = "11111111-2222-3333-4444-555555555555";
export const SUBSCRIPTION_ID = "99999999-8888-7777-6666-555555555555";

let identity: Promise<IdentityEndpoint> | undefined;

/**
 * The providers' and the fake Graph's shared time. A provider that waits (a replication backoff)
 * moves it forward by the wait at once, so tests never sleep and the fake sees the time pass.
 */
export class StepClock implements Clock {
  private current = Date.now();
  readonly waits: number[] = [];

  now(): Date {
    return new Date(this.current);
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    let cancelled = false;
    this.waits.push(delayMs);
    this.current += Math.max(0, delayMs);
    setImmediate(() => {
      if (!cancelled) callback();
    });
    return {
      cancel: () => {
        cancelled = true;
      },
    };
  }

  advance(ms: number): void {
    this.current += ms;
  }
}

/** Replication delay the e2e tests run with: every new object is invisible for this long. */
export const REPLICATION_DELAY_MS = 3000;

/**
 * One token endpoint per test worker: DefaultAzureCredential reads IDENTITY_ENDPOINT/IDENTITY_HEADER
 * from process.env (not from our env parameter), and MSAL caches what it found, so it must not move.
 * Every other credential variable is removed so no other credential type can try the network.
 */
export function identityEndpoint(): Promise<IdentityEndpoint> {
  identity ??= startIdentityEndpoint().then((endpoint) => {
    for (const name of OTHER_AZURE_CREDENTIAL_VARS) delete process.env[name];
    Object.assign(process.env, endpoint.env());
    return endpoint;
  });
  return identity;
}

export interface EntraFixture {
  graph: FakeGraph;
  identity: IdentityEndpoint;
  policy: Policy;
  providers: GrantProvider[];
  logs: { obj: object; msg?: string }[];
  groupId: string;
  clock: StepClock;
  /** What the providers and the fake read the time from: `options.clock`, else `clock`. */
  time: Clock;
  provider(type: GrantProvider["type"]): GrantProvider;
  /** A user in the fake tenant and a request for `profileId` on their behalf. */
  newRequest(profileId: string, email?: string): GrantRequest;
  close(): Promise<void>;
}

export interface FixtureOptions {
  revokeSessionsOnExpiry?: boolean;
  globalDomainMap?: Record<string, string>;
  profileDomainMap?: Record<string, string>;
  namespace?: string;
  /** Defaults to REPLICATION_DELAY_MS: the fake behaves like an eventually consistent directory. */
  replicationDelayMs?: number;
  /** The profiles' `extension` block (none when absent). */
  extension?: { max?: string; autoApprove?: boolean; maxTotal?: string };
  /** The providers' and the fake's time instead of a StepClock (one that only moves when told to). */
  clock?: Clock;
}

export async function startEntraFixture(options: FixtureOptions = {}): Promise<EntraFixture> {
  const id = await identityEndpoint();
  const graph = await startFakeGraph();
  const clock = new StepClock();
  const time = options.clock ?? clock;
  graph.directory.now = () => time.now().getTime();
  graph.directory.replicationDelayMs = options.replicationDelayMs ?? REPLICATION_DELAY_MS;
  const groupId = graph.directory.addGroup(randomUUID());
  const cluster = {
    kind: "aks",
    name: "prod-aks",
    resourceGroup: "rg-prod",
    subscriptionId: SUBSCRIPTION_ID,
    ...(options.namespace ? { namespace: options.namespace } : {}),
  };
  const profile = (pid: string, type: string) => ({
    id: pid,
    title: pid,
    cluster,
    grant: { type, groupId },
    duration: { default: "1h", max: "4h" },
    approval: { channel: "C0APPROVALS", approvers: { users: ["U0LEAD"] } },
    ...(options.profileDomainMap ? { identity: { emailDomainMap: options.profileDomainMap } } : {}),
    ...(options.extension ? { extension: options.extension } : {}),
  });
  const policy = policySchema.parse({
    identity: { emailDomainMap: options.globalDomainMap ?? {} },
    entra: { revokeSessionsOnExpiry: options.revokeSessionsOnExpiry ?? false, tenantId: TENANT_ID },
    profiles: [
      profile("aks-group", "entra-group"),
      profile("aks-pim", "entra-pim-group"),
      profile("aks-sp", "entra-service-principal"),
    ],
  });
  const logs: EntraFixture["logs"] = [];
  const providers = createEntraProviders({
    env: { GRAPH_BASE_URL: graph.baseUrl },
    policy,
    clock: time,
    logger: { warn: (obj, msg) => logs.push({ obj, ...(msg === undefined ? {} : { msg }) }) },
  });
  let n = 0;
  return {
    graph,
    identity: id,
    policy,
    providers,
    logs,
    groupId,
    clock,
    time,
    provider(type) {
      const found = providers.find((p) => p.type === type);
      if (!found) throw new Error(`no provider ${type}`);
      return found;
    },
    newRequest(profileId, email) {
      n += 1;
      const address = email ?? `person${n}-${randomUUID().slice(0, 8)}@example.com`;
      if (!email) graph.directory.addUser({ userPrincipalName: address, mail: address });
      const found = policy.profiles.find((p) => p.id === profileId);
      if (!found) throw new Error(`no profile ${profileId}`);
      const startsAt = clock.now();
      return {
        requestId: `req-${n}-${randomUUID().slice(0, 8)}`,
        profile: found,
        subject: { slackUserId: "U0ALICE", email: address, name: "Alice" },
        durationSeconds: 3600,
        startsAt,
        expiresAt: new Date(startsAt.getTime() + 3600_000),
        justification: "investigating incident INC-1",
        ticket: "OPS-42",
      };
    },
    close: () => graph.close(),
  };
}

export function userIdOf(fixture: EntraFixture, email: string): string | undefined {
  return [...fixture.graph.directory.users.values()].find((u) => u.userPrincipalName === email)?.id;
}
