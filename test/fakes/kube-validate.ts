/**
 * What the API server refuses in a (Cluster)RoleBinding, for the fake: the OpenAPI schema through
 * kubernetes-models (required fields, types), then the semantic checks the schema cannot express,
 * each from kubernetes/kubernetes pkg/apis/rbac/validation/validation.go and the pages it follows.
 */
import { ClusterRoleBinding, RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";

export interface Cause {
  reason: string;
  message: string;
  field: string;
}

const RBAC_GROUP = "rbac.authorization.k8s.io";

/**
 * Label keys: an optional DNS-subdomain prefix (≤ 253) and "/", then a name "63 characters or less,
 * beginning and ending with an alphanumeric character ([a-z0-9A-Z]) with dashes (-), underscores (_),
 * dots (.), and alphanumerics between"; values the same, or empty (kubernetes.io/docs/concepts/
 * overview/working-with-objects/labels, "Syntax and character set").
 */
const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'";
  }
  if (!LABEL_NAME.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

/** ValidateRBACName = path.IsValidPathSegmentName (names.md "Path Segment Names"). */
function nameProblem(name: string): string | undefined {
  if (name === "." || name === "..") return `may not be '${name}'`;
  if (name.includes("/")) return "may not contain '/'";
  if (name.includes("%")) return "may not contain '%'";
  return undefined;
}

export function validateBinding(body: unknown, kind: "RoleBinding" | "ClusterRoleBinding"): Cause[] {
  try {
    // kubernetes-models checks the object against the OpenAPI schema of the kind.
    if (kind === "RoleBinding") new RoleBinding(body as ConstructorParameters<typeof RoleBinding>[0]).validate();
    else new ClusterRoleBinding(body as ConstructorParameters<typeof ClusterRoleBinding>[0]).validate();
  } catch (error) {
    return [
      { reason: "FieldValueRequired", message: error instanceof Error ? error.message : String(error), field: "" },
    ];
  }
  const object = body as {
    metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    roleRef: { apiGroup: string; kind: string; name: string };
    subjects?: { kind: string; name: string; apiGroup?: string; namespace?: string }[];
  };
  const causes: Cause[] = [];
  const add = (reason: string, field: string, message: string) => causes.push({ reason, field, message });
  const name = object.metadata?.name ?? "";
  // "name or generateName is required" (apimachinery ValidateObjectMeta).
  if (!name) add("FieldValueRequired", "metadata.name", "Required value: name or generateName is required");
  else {
    const problem = nameProblem(name);
    if (problem) add("FieldValueInvalid", "metadata.name", `Invalid value: "${name}": ${problem}`);
  }
  for (const [key, value] of Object.entries(object.metadata?.labels ?? {})) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) add("FieldValueInvalid", `metadata.labels`, `Invalid value: "${key}": ${keyProblem}`);
    if (value !== "" && !LABEL_NAME.test(value)) {
      add(
        "FieldValueInvalid",
        `metadata.labels`,
        `Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
      );
    }
  }
  for (const key of Object.keys(object.metadata?.annotations ?? {})) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) add("FieldValueInvalid", "metadata.annotations", `Invalid value: "${key}": ${keyProblem}`);
  }
  // "TotalAnnotationSizeLimitB = 256 * (1 << 10)" (apimachinery pkg/api/validation/objectmeta.go).
  const annotationBytes = Object.entries(object.metadata?.annotations ?? {}).reduce(
    (sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v),
    0,
  );
  if (annotationBytes > 262_144)
    add("FieldValueTooLong", "metadata.annotations", "Too long: must have at most 262144 bytes");
  // validation.go ValidateRoleBinding / ValidateClusterRoleBinding: roleRef.
  if (object.roleRef.apiGroup !== RBAC_GROUP) {
    add(
      "FieldValueNotSupported",
      "roleRef.apiGroup",
      `Unsupported value: "${object.roleRef.apiGroup}": supported values: "${RBAC_GROUP}"`,
    );
  }
  const kinds = kind === "RoleBinding" ? ["Role", "ClusterRole"] : ["ClusterRole"];
  if (!kinds.includes(object.roleRef.kind)) {
    add(
      "FieldValueNotSupported",
      "roleRef.kind",
      `Unsupported value: "${object.roleRef.kind}": supported values: ${kinds.map((k) => `"${k}"`).join(", ")}`,
    );
  }
  if (!object.roleRef.name) add("FieldValueRequired", "roleRef.name", "Required value");
  else {
    const problem = nameProblem(object.roleRef.name);
    if (problem) add("FieldValueInvalid", "roleRef.name", `Invalid value: "${object.roleRef.name}": ${problem}`);
  }
  // validation.go ValidateRoleBindingSubject.
  (object.subjects ?? []).forEach((subject, i) => {
    const at = `subjects[${i}]`;
    if (!subject.name) add("FieldValueRequired", `${at}.name`, "Required value");
    switch (subject.kind) {
      case "ServiceAccount":
        if (subject.apiGroup)
          add(
            "FieldValueNotSupported",
            `${at}.apiGroup`,
            `Unsupported value: "${subject.apiGroup}": supported values: ""`,
          );
        if (kind === "ClusterRoleBinding" && !subject.namespace)
          add("FieldValueRequired", `${at}.namespace`, "Required value");
        break;
      case "User":
      case "Group":
        if (subject.apiGroup !== RBAC_GROUP) {
          add(
            "FieldValueNotSupported",
            `${at}.apiGroup`,
            `Unsupported value: "${subject.apiGroup ?? ""}": supported values: "${RBAC_GROUP}"`,
          );
        }
        break;
      default:
        add(
          "FieldValueNotSupported",
          `${at}.kind`,
          `Unsupported value: "${subject.kind}": supported values: "ServiceAccount", "User", "Group"`,
        );
    }
  });
  return causes;
}
