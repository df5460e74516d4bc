/**
 * The doctor against the local fakes: fake Slack (behind a small proxy that adds what auth.test and
 * conversations.info answer in a real workspace), fake Graph over HTTPS with the managed-identity
 * token endpoint, fake STS, and a stub EKS for ListAccessEntries. Nothing leaves 127.0.0.1.
 */
import { writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { MANIFEST_BOT_SCOPES } from "../../src/doctor/slack.js";
import { FakeSlackWebApi } from "../../src/playground/slack-web-api.js";
import { migrate } from "../../src/store/index.js";
import { identityEndpoint } from "../entra/harness.js";
import { FakeAws } from "../fakes/aws-server.js";
import { type FakeGraph, startFakeGraph } from "../fakes/graph-server.js";
import { tempDir } from "../support/temp.js";
import { jitbot } from "./output.js";

process.env.AWS_EC2_METADATA_DISABLED = "true";

export const SIGNING_SECRET = "doctor-signing-secret-5f1e0c2a9b";
export const SP_SECRET = "doctor-sp-client-secret~Q8x.7Zk";
export const ROLE_ARN = "arn:aws:iam::123456789012:role/EKS-Pod-Manager";
export const GROUP_NAME = "aks-prod-sre-jit";

export interface DoctorWorld {
  slack: FakeSlackWebApi;
  graph: FakeGraph;
  aws: FakeAws;
  eks: EksStub;
  groupId: string;
  /** Channels for which conversations.info says the bot is not a member. */
  notMemberOf: Set<string>;
  /** What the x-oauth-scopes header lists (change it in place). */
  grantedScopes: string[];
  env: NodeJS.ProcessEnv;
  run(extraEnv?: NodeJS.ProcessEnv): Promise<{ code: number; output: string }>;
  close(): Promise<void>;
}

export interface EksStub {
  url: string;
  failNext?: { status: number; type: string; message: string };
  close(): Promise<void>;
}

export async function startDoctorWorld(options: { dryRun?: boolean } = {}): Promise<DoctorWorld> {
  await identityEndpoint();
  const graph = await startFakeGraph();
  const groupId = graph.directory.addGroup();
  withGroupRead(graph);
  const aws = new FakeAws();
  await aws.start();
  const eks = await startEksStub();
  const slack = new FakeSlackWebApi();
  const slackUrl = await slack.listen();
  const world = { notMemberOf: new Set<string>(), grantedScopes: [...MANIFEST_BOT_SCOPES] };
  const proxy = await startSlackProxy(slackUrl, world);
  const tmp = tempDir("jitbot-doctor-");
  const configPath = join(tmp.dir, "jitbot.yaml");
  writeFileSync(configPath, policyYaml(groupId, options.dryRun ?? false));
  const env: NodeJS.ProcessEnv = {
    ...aws.env({ AWS_ENDPOINT_URL_EKS: eks.url }),
    SLACK_BOT_TOKEN: slack.token,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: proxy.url,
    GRAPH_BASE_URL: graph.baseUrl,
    AZURE_CLIENT_SECRET: SP_SECRET,
    JITBOT_CONFIG: configPath,
    JITBOT_DB: join(tmp.dir, "jitbot.db"),
  };
  // The database the bot would have made at its first start (the doctor never creates one).
  await migrate(join(tmp.dir, "jitbot.db"));
  return {
    slack,
    graph,
    aws,
    eks,
    groupId,
    ...world,
    env,
    run: (extraEnv = {}) => jitbot(["doctor"], { ...env, ...extraEnv }),
    async close() {
      await Promise.all([graph.close(), aws.close(), eks.close(), slack.close(), proxy.close()]);
      tmp.cleanup();
    },
  };
}

function policyYaml(groupId: string, dryRun: boolean): string {
  return `
dryRun: ${dryRun}
profiles:
  - id: aks-prod-sre
    title: AKS prod SRE
    cluster: { kind: aks, name: prod-aks, resourceGroup: rg-prod, subscriptionId: "99999999-8888-7777-6666-555555555555" }
    grant: { type: entra-group, groupId: "${groupId}" }
    duration: { default: 1h, max: 4h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] } }
  - id: eks-pod-manager
    title: EKS pod manager
    cluster: { kind: eks, name: britive-test, region: us-west-2 }
    grant: { type: aws-role, roleArn: "${ROLE_ARN}" }
    duration: { default: 1h, max: 4h }
    approval: { channel: C0PLATFORM, approvers: { users: [U0LEAD] } }
  - id: eks-view
    title: EKS view
    cluster: { kind: eks, name: britive-test, region: us-west-2 }
    grant:
      type: eks-access-entry
      principalArn: "arn:aws:iam::123456789012:role/people/{user}"
      accessPolicyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy
    duration: { default: 1h, max: 4h }
    approval: { channel: C0PLATFORM, approvers: { users: [U0LEAD] } }
`;
}

/** The fake directory lists members but has no GET /groups/{id}; answer it as Graph does. */
function withGroupRead(graph: FakeGraph): void {
  const directory = graph.directory;
  const route = directory.route.bind(directory);
  directory.route = (method, path, query, body, base) => {
    const id = method === "GET" ? /^\/groups\/([^/]+)$/.exec(path)?.[1] : undefined;
    if (id === undefined) return route(method, path, query, body, base);
    if (!directory.groups.has(id)) return route("GET", `/groups/${id}/members`, query, body, base);
    return {
      status: 200,
      body: { "@odata.context": `${base}/v1.0/$metadata#groups/$entity`, id, displayName: GROUP_NAME },
    };
  };
}

/**
 * Forwards to the fake Slack and adds the parts of a real workspace it lacks: the `x-oauth-scopes`
 * header Slack sends with every answer, and channels the bot was never invited to.
 */
async function startSlackProxy(
  target: string,
  world: { notMemberOf: Set<string>; grantedScopes: string[] },
): Promise<{ url: string; close(): Promise<void> }> {
  // Each call stands alone: one that fails (its client left mid-body) is dropped, never unhandled.
  const server = createServer((req, res) => void forward(req, res).catch(() => res.destroy()));
  const forward = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const method = (req.url ?? "").replace(/^\/api\//, "");
    const upstream = await fetch(`${target}${method}`, {
      method: "POST",
      headers: {
        "content-type": req.headers["content-type"] ?? "application/x-www-form-urlencoded",
        authorization: req.headers.authorization ?? "",
      },
      body: Buffer.concat(chunks),
    });
    const answer = (await upstream.json()) as { ok: boolean; channel?: { id: string; is_member?: boolean } };
    if (method === "conversations.info" && answer.channel && world.notMemberOf.has(answer.channel.id)) {
      answer.channel.is_member = false;
    }
    res.writeHead(upstream.status, {
      "content-type": "application/json",
      ...(answer.ok ? { "x-oauth-scopes": world.grantedScopes.join(",") } : {}),
    });
    res.end(JSON.stringify(answer));
  };
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`,
    close: () => closeServer(server),
  };
}

/** EKS ListAccessEntries (GET /clusters/{name}/access-entries), which the AWS fake does not serve. */
async function startEksStub(): Promise<EksStub> {
  const stub: EksStub = { url: "", close: () => closeServer(server) };
  const server = createServer((req, res) => {
    const failure = stub.failNext;
    stub.failNext = undefined;
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
    if (failure) return json(failure.status, { message: failure.message }, { "x-amzn-errortype": failure.type });
    if (req.method === "GET" && /^\/clusters\/[^/]+\/access-entries/.test(req.url ?? "")) {
      return json(200, { accessEntries: ["arn:aws:iam::123456789012:role/admin"] });
    }
    json(404, { message: "not found" }, { "x-amzn-errortype": "ResourceNotFoundException" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return stub;
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
