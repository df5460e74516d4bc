import type { V1PolicyRule } from "@kubernetes/client-node";
import type { ReviewAttributes } from "./options.js";

/**
 * The question the proof asks: one access the role gives, taken from its first resource rule. A
 * wildcard stands for everything (rbac.md "Referring to resources"), so any concrete value will do:
 * `get` for verbs, `pods` in the core group for resources. Rules limited to resourceNames or
 * non-resource URLs are skipped (a review without the name would rightly say no). Undefined when
 * no rule fits: the operator sets grant.review.
 */
export function reviewFromRules(rules: V1PolicyRule[]): ReviewAttributes | undefined {
  for (const rule of rules) {
    if (rule.resourceNames?.length || !rule.resources?.length || !rule.verbs.length) continue;
    const verb = rule.verbs.find((v) => v !== "*") ?? "get";
    const groups = rule.apiGroups ?? [];
    const group = groups.find((g) => g !== "*") ?? (groups.includes("*") ? "" : undefined);
    if (group === undefined) continue;
    const resource =
      rule.resources.find((r) => r !== "*" && !r.startsWith("*/")) ?? (group === "" ? "pods" : undefined);
    if (resource === undefined) continue;
    const [name = resource, subresource] = resource.split("/");
    return { verb, group, resource: name, ...(subresource && subresource !== "*" ? { subresource } : {}) };
  }
  return undefined;
}

export function describeReview(user: string, attributes: ReviewAttributes, namespace: string | undefined): string {
  const resource = [
    attributes.group ? `${attributes.resource}.${attributes.group}` : attributes.resource,
    attributes.subresource,
  ]
    .filter(Boolean)
    .join("/");
  return `${user} ${attributes.verb} ${resource} ${namespace ? `in ${namespace}` : "cluster-wide"}`;
}
