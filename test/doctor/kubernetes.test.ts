/**
 * `jitbot doctor` on the clusters of kubernetes-rolebinding profiles, against the fake Kubernetes API
 * server: jitbot's own identity signs in as it would in production (AKS: an Entra token for the AKS
 * server application; EKS: a presigned-STS token), and the server answers the self reviews from the
 * RBAC it holds.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/config/load.js";
import type { Policy } from "../../src/config/schema.js";
import { kubernetesChecks, missingOf } from "../../src/doctor/kubernetes.js";
import { type Need, needsFor } from "../../src/doctor/kubernetes-rbac.js";
import { renderTable } from "../../src/doctor/report.js";
import { identityEndpoint } from "../entra/harness.js";
import type { IdentityEndpoint } from "../fakes/identity-endpoint.js";
import { FakeKube, jitbotRules } from "../fakes/kube-server.js";
import { aksTokenVerifier, eksTokenVerifier } from "../fakes/kube-tokens.js";
import { tempDir } from "../support/temp.js";
import { jitbot } from "./output.js";

const JITBOT_OID = "9a4f2c1e-3b5d-4e6f-8a7b-1c2d3e4f5a6b";
const STS = "http://127.0.0.1:9"; // the token names it; nothing is sent there
const AWS_ENV = {
  AWS_ACCESS_KEY_ID: "AKIDJITBOTDOCTOR0001",
  AWS_SECRET_ACCESS_KEY: "doctor-test-secret-key",
  AWS_ENDPOINT_URL_STS: STS,
  AWS_REGION: "us-west-2",
};

function policyFor(kind: "aks" | "eks", kube: FakeKube): Policy {
  return parsePolicy(policyText(kind, kube), "doctor-kubernetes.yaml");
}

function policyText(kind: "aks" | "eks", kube: FakeKube): string {
  const cluster =
    kind === "aks"
      ? `{ kind: aks, name: prod, resourceGroup: rg, subscriptionId: "3c9f1b2a-5d4e-4f6a-8b7c-9d0e1f2a3b4c" }`
      : "{ kind: eks, name: prod, region: us-west-2 }";
  const username = kind === "eks" ? `, username: "jit:{{SessionName}}"` : "";
  return `
clusters:
  - { name: prod, server: "${kube.url}", caData: "${kube.caData}" }
profiles:
  - id: payments-debug
    title: payments debug
    cluster: ${cluster}
    grant: { type: kubernetes-rolebinding, roleRef: { kind: Role, name: payments-debug }, namespace: payments${username} }
    duration: { default: 1h, max: 4h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] } }
  - id: cluster-view
    title: cluster view
    cluster: ${cluster}
    grant: { type: kubernetes-rolebinding, roleRef: { kind: ClusterRole, name: view }${username} }
    duration: { default: 1h, max: 4h }
    approval: { channel: C0APPROVALS, approvers: { users: [U0LEAD] } }
`;
}

/** jitbot's ClusterRole as the example manifest ships it, minus what a test takes away. */
function grantJitbot(kube: FakeKube, user: string, drop: { verb: string; resource: string }[] = []): void {
  kube.allowJitbot({ name: user, groups: [] }, ["payments-debug", "view"]);
  const rules = jitbotRules(["payments-debug", "view"]).flatMap((rule) => {
    const out = [];
    for (const resource of rule.resources ?? []) {
      const verbs = rule.verbs.filter((verb) => !drop.some((d) => d.verb === verb && d.resource === resource));
      if (verbs.length) out.push({ ...rule, resources: [resource], verbs });
    }
    return out;
  });
  kube.clusterRoles.set("jitbot", rules);
}

let identity: IdentityEndpoint;
beforeAll(async () => {
  identity = await identityEndpoint();
});

describe("jitbot doctor on an AKS cluster", () => {
  let kube: FakeKube;
  let policy: Policy;
  beforeAll(async () => {
    kube = new FakeKube(aksTokenVerifier(identity, { name: JITBOT_OID, groups: [] }));
    await kube.start();
    kube.roles.set("payments/payments-debug", [{ apiGroups: [""], resources: ["pods/exec"], verbs: ["create"] }]);
    policy = policyFor("aks", kube);
  });
  afterAll(() => kube.close());
  beforeEach(() => {
    kube.calls.length = 0;
  });

  it("passes when jitbot's identity holds the example ClusterRole, asking only self reviews", async () => {
    grantJitbot(kube, JITBOT_OID);
    const rows = await kubernetesChecks(process.env, policy);
    expect(rows).toEqual([
      expect.objectContaining({
        status: "ok",
        check: "cluster RBAC",
        result: "jitbot may create, read, list and delete bindings, review access, and bind 2 role(s)",
      }),
    ]);
    const paths = new Set(kube.calls.map((c) => c.path));
    expect(paths).toEqual(
      new Set([
        "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
      ]),
    );
    expect(kube.calls.every((c) => c.user === JITBOT_OID && c.status === 201)).toBe(true);
  });

  it("names the verbs jitbot's identity lacks, in one sentence, with the file that ships them", async () => {
    grantJitbot(kube, JITBOT_OID, [
      { verb: "delete", resource: "rolebindings" },
      { verb: "delete", resource: "clusterrolebindings" },
      { verb: "bind", resource: "clusterroles" },
    ]);
    const rows = await kubernetesChecks(process.env, policy);
    const table = renderTable(rows, []);
    expect(table).toContain(
      "✗  cluster RBAC  prod (" +
        kube.url +
        ")  jitbot's identity may not delete rolebindings in namespace payments; delete clusterrolebindings; bind clusterroles/view",
    );
    expect(table).toContain(
      "fix: add these to the RBAC bound to jitbot's identity on prod (manifests/examples/aks/jitbot-cluster-access.yaml; docs/deploy.md, 4c)",
    );
  });

  it("asks each permission the rules review does not show when jitbot may not run one (system:basic-user unbound)", async () => {
    grantJitbot(kube, JITBOT_OID, [{ verb: "list", resource: "rolebindings" }]);
    kube.failNext(
      403,
      "Forbidden",
      'selfsubjectrulesreviews.authorization.k8s.io is forbidden: User "x" cannot create resource',
    );
    const rows = await kubernetesChecks(process.env, policy);
    expect(rows[0]).toMatchObject({
      status: "failed",
      result: "jitbot's identity may not list rolebindings in namespace payments",
    });
    // Every namespaced permission was then asked one by one.
    expect(kube.calls.filter((c) => c.path.endsWith("/selfsubjectaccessreviews")).length).toBeGreaterThanOrEqual(12);
  });

  it("says the API server refused jitbot's token when it is not for the AKS server application", async () => {
    const other = new FakeKube(() => undefined);
    await other.start();
    try {
      const rows = await kubernetesChecks(process.env, policyFor("aks", other));
      expect(rows[0]).toMatchObject({
        status: "failed",
        result: "the API server refused jitbot's token (401 Unauthorized)",
        fix: expect.stringContaining("workload identity"),
      });
    } finally {
      await other.close();
    }
  });
});

describe("jitbot doctor on an EKS cluster", () => {
  let kube: FakeKube;
  const JITBOT_USER = "jitbot:jitbot-session";
  beforeAll(async () => {
    kube = new FakeKube(
      eksTokenVerifier({
        clusterName: "prod",
        stsOrigin: STS,
        region: "us-west-2",
        keys: new Map([
          [
            AWS_ENV.AWS_ACCESS_KEY_ID,
            { secretAccessKey: AWS_ENV.AWS_SECRET_ACCESS_KEY, user: { name: JITBOT_USER, groups: [] } },
          ],
        ]),
        now: () => new Date(),
      }),
    );
    await kube.start();
    kube.roles.set("payments/payments-debug", [{ apiGroups: [""], resources: ["pods"], verbs: ["delete"] }]);
  });
  afterAll(() => kube.close());

  it("signs in with the presigned-STS token and finds a missing SubjectAccessReview right", async () => {
    grantJitbot(kube, JITBOT_USER, [{ verb: "create", resource: "subjectaccessreviews" }]);
    const rows = await kubernetesChecks(AWS_ENV, policyFor("eks", kube));
    expect(rows[0]).toMatchObject({
      status: "failed",
      result: "jitbot's identity may not create subjectaccessreviews",
      fix: expect.stringContaining("manifests/examples/eks/jitbot-cluster-access.yaml"),
    });
  });

  it("passes once the right is back", async () => {
    grantJitbot(kube, JITBOT_USER);
    expect((await kubernetesChecks(AWS_ENV, policyFor("eks", kube)))[0]).toMatchObject({ status: "ok" });
  });

  it("tells an operator to add jitbot's access entry when the cluster does not know its key", async () => {
    const rows = await kubernetesChecks(
      { ...AWS_ENV, AWS_ACCESS_KEY_ID: "AKIDSOMEONEELSE00001" },
      policyFor("eks", kube),
    );
    expect(rows[0]).toMatchObject({ status: "failed", fix: expect.stringContaining("aws eks create-access-entry") });
  });
});

describe("an incomplete rules review (a webhook authorizer: AKS with Azure RBAC, EKS access policies)", () => {
  it("asks each permission the rules do not show, and counts only what the cluster refuses", async () => {
    const needs = needsFor([{ roleRef: { kind: "ClusterRole", name: "view" }, namespace: "payments" }]);
    const asked: Need[] = [];
    const missing = await missingOf(needs, {
      rules: async () => ({
        rules: [{ verbs: ["get", "list"], apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"] }],
        incomplete: true,
      }),
      allowed: async (need) => {
        asked.push(need);
        return need.verb !== "bind";
      },
    });
    expect(missing.map((n) => `${n.verb} ${n.resource}`)).toEqual(["bind clusterroles"]);
    // get and list came from the rules; the rest were asked.
    expect(asked.map((n) => `${n.verb} ${n.resource}`).sort()).toEqual(
      [
        "bind clusterroles",
        "create rolebindings",
        "create subjectaccessreviews",
        "delete rolebindings",
        "get clusterroles",
      ].sort(),
    );
  });

  it("trusts a complete rules review that shows nothing: no guessing", async () => {
    const needs = needsFor([{ roleRef: { kind: "Role", name: "r" }, namespace: "a" }]);
    const missing = await missingOf(needs, {
      rules: async () => ({ rules: [], incomplete: false }),
      allowed: async () => true,
    });
    expect(missing).toHaveLength(needs.length - 1); // all but the cluster-scoped review, which is asked
  });
});

describe("jitbot doctor, the command", () => {
  it("prints the cluster row beside the others and exits 1 when jitbot lacks a verb", async () => {
    const kube = new FakeKube(aksTokenVerifier(identity, { name: JITBOT_OID, groups: [] }));
    await kube.start();
    const tmp = tempDir("jitbot-doctor-kube-");
    try {
      kube.roles.set("payments/payments-debug", [{ apiGroups: [""], resources: ["pods/exec"], verbs: ["create"] }]);
      grantJitbot(kube, JITBOT_OID, [{ verb: "get", resource: "rolebindings" }]);
      const file = join(tmp.dir, "jitbot.yaml");
      writeFileSync(file, policyText("aks", kube));
      const { code, output } = await jitbot(["doctor"], {
        ...process.env,
        JITBOT_CONFIG: file,
        JITBOT_DB: join(tmp.dir, "db"),
      });
      expect(code).toBe(1);
      expect(output).toMatch(
        /✗\s+cluster RBAC\s+prod \(https:\/\/127\.0\.0\.1:\d+\)\s+jitbot's identity may not get rolebindings in namespace payments\n/,
      );
      expect(output).not.toContain("fake-graph-token");
    } finally {
      await kube.close();
      tmp.cleanup();
    }
  });
});
