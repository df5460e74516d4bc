import { describe, expect, it } from "vitest";
import { describeMissing, type Need, needsFor, type ResourceRule, ruleAllows } from "./kubernetes-rbac.js";

const bindView: Need = { verb: "bind", group: "rbac.authorization.k8s.io", resource: "clusterroles", name: "view" };
const createRb: Need = { verb: "create", group: "rbac.authorization.k8s.io", resource: "rolebindings", namespace: "a" };

describe("ruleAllows", () => {
  const cases: [string, ResourceRule, Need, boolean][] = [
    [
      "the exact verb, group and resource",
      { verbs: ["create"], apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"] },
      createRb,
      true,
    ],
    ["wildcards everywhere", { verbs: ["*"], apiGroups: ["*"], resources: ["*"] }, createRb, true],
    [
      "another verb",
      { verbs: ["get"], apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"] },
      createRb,
      false,
    ],
    [
      "the core group instead of rbac",
      { verbs: ["create"], apiGroups: [""], resources: ["rolebindings"] },
      createRb,
      false,
    ],
    [
      "bind limited to the named role",
      {
        verbs: ["bind"],
        apiGroups: ["rbac.authorization.k8s.io"],
        resources: ["clusterroles"],
        resourceNames: ["view"],
      },
      bindView,
      true,
    ],
    [
      "bind limited to another role",
      {
        verbs: ["bind"],
        apiGroups: ["rbac.authorization.k8s.io"],
        resources: ["clusterroles"],
        resourceNames: ["edit"],
      },
      bindView,
      false,
    ],
    [
      "resourceNames never allow a request without a name (create)",
      {
        verbs: ["create"],
        apiGroups: ["rbac.authorization.k8s.io"],
        resources: ["rolebindings"],
        resourceNames: ["x"],
      },
      createRb,
      false,
    ],
    [
      "escalate is not bind",
      { verbs: ["escalate"], apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"] },
      bindView,
      false,
    ],
  ];
  it.each(cases)("%s", (_, rule, need, allowed) => {
    expect(ruleAllows(rule, need)).toBe(allowed);
  });
});

describe("needsFor", () => {
  it("asks bindings in the namespace, bind on the role there, and the review once", () => {
    const needs = needsFor([
      { roleRef: { kind: "Role", name: "sre-full" }, namespace: "sre" },
      { roleRef: { kind: "ClusterRole", name: "view" }, namespace: "sre" },
      { roleRef: { kind: "ClusterRole", name: "pod-manager" } },
    ]);
    const text = needs.map(
      (n) => `${n.verb} ${n.resource}${n.name ? `/${n.name}` : ""}${n.namespace ? ` @${n.namespace}` : ""}`,
    );
    expect(text).toEqual([
      "create subjectaccessreviews",
      "create rolebindings @sre",
      "get rolebindings @sre",
      "list rolebindings @sre",
      "delete rolebindings @sre",
      "get roles/sre-full @sre",
      "bind roles/sre-full @sre",
      "get clusterroles/view @sre",
      "bind clusterroles/view @sre",
      "create clusterrolebindings",
      "get clusterrolebindings",
      "list clusterrolebindings",
      "delete clusterrolebindings",
      "get clusterroles/pod-manager",
      "bind clusterroles/pod-manager",
    ]);
    expect(text).not.toContain("escalate");
  });
});

describe("describeMissing", () => {
  it("names every missing permission in one sentence, verbs grouped per object", () => {
    const missing: Need[] = [{ ...createRb, verb: "delete" }, { ...createRb, verb: "list" }, bindView];
    expect(describeMissing(missing)).toBe("may not delete, list rolebindings in namespace a; bind clusterroles/view");
  });
});
