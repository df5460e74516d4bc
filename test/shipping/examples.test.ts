import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parsePolicy } from "../../src/config/load.js";
import { findObject, kubeObjects, manifestsDir } from "./manifests.js";

type Subject = { kind: string; name: string; apiGroup?: string };
type Binding = { roleRef: { kind: string; name: string }; subjects: Subject[] };
type MapRole = { rolearn: string; username: string; groups: string[] };

const objects = kubeObjects(join(manifestsDir, "examples"));
const policy = parsePolicy(readFileSync(join(manifestsDir, "examples/jitbot.yaml"), "utf8"), "examples/jitbot.yaml");
const profile = (id: string) => {
  const found = policy.profiles.find((p) => p.id === id);
  if (!found) throw new Error(`examples/jitbot.yaml has no profile ${id}`);
  return found;
};

describe("manifests/examples/jitbot.yaml", () => {
  it("passes the policy schema and holds the example profiles", () => {
    expect(policy.profiles.map((p) => p.id)).toEqual([
      "aks-sre",
      "aks-dev",
      "eks-pod-manager",
      "aks-sre-bound",
      "eks-pod-manager-bound",
    ]);
  });

  it.each([
    ["aks-sre", "sre"],
    ["aks-dev", "dev"],
  ])("profile %s adds people to the Entra group that the RoleBinding in namespace %s names", (id, namespace) => {
    const { cluster, grant } = profile(id);
    expect(cluster).toMatchObject({ kind: "aks", namespace });
    expect(grant.type).toBe("entra-group");
    const binding = findObject(
      objects,
      "RoleBinding",
      `${namespace}-user-full-access`,
      namespace,
    ) as unknown as Binding;
    expect(binding.roleRef).toMatchObject({ kind: "Role", name: `${namespace}-user-full-access` });
    findObject(objects, "Role", `${namespace}-user-full-access`, namespace);
    findObject(objects, "Namespace", namespace);
    const groupIds = binding.subjects.filter((s) => s.kind === "Group").map((s) => s.name);
    expect(groupIds).toEqual([grant.type === "entra-group" ? grant.groupId : "not an entra group"]);
  });

  it("the two AKS profiles use different groups", () => {
    const ids = ["aks-sre", "aks-dev"].map((id) => {
      const { grant } = profile(id);
      return grant.type === "entra-group" ? grant.groupId : id;
    });
    expect(new Set(ids).size).toBe(2);
  });

  it("profile eks-pod-manager hands out the role that aws-auth maps to group pod-managers, bound to pod-manager", () => {
    const { cluster, grant } = profile("eks-pod-manager");
    expect(cluster.kind).toBe("eks");
    expect(grant.type).toBe("aws-role");
    const roleArn = grant.type === "aws-role" ? grant.roleArn : "";

    const awsAuth = findObject(objects, "ConfigMap", "aws-auth", "kube-system");
    const mapRoles = parse((awsAuth.data as Record<string, string>).mapRoles ?? "") as MapRole[];
    const entry = mapRoles.find((m) => m.rolearn === roleArn);
    expect(entry?.groups).toEqual(["pod-managers"]);
    expect(entry?.username).toContain("{{SessionName}}");

    const binding = findObject(objects, "ClusterRoleBinding", "pod-manager") as unknown as Binding;
    expect(binding.roleRef).toMatchObject({ kind: "ClusterRole", name: "pod-manager" });
    expect(binding.subjects).toEqual([{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "pod-managers" }]);
    findObject(objects, "ClusterRole", "pod-manager");
  });

  it("documents the access-entry alternative with the same role and group", () => {
    const readme = readFileSync(join(manifestsDir, "examples/eks/README.md"), "utf8");
    expect(readme).toContain("aws eks create-access-entry");
    expect(readme).toContain("--kubernetes-groups pod-managers");
    expect(readme).toContain("role/EKS-Pod-Manager");
  });

  it("the aws-auth fragment is not in the eks kustomization (applying it whole would drop the node roles)", () => {
    const kustomization = parse(readFileSync(join(manifestsDir, "examples/eks/kustomization.yaml"), "utf8")) as {
      resources: string[];
    };
    expect(kustomization.resources).not.toContain("aws-auth-maproles.yaml");
  });
});
