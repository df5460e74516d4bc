import { z } from "zod";

/**
 * RBAC object names are path segments: "the name may not be '.' or '..' and the name may not
 * contain '/' or '%'" (kubernetes.io/docs/concepts/overview/working-with-objects/names, "Path
 * Segment Names"; ValidateRBACName in pkg/apis/rbac/validation). jitbot refuses at start-up what
 * the API server would refuse at the first grant.
 */
const rbacName = z
  .string()
  .min(1)
  .refine((name) => name !== "." && name !== ".." && !/[/%]/.test(name), {
    message: "must be a Kubernetes RBAC name: not . or .., without / or %",
  });

/**
 * A namespace is a DNS label: "at most 63 characters … only lowercase alphanumeric characters or
 * '-' … start and end with an alphanumeric character" (names.md, "RFC 1123 Label Names").
 */
export const namespaceSchema = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, {
  message: "must be a Kubernetes namespace (lowercase letters, digits and -, at most 63)",
});

/**
 * EKS access entries: a custom username "can't start with system:, eks:, aws:, amazon:, or iam:",
 * and when it uses {{SessionName}} "the username must include a colon before {{SessionName}}"
 * (docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html). jitbot renders the same
 * template the access entry holds, so the binding names the user EKS will present.
 */
const RESERVED_USERNAME_PREFIXES = ["system:", "eks:", "aws:", "amazon:", "iam:"];
export const SESSION_NAME = "{{SessionName}}";

const eksUsername = z.string().superRefine((template, ctx) => {
  const at = template.indexOf(SESSION_NAME);
  if (at < 0) {
    ctx.addIssue({
      code: "custom",
      message: `must contain ${SESSION_NAME}, so each person is a distinct Kubernetes user (copy the access entry's username)`,
    });
    return;
  }
  if (!template.slice(0, at).includes(":")) {
    ctx.addIssue({
      code: "custom",
      message: `needs a colon before ${SESSION_NAME}, as EKS requires (e.g. jitbot:${SESSION_NAME})`,
    });
  }
  const reserved = RESERVED_USERNAME_PREFIXES.find((prefix) => template.toLowerCase().startsWith(prefix));
  if (reserved) ctx.addIssue({ code: "custom", message: `may not start with ${reserved}, which EKS reserves` });
  const other = template.replaceAll(SESSION_NAME, "").match(/\{\{\w+\}\}/);
  if (other) ctx.addIssue({ code: "custom", message: `uses ${other[0]}; jitbot renders only ${SESSION_NAME}` });
});

/** What the proof asks the cluster after the grant and after the revoke, when the role alone can't say. */
const reviewSchema = z.strictObject({
  verb: z.string().min(1),
  resource: z.string().min(1),
  /** The API group; "" (the default) is the core group (pods, secrets…). */
  group: z.string().default(""),
  subresource: z.string().min(1).optional(),
});

export const kubernetesRoleBindingOptions = z
  .strictObject({
    type: z.literal("kubernetes-rolebinding"),
    roleRef: z.strictObject({ kind: z.enum(["ClusterRole", "Role"]), name: rbacName }),
    /** Set: a RoleBinding in this namespace. Unset: a ClusterRoleBinding (ClusterRole only). */
    namespace: namespaceSchema.optional(),
    /**
     * EKS only: the username of the access entry that maps the person's IAM principal, as written
     * there (e.g. `jitbot:{{SessionName}}` or `arn:aws:sts::123456789012:assumed-role/role/{{SessionName}}`).
     */
    username: eksUsername.optional(),
    /** The access the SubjectAccessReview checks; by default the first rule of the role jitbot reads. */
    review: reviewSchema.optional(),
  })
  .superRefine((options, ctx) => {
    // A Role lives in one namespace, and "A RoleBinding may reference any Role in the same namespace"
    // (kubernetes.io/docs/reference/access-authn-authz/rbac, "RoleBinding and ClusterRoleBinding").
    if (options.roleRef.kind === "Role" && options.namespace === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["namespace"],
        message: "is required for a Role (a ClusterRoleBinding can only refer to a ClusterRole)",
      });
    }
  });

export type KubernetesRoleBindingOptions = z.infer<typeof kubernetesRoleBindingOptions>;
export type ReviewAttributes = z.infer<typeof reviewSchema>;

/** `certificate-authority-data` of a kubeconfig: base64 of one or more PEM certificates. */
const caData = z.string().refine(
  (value) => {
    const text = Buffer.from(value.replace(/\s+/g, ""), "base64").toString("utf8");
    return text.includes("-----BEGIN CERTIFICATE-----");
  },
  { message: "must be base64 PEM, like a kubeconfig's certificate-authority-data" },
);

/**
 * How jitbot reaches a cluster's API server. @kubernetes/client-node refuses plain http unless TLS
 * checks are off, and jitbot never turns them off.
 */
export const kubeClusterSchema = z.strictObject({
  /** The profile's cluster.name this entry serves. */
  name: z.string().min(1),
  server: z.url({ protocol: /^https$/, message: "must be an https:// URL of the cluster's API server" }),
  caData,
});

export type KubeCluster = z.infer<typeof kubeClusterSchema>;

interface ProfileLike {
  id: string;
  cluster: { kind: "aks" | "eks"; name: string };
  grant: { type: string; username?: string };
}

type AddIssue = (issue: { code: "custom"; path: (string | number)[]; message: string }) => void;

/**
 * Policy-wide: each kubernetes-rolebinding profile finds its cluster in `clusters`; on EKS it names
 * the access entry's username; on AKS the user is the one Entra signs in, so there is none to set.
 */
export function checkKubernetesProfiles(
  policy: { clusters: KubeCluster[]; profiles: ProfileLike[] },
  addIssue: AddIssue,
): void {
  const seen = new Set<string>();
  policy.clusters.forEach((cluster, index) => {
    if (seen.has(cluster.name)) {
      addIssue({ code: "custom", path: ["clusters", index, "name"], message: `"${cluster.name}" is listed twice` });
    }
    seen.add(cluster.name);
  });
  policy.profiles.forEach((profile, index) => {
    if (profile.grant.type !== "kubernetes-rolebinding") return;
    if (!seen.has(profile.cluster.name)) {
      addIssue({
        code: "custom",
        path: ["profiles", index, "cluster", "name"],
        message: `"${profile.cluster.name}" has no entry in clusters (name, server, caData) for jitbot to reach its API server`,
      });
    }
    if (profile.cluster.kind === "eks" && profile.grant.username === undefined) {
      addIssue({
        code: "custom",
        path: ["profiles", index, "grant", "username"],
        message: `is required on EKS: the username of the access entry that maps people's IAM principal, e.g. jitbot:${SESSION_NAME}`,
      });
    }
    if (profile.cluster.kind === "aks" && profile.grant.username !== undefined) {
      addIssue({
        code: "custom",
        path: ["profiles", index, "grant", "username"],
        message: "only applies to EKS; on AKS the user is the person's Entra UPN",
      });
    }
  });
}
