/**
 * `jitbot conformance` against the strict fakes: fake Graph over HTTPS with the managed-identity
 * token endpoint, and the fake AWS (STS, IAM, EKS), both on the test's clock. The command builds its
 * providers from the environment exactly as it does against a real tenant and account.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { runConformance } from "../../src/conformance/index.js";
import { ManualClock } from "../../src/domain/clock.js";
import { identityEndpoint, TENANT_ID } from "../entra/harness.js";
import { FakeAws } from "../fakes/aws-server.js";
import { type FakeGraph, startFakeGraph } from "../fakes/graph-server.js";
import { driveClock } from "../readback/support.js";
import { tempDir } from "../support/temp.js";

export const ROLE_ARN = "arn:aws:iam::123456789012:role/EKS-Pod-Manager";
export const ALICE = "alice@contoso.com";

export interface ConformanceWorld {
  graph: FakeGraph;
  aws: FakeAws;
  clock: ManualClock;
  groupId: string;
  aliceId: string;
  env: NodeJS.ProcessEnv;
  /** Runs `jitbot conformance <args>`, moving the clock while it waits for the fakes to agree. */
  run(args: string[]): Promise<{ code: number; output: string }>;
  close(): Promise<void>;
}

const eks = `cluster: { kind: eks, name: britive-test, region: us-west-2 }`;
const aks = `cluster: { kind: aks, name: prod-aks, resourceGroup: rg-prod, subscriptionId: "99999999-8888-7777-6666-555555555555" }`;
const rest = `duration: { default: 1h, max: 4h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] } }`;

function policyYaml(groupId: string, dryRun: boolean): string {
  return `
dryRun: ${dryRun}
entra: { tenantId: "${TENANT_ID}" }
profiles:
  - id: canary-group
    title: Canary group
    ${aks}
    grant: { type: entra-group, groupId: "${groupId}" }
    ${rest}
  - id: canary-pim
    title: Canary PIM
    ${aks}
    grant: { type: entra-pim-group, groupId: "${groupId}" }
    ${rest}
  - id: canary-sp
    title: Canary SP
    ${aks}
    grant: { type: entra-service-principal, groupId: "${groupId}" }
    ${rest}
  - id: canary-role
    title: Canary role
    ${eks}
    grant: { type: aws-role, roleArn: "${ROLE_ARN}", revokeSessions: true }
    ${rest}
  - id: canary-role-plain
    title: Canary role without revokeSessions
    ${eks}
    grant: { type: aws-role, roleArn: "${ROLE_ARN}" }
    ${rest}
  - id: canary-entry
    title: Canary access entry
    ${eks}
    grant:
      type: eks-access-entry
      principalArn: "arn:aws:iam::123456789012:role/people/{user}"
      accessPolicyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy
    ${rest}
`;
}

export async function startConformanceWorld(options: { dryRun?: boolean } = {}): Promise<ConformanceWorld> {
  await identityEndpoint();
  const clock = new ManualClock();
  const graph = await startFakeGraph();
  graph.directory.now = () => clock.now().getTime();
  const groupId = graph.directory.addGroup();
  const aliceId = graph.directory.addUser({ userPrincipalName: ALICE, mail: ALICE }).id;
  const aws = new FakeAws(() => clock.now());
  await aws.start();
  const tmp = tempDir("jitbot-conformance-");
  const configPath = join(tmp.dir, "jitbot.yaml");
  writeFileSync(configPath, policyYaml(groupId, options.dryRun ?? false));
  const env: NodeJS.ProcessEnv = { ...aws.env(), GRAPH_BASE_URL: graph.baseUrl, JITBOT_CONFIG: configPath };
  return {
    graph,
    aws,
    clock,
    groupId,
    aliceId,
    env,
    async run(args) {
      const chunks: string[] = [];
      const out = new Writable({
        write(chunk: Buffer | string, _encoding, done) {
          chunks.push(chunk.toString());
          done();
        },
      });
      const code = await driveClock(clock, runConformance(args, env, out, { clock }), 1_000);
      return { code, output: chunks.join("") };
    },
    async close() {
      await Promise.all([graph.close(), aws.close()]);
      tmp.cleanup();
    },
  };
}

/** The table's rows as [mark, step] pairs, e.g. ["✓", "grant"]. */
export function marks(output: string): [string, string][] {
  return output
    .split("\n")
    .map((line) => /^([✓✗])\s{2}(.+?)\s{2,}/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1] ?? "", m[2] ?? ""]);
}
