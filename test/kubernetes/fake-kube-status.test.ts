/**
 * The fake API server's refusals, body and all, as the real API server words them
 * (apimachinery pkg/api/errors/errors.go; see test/fakes/kube-status.ts for each source): a
 * client that reads `message`, `reason` or `details` must meet what a real cluster sends.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { FakeKube } from "../fakes/kube-server.js";
import { aksClients, refusedWith } from "./fake-kube-clients.js";

const clusters: FakeKube[] = [];
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((c) => c.close()));
});

const aks = () => aksClients(clusters);
const statusOf = async (call: Promise<unknown>) => (await refusedWith(call)).body;

const binding = (overrides: object) => ({
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "RoleBinding",
  metadata: { name: "jitbot-jr-9" },
  roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
  subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "alice@contoso.com" }],
  ...overrides,
});

describe("the fake Kubernetes API server's Status bodies", () => {
  it("words a lone validation error without brackets, as field.ErrorList.ToAggregate() does", async () => {
    const { rbac } = await aks();
    const body = binding({ roleRef: { apiGroup: "wrong.group", kind: "ClusterRole", name: "view" } });
    expect(await statusOf(rbac.createNamespacedRoleBinding({ namespace: "payments", body }))).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message:
        'RoleBinding.rbac.authorization.k8s.io "jitbot-jr-9" is invalid: roleRef.apiGroup: Unsupported value: "wrong.group": supported values: "rbac.authorization.k8s.io"',
      reason: "Invalid",
      details: {
        name: "jitbot-jr-9",
        group: "rbac.authorization.k8s.io",
        kind: "RoleBinding",
        causes: [
          {
            reason: "FieldValueNotSupported",
            message: 'Unsupported value: "wrong.group": supported values: "rbac.authorization.k8s.io"',
            field: "roleRef.apiGroup",
          },
        ],
      },
      code: 422,
    });
  });

  it("refuses a label value with IsLabelValue's own words, and an empty user name twice, as RBAC validation does", async () => {
    const { rbac } = await aks();
    const body = binding({
      metadata: { name: "jitbot-jr-9", labels: { "jitbot/requester": "alice@contoso.com" } },
      subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "" }],
    });
    const status = await statusOf(rbac.createNamespacedRoleBinding({ namespace: "payments", body }));
    expect((status.details as { causes: unknown[] }).causes).toEqual([
      {
        reason: "FieldValueInvalid",
        field: "metadata.labels",
        message:
          "Invalid value: \"alice@contoso.com\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
      },
      { reason: "FieldValueRequired", field: "subjects[0].name", message: "Required value" },
      {
        reason: "FieldValueInvalid",
        field: "subjects[0].name",
        message: 'Invalid value: "": user name cannot be empty',
      },
    ]);
    expect(status.message).toMatch(/^RoleBinding\.rbac\.authorization\.k8s\.io "jitbot-jr-9" is invalid: \[metadata/);
  });

  it("leaves an empty group out of NotFound's details (StatusDetails fields are omitempty)", async () => {
    const { rbac } = await aks();
    expect(await statusOf(rbac.createNamespacedRoleBinding({ namespace: "nowhere", body: binding({}) }))).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'namespaces "nowhere" not found',
      reason: "NotFound",
      details: { name: "nowhere", kind: "namespaces" },
      code: 404,
    });
  });

  it("answers a path no API group serves with the generic 404", async () => {
    const { custom } = await aks();
    const status = await statusOf(
      custom.getClusterCustomObject({ group: "example.com", version: "v1", plural: "widgets", name: "w" }),
    );
    expect(status).toMatchObject({
      code: 404,
      reason: "NotFound",
      message: "the server could not find the requested resource",
      details: {},
    });
  });

  it("refuses a SubjectAccessReview with no user or group as the validation words it", async () => {
    const { authz } = await aks();
    const review = authz.createSubjectAccessReview({
      body: { spec: { resourceAttributes: { namespace: "payments", verb: "get", resource: "pods" } } },
    });
    expect(await statusOf(review)).toMatchObject({
      code: 422,
      reason: "Invalid",
      message:
        'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified',
    });
  });

  it('refuses a SelfSubjectRulesReview without a namespace: 400 "no namespace on request"', async () => {
    const { authz } = await aks();
    expect(await statusOf(authz.createSelfSubjectRulesReview({ body: { spec: {} } }))).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: "no namespace on request",
      reason: "BadRequest",
      code: 400,
    });
  });

  it("refuses a label selector whose value is not a label value, as labels.Parse does: 400", async () => {
    const { rbac } = await aks();
    const status = await statusOf(
      rbac.listNamespacedRoleBinding({ namespace: "payments", labelSelector: "jitbot/requester=-alice" }),
    );
    expect(status).toMatchObject({ code: 400, reason: "BadRequest" });
  });
});

describe("the fake Kubernetes API server's RBAC answers", () => {
  it("refuses an escalating binding with ConfirmNoEscalation's words: groups Go-quoted, rules in CompactString form", async () => {
    const { rbac } = await aks();
    const body = binding({
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
    });
    const status = await statusOf(rbac.createNamespacedRoleBinding({ namespace: "payments", body }));
    expect(status).toMatchObject({ code: 403, reason: "Forbidden" });
    expect(status.message).toMatch(
      /^rolebindings\.rbac\.authorization\.k8s\.io "jitbot-jr-9" is forbidden: user "[^"]+" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\["\*"\], Resources:\["\*"\], Verbs:\["\*"\]\}/,
    );
  });

  it("names a ServiceAccount subject as name/namespace and the subject of a non-resource grant, as the RBAC authorizer does", async () => {
    const { kube, authz } = await aks();
    kube.clusterRoles.set("probe", [{ verbs: ["get"], nonResourceURLs: ["/healthz"] }]);
    kube.clusterRoleBindings.set("probe", {
      metadata: { name: "probe" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "probe" },
      subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "bob" }],
    });
    kube.roleBindings.set("payments/robot", {
      metadata: { name: "robot", namespace: "payments" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
      subjects: [{ kind: "ServiceAccount", name: "robot" }],
    });
    kube.clusterRoles.set("view", [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }]);
    const nonResource = await authz.createSubjectAccessReview({
      body: { spec: { user: "bob", nonResourceAttributes: { path: "/healthz", verb: "get" } } },
    });
    expect(nonResource.status?.reason).toBe(
      'RBAC: allowed by ClusterRoleBinding "probe" of ClusterRole "probe" to User "bob"',
    );
    const robot = await authz.createSubjectAccessReview({
      body: {
        spec: {
          user: "system:serviceaccount:payments:robot",
          resourceAttributes: { namespace: "payments", verb: "get", resource: "pods" },
        },
      },
    });
    expect(robot.status?.reason).toBe(
      'RBAC: allowed by RoleBinding "robot/payments" of ClusterRole "view" to ServiceAccount "robot/payments"',
    );
  });

  it("lets a rule for */status allow the status subresource of any resource (ResourceMatches)", async () => {
    const { kube } = await aks();
    kube.clusterRoles.set("status-reader", [{ verbs: ["get"], apiGroups: ["apps"], resources: ["*/status"] }]);
    kube.clusterRoleBindings.set("status-reader", {
      metadata: { name: "status-reader" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "status-reader" },
      subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "carol" }],
    });
    const get = (subresource?: string) =>
      kube.allows("carol", { verb: "get", group: "apps", resource: "deployments", subresource, namespace: "payments" });
    expect(get("status")).toBe(true);
    expect(get("scale")).toBe(false);
    expect(get()).toBe(false);
  });
});
