/**
 * The policy refuses, at start-up and naming the key, a kubernetes-rolebinding profile that could
 * never be granted: each case is a sentence and the message the operator reads.
 */
import { describe, expect, it } from "vitest";
import { policySchema } from "../../src/config/schema.js";
import { kubeProfile } from "./support.js";

const CA = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64");
const CLUSTERS = [
  { name: "prod-aks", server: "https://10.0.0.1", caData: CA },
  { name: "prod-eks", server: "https://ABC.gr7.us-west-2.eks.amazonaws.com", caData: CA },
];

function problems(policy: Record<string, unknown>): string[] {
  const parsed = policySchema.safeParse(policy);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

const VIEW = { roleRef: { kind: "ClusterRole", name: "view" } };

describe("kubernetes-rolebinding options", () => {
  it.each<[string, "aks" | "eks", Record<string, unknown>]>([
    ["a ClusterRoleBinding on AKS", "aks", VIEW],
    ["a RoleBinding to a ClusterRole in a namespace", "aks", { ...VIEW, namespace: "payments" }],
    [
      "a RoleBinding to a Role on EKS with the access entry's username",
      "eks",
      { roleRef: { kind: "Role", name: "debug" }, namespace: "payments" },
    ],
    ["an explicit review", "aks", { ...VIEW, review: { verb: "get", resource: "deployments", group: "apps" } }],
  ])("accepts %s", (_, kind, grant) => {
    expect(problems({ clusters: CLUSTERS, profiles: [kubeProfile("p", kind, grant)] })).toEqual([]);
  });

  it.each([
    [
      "a Role without a namespace",
      kubeProfile("p", "aks", { roleRef: { kind: "Role", name: "debug" } }),
      "profiles.0.grant.namespace: is required for a Role (a ClusterRoleBinding can only refer to a ClusterRole)",
    ],
    [
      "a role name the API server would refuse",
      kubeProfile("p", "aks", { roleRef: { kind: "ClusterRole", name: "a/b" } }),
      "profiles.0.grant.roleRef.name: must be a Kubernetes RBAC name: not . or .., without / or %",
    ],
    [
      "a namespace that is not a DNS label",
      kubeProfile("p", "aks", { ...VIEW, namespace: "Payments_1" }),
      "profiles.0.grant.namespace: must be a Kubernetes namespace (lowercase letters, digits and -, at most 63)",
    ],
    [
      "an EKS profile without the access entry's username",
      kubeProfile("p", "eks", { ...VIEW, username: undefined }),
      "profiles.0.grant.username: is required on EKS: the username of the access entry that maps people's IAM principal, e.g. jitbot:{{SessionName}}",
    ],
    [
      "an EKS username without {{SessionName}}",
      kubeProfile("p", "eks", { ...VIEW, username: "jitbot:everyone" }),
      "profiles.0.grant.username: must contain {{SessionName}}, so each person is a distinct Kubernetes user (copy the access entry's username)",
    ],
    [
      "an EKS username without a colon before {{SessionName}}",
      kubeProfile("p", "eks", { ...VIEW, username: "jitbot-{{SessionName}}" }),
      "profiles.0.grant.username: needs a colon before {{SessionName}}, as EKS requires (e.g. jitbot:{{SessionName}})",
    ],
    [
      "an EKS username with a reserved prefix",
      kubeProfile("p", "eks", { ...VIEW, username: "system:{{SessionName}}" }),
      "profiles.0.grant.username: may not start with system:, which EKS reserves",
    ],
    [
      "{{SessionNameRaw}}, which access entries do not offer",
      kubeProfile("p", "eks", { ...VIEW, username: "jitbot:{{SessionName}}:{{SessionNameRaw}}" }),
      "profiles.0.grant.username: uses {{SessionNameRaw}}; jitbot renders only {{SessionName}}",
    ],
    [
      "a username on AKS",
      kubeProfile("p", "aks", { ...VIEW, username: "jitbot:{{SessionName}}" }),
      "profiles.0.grant.username: only applies to EKS; on AKS the user is the person's Entra UPN",
    ],
  ])("refuses %s", (_, profile, message) => {
    expect(problems({ clusters: CLUSTERS, profiles: [profile] })).toEqual([message]);
  });

  it("refuses a profile whose cluster has no clusters entry", () => {
    expect(problems({ profiles: [kubeProfile("p", "aks", VIEW)] })).toEqual([
      'profiles.0.cluster.name: "prod-aks" has no entry in clusters (name, server, caData) for jitbot to reach its API server',
    ]);
  });

  it.each([
    [
      "an http server",
      { name: "prod-aks", server: "http://10.0.0.1", caData: CA },
      "clusters.0.server: must be an https:// URL of the cluster's API server",
    ],
    [
      "caData that is not base64 PEM",
      { name: "prod-aks", server: "https://10.0.0.1", caData: "bm90IGEgY2VydA==" },
      "clusters.0.caData: must be base64 PEM, like a kubeconfig's certificate-authority-data",
    ],
  ])("refuses a clusters entry with %s", (_, entry, message) => {
    expect(problems({ clusters: [entry], profiles: [kubeProfile("p", "aks", VIEW)] })).toContain(message);
  });

  it("refuses a cluster listed twice", () => {
    expect(problems({ clusters: [...CLUSTERS, CLUSTERS[0]], profiles: [kubeProfile("p", "aks", VIEW)] })).toEqual([
      'clusters.2.name: "prod-aks" is listed twice',
    ]);
  });
});
