/**
 * What the API server refuses in a (Cluster)RoleBinding, for the fake: the OpenAPI schema through
 * kubernetes-models (required fields, types), then the semantic checks the schema cannot express.
 *
 * Sources (each check below names its own):
 * - RBACVAL = kubernetes/kubernetes pkg/apis/rbac/validation/validation.go (ValidateRoleBinding,
 *   ValidateClusterRoleBinding, validateRoleBindingSubject), which the RBAC page summarises:
 *   https://kubernetes.io/docs/reference/access-authn-authz/rbac/ ("RoleBinding and
 *   ClusterRoleBinding", "Referring to subjects").
 * - META = kubernetes/apimachinery pkg/api/validation/objectmeta.go (ValidateObjectMeta,
 *   ValidateAnnotations) and pkg/apis/meta/v1/validation/validation.go (ValidateLabels).
 * - CONTENT = kubernetes/apimachinery pkg/api/validate/content (IsLabelKey, IsLabelValue,
 *   IsDNS1123Subdomain, IsPathSegmentName): the message texts, word for word.
 * - LABELS = https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/
 *   ("Syntax and character set"); NAMES = https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
 *   ("DNS Subdomain Names", "Path Segment Names").
 * - FIELD = kubernetes/apimachinery pkg/util/validation/field/errors.go: a cause's `reason` is the
 *   error type (FieldValueRequired, FieldValueInvalid, FieldValueNotSupported, FieldValueTooLong)
 *   and its message `<Type>[: <value>][: <detail>]` ("Required value", `Invalid value: "x": …`,
 *   `Unsupported value: "x": supported values: "a", "b"`, "Too long: …").
 */
import { ClusterRoleBinding, RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";

export interface Cause {
  reason: string;
  message: string;
  field: string;
}

const RBAC_GROUP = "rbac.authorization.k8s.io";

/** CONTENT RegexError: `<msg> (e.g. 'a' or 'b', regex used for validation is '<re>')`. */
function regexError(message: string, re: string, ...examples: string[]): string {
  const eg = examples.map((e) => `'${e}', `).join(" or ");
  return `${message} (e.g. ${eg}regex used for validation is '${re}')`;
}

const LABEL_KEY_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_KEY_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_KEY_RE = new RegExp(`^${LABEL_KEY_FMT}$`);
const DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

/**
 * CONTENT IsDNS1123Subdomain: at most 253 characters (NAMES "DNS Subdomain Names": "contain no
 * more than 253 characters … contain only lowercase alphanumeric characters, '-' or '.' … start
 * with an alphanumeric character … end with an alphanumeric character").
 */
function dnsSubdomainProblems(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 253) problems.push("must be no more than 253 characters");
  if (!DNS1123_SUBDOMAIN_RE.test(value)) {
    problems.push(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, "example.com"));
  }
  return problems;
}

/**
 * CONTENT IsLabelKey (LABELS "Syntax and character set": "an optional prefix and a name,
 * separated by a slash (/). The name segment is required and must be 63 characters or less,
 * beginning and ending with an alphanumeric character ([a-z0-9A-Z]) with dashes (-), underscores
 * (_), dots (.), and alphanumerics between. The prefix is optional. If specified, the prefix must be
 * a DNS subdomain").
 */
export function labelKeyProblems(key: string): string[] {
  const parts = key.split("/");
  if (parts.length > 2) {
    return [
      `a valid label key ${regexError(LABEL_KEY_MSG, LABEL_KEY_FMT, "MyName", "my.name", "123-abc")} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  const problems: string[] = [];
  const name = parts.length === 2 ? (parts[1] ?? "") : key;
  if (parts.length === 2) {
    const prefix = parts[0] ?? "";
    if (!prefix) problems.push("prefix part must be non-empty");
    else problems.push(...dnsSubdomainProblems(prefix).map((p) => `prefix part ${p}`));
  }
  if (!name) problems.push("name part must be non-empty");
  else if (name.length > 63) problems.push("name part must be no more than 63 characters");
  if (!LABEL_KEY_RE.test(name)) {
    problems.push(`name part ${regexError(LABEL_KEY_MSG, LABEL_KEY_FMT, "MyName", "my.name", "123-abc")}`);
  }
  return problems;
}

/** CONTENT IsLabelValue (LABELS: "must be 63 characters or less (can be empty)", same characters as a name). */
export function labelValueProblems(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 63) problems.push("must be no more than 63 characters");
  if (!new RegExp(`^(${LABEL_KEY_FMT})?$`).test(value)) {
    problems.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        `(${LABEL_KEY_FMT})?`,
        "MyValue",
        "my_value",
        "12345",
      ),
    );
  }
  return problems;
}

/**
 * RBACVAL minimalNameRequirements = IsPathSegmentName (NAMES "Path Segment Names": "may not be
 * '.' or '..' and the name may not contain '/' or '%'"); every problem is reported.
 */
function nameProblems(name: string): string[] {
  if (name === "." || name === "..") return [`may not be '${name}'`];
  return ["/", "%"].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
}

export function validateBinding(body: unknown, kind: "RoleBinding" | "ClusterRoleBinding"): Cause[] {
  try {
    // The object must have the kind's shape (its OpenAPI schema, checked by kubernetes-models)
    // before the checks below can read it. The real server decodes into the Go type instead; a
    // wrong JSON type there is a 400 decode error, which this fake reports as 422 (see the report).
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
  const invalidValue = (field: string, value: string, detail: string) =>
    add("FieldValueInvalid", field, `Invalid value: ${JSON.stringify(value)}: ${detail}`);
  const name = object.metadata?.name ?? "";
  // META ValidateObjectMeta: field.Required(metadata.name, "name or generateName is required").
  if (!name) add("FieldValueRequired", "metadata.name", "Required value: name or generateName is required");
  for (const problem of name ? nameProblems(name) : []) invalidValue("metadata.name", name, problem);
  // META ValidateLabels: each key's and each value's problems as field.Invalid on metadata.labels.
  for (const [key, value] of Object.entries(object.metadata?.labels ?? {})) {
    for (const problem of labelKeyProblems(key)) invalidValue("metadata.labels", key, problem);
    for (const problem of labelValueProblems(value)) invalidValue("metadata.labels", value, problem);
  }
  // META ValidateAnnotations: keys are label keys "except that case doesn't matter".
  const annotations = object.metadata?.annotations ?? {};
  for (const key of Object.keys(annotations)) {
    for (const problem of labelKeyProblems(key.toLowerCase())) invalidValue("metadata.annotations", key, problem);
  }
  // META: "TotalAnnotationSizeLimitB int = 256 * (1 << 10)", reported as field.TooLong, whose
  // detail is "may not be more than 262144 bytes" (FIELD TooLong).
  const annotationBytes = Object.entries(annotations).reduce(
    (sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v),
    0,
  );
  if (annotationBytes > 262_144) {
    add("FieldValueTooLong", "metadata.annotations", "Too long: may not be more than 262144 bytes");
  }
  // RBACVAL ValidateRoleBinding / ValidateClusterRoleBinding: roleRef.apiGroup must be the RBAC
  // group (rbac page: "roleRef … apiGroup: rbac.authorization.k8s.io").
  if (object.roleRef.apiGroup !== RBAC_GROUP) {
    add(
      "FieldValueNotSupported",
      "roleRef.apiGroup",
      `Unsupported value: "${object.roleRef.apiGroup}": supported values: "${RBAC_GROUP}"`,
    );
  }
  // RBACVAL: a RoleBinding "may reference any Role in the same namespace … [or] a ClusterRole",
  // a ClusterRoleBinding only a ClusterRole (rbac page, "RoleBinding and ClusterRoleBinding").
  const kinds = kind === "RoleBinding" ? ["Role", "ClusterRole"] : ["ClusterRole"];
  if (!kinds.includes(object.roleRef.kind)) {
    add(
      "FieldValueNotSupported",
      "roleRef.kind",
      `Unsupported value: "${object.roleRef.kind}": supported values: ${kinds.map((k) => `"${k}"`).join(", ")}`,
    );
  }
  // RBACVAL: field.Required(roleRef.name, ""), else the path-segment rules.
  if (!object.roleRef.name) add("FieldValueRequired", "roleRef.name", "Required value");
  for (const problem of object.roleRef.name ? nameProblems(object.roleRef.name) : []) {
    invalidValue("roleRef.name", object.roleRef.name, problem);
  }
  // RBACVAL validateRoleBindingSubject (rbac page, "Referring to subjects": "Subjects can be
  // groups, users or ServiceAccounts").
  (object.subjects ?? []).forEach((subject, i) => {
    const at = `subjects[${i}]`;
    if (!subject.name) add("FieldValueRequired", `${at}.name`, "Required value");
    switch (subject.kind) {
      case "ServiceAccount":
        // ValidateServiceAccountName: a DNS subdomain (NAMES "DNS Subdomain Names").
        for (const problem of subject.name ? dnsSubdomainProblems(subject.name) : []) {
          invalidValue(`${at}.name`, subject.name, problem);
        }
        if (subject.apiGroup)
          add(
            "FieldValueNotSupported",
            `${at}.apiGroup`,
            `Unsupported value: "${subject.apiGroup}": supported values: ""`,
          );
        // A ClusterRoleBinding has no namespace to default a ServiceAccount's to.
        if (kind === "ClusterRoleBinding" && !subject.namespace)
          add("FieldValueRequired", `${at}.namespace`, "Required value");
        break;
      case "User":
      case "Group":
        // RBACVAL: besides Required, an empty name is Invalid "user name cannot be empty" / "group …".
        if (!subject.name) {
          invalidValue(`${at}.name`, "", `${subject.kind === "User" ? "user" : "group"} name cannot be empty`);
        }
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
