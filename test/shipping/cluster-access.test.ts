import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/config/load.js";
import { findObject, type KubeObject, kubeObjects, manifestsDir } from "./manifests.js";

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
type Subject = { kind: string; name: string; apiGroup?: string };

const objects = kubeObjects(join(manifestsDir, "examples"));
const policy = parsePolicy(readFileSync(join(manifestsDir, "examples/jitbot.yaml"), "utf8"), "examples/jitbot.yaml");
const rulesOf = (object: KubeObject) => object.rules as Rule[];
const verbsOn = (rules: Rule[], resource: string) =>
  rules.filter((rule) => rule.resources.includes(resource)).flatMap((rule) => rule.verbs);

describe.each(["aks", "eks"])("manifests/examples/%s/jitbot-cluster-access.yaml", (cloud) => {
  const inCloud = objects.filter(({ file }) => file.startsWith(`manifests/examples/${cloud}/`));
  const role = findObject(inCloud, "ClusterRole", "jitbot-cluster-access");
  const allRules = inCloud
    .filter(({ object }) => object.metadata.name.startsWith("jitbot-") && /Role$/.test(object.kind))
    .flatMap(({ object }) => rulesOf(object));

  it("allows exactly the verbs jitbot uses on bindings, and the reviews", () => {
    const rules = rulesOf(role);
    expect(verbsOn(rules, "rolebindings").sort()).toEqual(["create", "delete", "get", "list"]);
    expect(verbsOn(rules, "clusterrolebindings").sort()).toEqual(["create", "delete", "get", "list"]);
    expect(verbsOn(rules, "subjectaccessreviews")).toEqual(["create"]);
    expect(verbsOn(rules, "selfsubjectrulesreviews")).toEqual(["create"]);
  });

  it("never allows escalate, a wildcard, or bind without resourceNames", () => {
    for (const rule of allRules) {
      expect(rule.verbs).not.toContain("escalate");
      expect(rule.verbs).not.toContain("*");
      expect(rule.resources).not.toContain("*");
      // Rights on roles themselves are only ever for the roles the profiles name.
      if (rule.resources.some((r) => r === "roles" || r === "clusterroles")) {
        expect(rule.resourceNames?.length).toBeGreaterThan(0);
        expect([...rule.verbs].sort()).toEqual(["bind", "get"]);
      }
    }
  });

  it("binds the ClusterRole to jitbot's identity", () => {
    const binding = findObject(inCloud, "ClusterRoleBinding", "jitbot-cluster-access");
    expect(binding.roleRef).toMatchObject({ kind: "ClusterRole", name: "jitbot-cluster-access" });
    const [subject] = binding.subjects as Subject[];
    // AKS names a workload identity by its object id (no upn in its token); EKS by the access entry's group.
    if (cloud === "aks")
      expect(subject).toMatchObject({ kind: "User", name: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    else expect(subject).toMatchObject({ kind: "Group", name: "jitbot-cluster-access" });
  });

  it("gives jitbot get and bind on exactly the roles the example profiles on this cloud name, where they bind them", () => {
    const named = policy.profiles.flatMap((p) =>
      p.cluster.kind === cloud && p.grant.type === "kubernetes-rolebinding"
        ? [{ ...p.grant.roleRef, namespace: p.grant.namespace }]
        : [],
    );
    expect(named.length).toBeGreaterThan(0);
    const granted = inCloud.flatMap(({ object }) => {
      if (!object.metadata.name.startsWith("jitbot-") || !/Role$/.test(object.kind)) return [];
      // A namespaced Role grants only in its namespace; a ClusterRole here is bound cluster-wide.
      const namespace = object.kind === "Role" ? object.metadata.namespace : undefined;
      return rulesOf(object)
        .filter((rule) => rule.verbs.includes("bind"))
        .flatMap((rule) =>
          rule.resources.flatMap((resource) =>
            (rule.resourceNames ?? []).map((name) => ({
              kind: resource === "roles" ? "Role" : "ClusterRole",
              name,
              namespace,
            })),
          ),
        );
    });
    for (const role of named) {
      expect(granted).toContainEqual(
        expect.objectContaining({
          kind: role.kind,
          name: role.name,
          ...(role.kind === "Role" ? { namespace: role.namespace } : {}),
        }),
      );
    }
    expect(granted).toHaveLength(named.length);
  });
});
