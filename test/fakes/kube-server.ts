/**
 * A fake Kubernetes API server on 127.0.0.1 over HTTPS (the test certificate; jitbot gets it as the
 * cluster's caData). It speaks the documented REST API for what jitbot uses
 * (kubernetes.io/docs/reference/kubernetes-api/authorization-resources/): RoleBindings and
 * ClusterRoleBindings (create, get, delete, list by label selector), Roles and ClusterRoles (read;
 * seeded by the test), SubjectAccessReview, SelfSubjectAccessReview and SelfSubjectRulesReview.
 * It authenticates bearer tokens (kube-tokens.ts), authorises every call with RBAC from the
 * bindings and roles it holds (kube-rbac.ts), validates objects (kube-validate.ts) and refuses
 * with the API server's Status bodies (kube-status.ts).
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import {
  type Attributes,
  authorize,
  type Binding,
  type PolicyRule,
  RBAC_GROUP,
  type RbacState,
  type UserInfo,
} from "./kube-rbac.js";
import { handleReviews } from "./kube-reviews.js";
import { handleBindings } from "./kube-routes.js";
import { type Failure, failure, forbidden, noSuchPath, unauthorized } from "./kube-status.js";
import type { TokenVerifier } from "./kube-tokens.js";

export { RBAC_GROUP } from "./kube-rbac.js";

/** What jitbot needs on a cluster (the RBAC the example manifests ship). */
export function jitbotRules(roleNames: string[]): PolicyRule[] {
  return [
    {
      apiGroups: [RBAC_GROUP],
      resources: ["rolebindings", "clusterrolebindings"],
      verbs: ["create", "delete", "get", "list"],
    },
    { apiGroups: [RBAC_GROUP], resources: ["roles", "clusterroles"], verbs: ["get"], resourceNames: roleNames },
    { apiGroups: [RBAC_GROUP], resources: ["roles", "clusterroles"], verbs: ["bind"], resourceNames: roleNames },
    { apiGroups: ["authorization.k8s.io"], resources: ["subjectaccessreviews"], verbs: ["create"] },
  ];
}

/**
 * The built-in user-facing ClusterRoles (rbac.md "User-facing roles"), reduced to a few resources:
 * `view` reads most namespaced objects but not Secrets; `edit` also changes them; `cluster-admin` all.
 */
const DEFAULT_CLUSTER_ROLES: Record<string, PolicyRule[]> = {
  view: [
    {
      apiGroups: [""],
      resources: ["pods", "pods/log", "services", "configmaps", "events"],
      verbs: ["get", "list", "watch"],
    },
    { apiGroups: ["apps"], resources: ["deployments", "replicasets", "statefulsets"], verbs: ["get", "list", "watch"] },
  ],
  edit: [
    {
      apiGroups: [""],
      resources: ["pods", "services", "configmaps", "secrets"],
      verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
    },
    {
      apiGroups: ["apps"],
      resources: ["deployments"],
      verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
    },
  ],
  "cluster-admin": [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }],
};

export interface FakeKubeCall {
  method: string;
  path: string;
  user: string | undefined;
  status: number;
}

export class FakeKube implements RbacState {
  readonly roles = new Map<string, PolicyRule[]>();
  readonly clusterRoles = new Map<string, PolicyRule[]>(Object.entries(DEFAULT_CLUSTER_ROLES));
  readonly roleBindings = new Map<string, Binding>();
  readonly clusterRoleBindings = new Map<string, Binding>();
  /** Namespaces that exist; a request into another is refused (NamespaceLifecycle admission). */
  readonly namespaces = new Set(["default", "kube-system", "payments"]);
  readonly calls: FakeKubeCall[] = [];
  /** Every SubjectAccessReview asked, with its answer. */
  readonly reviews: { user: string; groups: string[]; attributes: Attributes; allowed: boolean; at: Date }[] = [];
  private failures: Failure[] = [];
  private server: Server | undefined;
  private resourceVersion = 1000;
  url = "";
  /** base64 of the server's CA (PEM): the cluster entry's caData. */
  caData = "";

  constructor(
    private readonly verify: TokenVerifier,
    readonly now: () => Date = () => new Date(),
  ) {}

  async start(): Promise<string> {
    const keyPath = process.env.JITBOT_TEST_TLS_KEY;
    const certPath = process.env.JITBOT_TEST_TLS_CERT;
    if (!keyPath || !certPath) throw new Error("no test certificate: run through vitest");
    const cert = readFileSync(certPath);
    this.caData = cert.toString("base64");
    this.server = createServer({ key: readFileSync(keyPath), cert }, (req, res) => {
      // Each call stands alone: one whose client left mid-body is dropped, never unhandled.
      void this.handle(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The next call (after authentication) gets this answer instead. */
  failNext(code: number, reason: string, message: string, headers?: Record<string, string>): void {
    this.failures.push({ ...failure(code, reason, message), headers });
  }

  /** A ClusterRole `jitbot` with jitbot's rules, bound to jitbot's own user. */
  allowJitbot(user: UserInfo, roleNames: string[]): void {
    this.clusterRoles.set("jitbot", jitbotRules(roleNames));
    this.clusterRoleBindings.set("jitbot", {
      metadata: { name: "jitbot" },
      roleRef: { apiGroup: RBAC_GROUP, kind: "ClusterRole", name: "jitbot" },
      subjects: [{ kind: "User", apiGroup: RBAC_GROUP, name: user.name }],
    });
  }

  /** What the cluster answers a SubjectAccessReview for `user` (no groups) now. */
  allows(user: string, attributes: Attributes): boolean {
    return authorize(this, { name: user, groups: [] }, attributes).allowed;
  }

  /** Bindings whose subjects name `user`. */
  bindingsOf(user: string): Binding[] {
    return [...this.roleBindings.values(), ...this.clusterRoleBindings.values()].filter((b) =>
      (b.subjects ?? []).some((s) => s.kind === "User" && s.name === user),
    );
  }

  nextResourceVersion(): string {
    this.resourceVersion += 1;
    return String(this.resourceVersion);
  }

  newUid(): string {
    return randomUUID();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? "/", "https://127.0.0.1");
    const method = req.method ?? "GET";
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.calls.push({ method, path: url.pathname, user: caller?.name, status });
      res.writeHead(status, { "Content-Type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
    const refuse = (f: Failure) => send(f.code, f.body, f.headers);
    // "All API requests … are authenticated"; a bearer token that no authenticator accepts is 401
    // (kubernetes.io/docs/reference/access-authn-authz/authentication, "Authentication strategies").
    const header = req.headers.authorization ?? "";
    const token = header.startsWith("Bearer ") ? header.slice("Bearer ".length) : "";
    const caller = token ? this.verify(token) : undefined;
    if (!caller) return refuse(unauthorized());
    // Every authenticated user is in system:authenticated (authentication.md, "Users in Kubernetes").
    const user: UserInfo = { name: caller.name, groups: [...new Set([...caller.groups, "system:authenticated"])] };
    const injected = this.failures.shift();
    if (injected) return refuse(injected);
    let body: unknown;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        return refuse(failure(400, "BadRequest", "the body of the request was in an unknown format"));
      }
    }
    const ctx = { server: this, user, method, url, body, send, refuse };
    if (await handleReviews(ctx)) return;
    if (await handleBindings(ctx)) return;
    return refuse(noSuchPath());
  }

  /** Authorises the caller; returns the refusal when RBAC does not allow it. */
  check(user: UserInfo, a: Attributes): Failure | undefined {
    if (authorize(this, user, a).allowed) return undefined;
    return forbidden(user.name, a.verb, a.resource, a.group, a.namespace, a.name, a.subresource);
  }
}

export interface RouteContext {
  server: FakeKube;
  user: UserInfo;
  method: string;
  url: URL;
  body: unknown;
  send(status: number, body: unknown, headers?: Record<string, string>): void;
  refuse(f: Failure): void;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
