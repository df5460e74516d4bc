/**
 * Fake clusters for the kubernetes-rolebinding tests: the fake API server with the token checks of
 * AKS (Entra tokens from the local managed-identity endpoint) or EKS (presigned STS), and jitbot's
 * own RBAC seeded the way the example manifests ship it.
 */
import { randomUUID } from "node:crypto";
import { policySchema } from "../../src/config/schema.js";
import type { Clock } from "../../src/domain/clock.js";
import { createKubernetesProvider } from "../../src/grants/kubernetes/index.js";
import { type ActiveGrant, type GrantRequest, ROLLBACK_STATE } from "../../src/grants/provider.js";
import { identityEndpoint, StepClock, TENANT_ID } from "../entra/harness.js";
import { type FakeGraph, startFakeGraph } from "../fakes/graph-server.js";
import type { UserInfo } from "../fakes/kube-rbac.js";
import { FakeKube } from "../fakes/kube-server.js";
import { aksTokenVerifier, eksTokenVerifier } from "../fakes/kube-tokens.js";

/** jitbot's workload identity on AKS: the guard webhook names a principal without a UPN by its oid. */
export const JITBOT_AKS_USER: UserInfo = { name: "0c1b7f4e-5a3d-4e0f-9d7c-6b1e2a3f4d5c", groups: [] };
/** jitbot's IAM role, mapped by an access entry to this username. */
export const JITBOT_EKS_USER: UserInfo = { name: "arn:aws:iam::123456789012:role/jitbot", groups: [] };
export const EKS_KEYS = { accessKeyId: "AKIDJITBOTTEST000001", secretAccessKey: "jitbot-test-bot-secret-key" };
export const EKS_REGION = "us-west-2";

export async function startAksKube(clock: Clock, roleNames = ["view", "edit"]): Promise<FakeKube> {
  const identity = await identityEndpoint();
  const kube = new FakeKube(
    aksTokenVerifier(identity, JITBOT_AKS_USER, () => clock.now()),
    () => clock.now(),
  );
  kube.allowJitbot(JITBOT_AKS_USER, roleNames);
  await kube.start();
  return kube;
}

export async function startEksKube(
  clock: Clock,
  options: { clusterName: string; stsOrigin: string; roleNames?: string[] },
): Promise<FakeKube> {
  const verify = eksTokenVerifier({
    clusterName: options.clusterName,
    stsOrigin: options.stsOrigin,
    region: EKS_REGION,
    keys: new Map([[EKS_KEYS.accessKeyId, { secretAccessKey: EKS_KEYS.secretAccessKey, user: JITBOT_EKS_USER }]]),
    now: () => clock.now(),
  });
  const kube = new FakeKube(verify, () => clock.now());
  kube.allowJitbot(JITBOT_EKS_USER, options.roleNames ?? ["view", "edit"]);
  await kube.start();
  return kube;
}

export const SUBSCRIPTION_ID = "99999999-8888-7777-6666-555555555555";

/** A profile of the kubernetes-rolebinding type on an AKS or EKS cluster, as YAML would give it. */
export function kubeProfile(
  id: string,
  cluster: "aks" | "eks",
  grant: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id,
    title: id,
    cluster:
      cluster === "aks"
        ? { kind: "aks", name: "prod-aks", resourceGroup: "rg-prod", subscriptionId: SUBSCRIPTION_ID }
        : { kind: "eks", name: "prod-eks", region: EKS_REGION },
    grant: {
      type: "kubernetes-rolebinding",
      ...(cluster === "eks" ? { username: "jitbot:{{SessionName}}" } : {}),
      ...grant,
    },
    duration: { default: "1h", max: "4h" },
    approval: { channel: "C0APPROVALS", approvers: { users: ["U0LEAD"] } },
    ...extra,
  };
}

/** Where the EKS token's presigned URL points: jitbot never calls it, the fake API server checks it. */
export const STS_ORIGIN = "http://127.0.0.1:9";

export interface KubeFixtureOptions {
  kind: "aks" | "eks";
  grant?: Record<string, unknown>;
  /** Point the clusters entry elsewhere (an unreachable server). */
  server?: string;
  /** The cluster name the EKS fake expects in x-k8s-aws-id (another one: every token is refused). */
  eksClusterName?: string;
  roleNames?: string[];
}

export async function startKubeFixture(options: KubeFixtureOptions) {
  const clock = new StepClock();
  let graph: FakeGraph | undefined;
  let kube: FakeKube;
  if (options.kind === "aks") {
    graph = await startFakeGraph();
    graph.directory.replicationDelayMs = 0;
    kube = await startAksKube(clock, options.roleNames);
  } else {
    kube = await startEksKube(clock, {
      clusterName: options.eksClusterName ?? "prod-eks",
      stsOrigin: STS_ORIGIN,
      roleNames: options.roleNames,
    });
  }
  const policy = policySchema.parse({
    entra: { tenantId: TENANT_ID },
    clusters: [
      {
        name: options.kind === "aks" ? "prod-aks" : "prod-eks",
        server: options.server ?? kube.url,
        caData: kube.caData,
      },
    ],
    profiles: [
      kubeProfile("kube", options.kind, {
        roleRef: { kind: "ClusterRole", name: "view" },
        namespace: "payments",
        ...options.grant,
      }),
    ],
  });
  const provider = createKubernetesProvider({
    env: { ...(graph ? { GRAPH_BASE_URL: graph.baseUrl } : {}), AWS_ENDPOINT_URL_STS: STS_ORIGIN },
    policy,
    clock,
    awsCredentials: async () => EKS_KEYS,
  });
  const profile = policy.profiles[0];
  if (!profile) throw new Error("no profile");
  const request = (email = `alice-${randomUUID().slice(0, 6)}@example.com`): GrantRequest => {
    graph?.directory.addUser({ userPrincipalName: email, mail: email });
    const startsAt = clock.now();
    return {
      requestId: `JR-${randomUUID().slice(0, 6).toUpperCase()}`,
      profile,
      subject: { slackUserId: "U0ALICE", email, name: "Alice" },
      durationSeconds: 3600,
      startsAt,
      expiresAt: new Date(startsAt.getTime() + 3600_000),
      justification: "incident INC-1",
    };
  };
  const active = (r: GrantRequest, state = ROLLBACK_STATE): ActiveGrant => ({
    requestId: r.requestId,
    profile,
    subject: r.subject,
    expiresAt: r.expiresAt,
    state,
  });
  const close = async () => {
    await kube.close();
    await graph?.close();
  };
  return { clock, graph, kube, provider, request, active, policy, close };
}

export type KubeFixture = Awaited<ReturnType<typeof startKubeFixture>>;
