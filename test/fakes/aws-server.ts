import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type AuthenticationMode, associateProblem, authenticationModeProblem } from "./aws-eks.js";
import {
  denies,
  documentProblem,
  effectiveDocument,
  type PolicyVersion,
  sizeProblem,
  statementsOf,
} from "./aws-iam.js";
import { assumeRole, DEFAULT_ROLE_MAX_SESSION_SECONDS, type FakeSession, isFailure } from "./aws-sts.js";
import { esc, type Failure, IAM_NS, json, queryError, restError, STS_NS, xml } from "./aws-wire.js";
import { DEFAULT_PAGE, listAccessEntries } from "./eks-listing.js";

export type { FakeSession } from "./aws-sts.js";

/**
 * A fake AWS on 127.0.0.1 for STS and IAM (Query protocol: form body, XML answers and XML error
 * envelopes as in their API references) and EKS access entries (REST JSON, `x-amzn-ErrorType`).
 * Point the SDK at it with AWS_ENDPOINT_URL_STS / _IAM / _EKS (or AWS_ENDPOINT_URL).
 * It is strict: the rules live in aws-sts.ts, aws-iam.ts and aws-eks.ts, each citing its page.
 */
export interface FakeAccessEntry {
  clusterName: string;
  principalArn: string;
  tags: Record<string, string>;
  policies: Map<string, { type: string; namespaces?: string[] }>;
}

export interface FakeCall {
  service: "sts" | "iam" | "eks";
  action: string;
  params: Record<string, string>;
  body?: unknown;
}

export class FakeAws {
  readonly calls: FakeCall[] = [];
  readonly sessions: FakeSession[] = [];
  /** Inline policies by role name, then policy name: the JSON document as put. */
  readonly rolePolicies = new Map<string, Map<string, string>>();
  readonly accessEntries = new Map<string, FakeAccessEntry>();
  /** A role's MaxSessionDuration (seconds) by role ARN; IAM's default 1 h when unset. */
  readonly roleMaxSessionDuration = new Map<string, number>();
  /** A cluster's authentication mode by name; API_AND_CONFIG_MAP when unset. */
  readonly clusterAuthenticationMode = new Map<string, AuthenticationMode>();
  readonly disabledRegions = new Set<string>();
  /** Entries per ListAccessEntries page, whatever maxResults asks (small in tests, to page). */
  accessEntryPageSize = DEFAULT_PAGE;
  /** How long a role policy change takes to apply to requests (IAM: "a few minutes"); 0 = at once. */
  policyPropagationMs = 0;
  private readonly policyHistory = new Map<string, PolicyVersion[]>();
  /**
   * DeleteAccessEntry is acknowledged at once but the entry still shows on reads for this many ms
   * ("never": a 200 that keeps it). EKS applies access-entry changes asynchronously ("it can take
   * several seconds for the change to take effect", docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html).
   */
  entryRemovalLag: number | "never" = 0;
  /** PutRolePolicy answers 200 but the document stays as it was (a write that did not take). */
  dropRolePolicyWrites = false;
  private readonly unreplicated: { at: number; apply: () => void }[] = [];
  private failures: Failure[] = [];
  private server: Server | undefined;
  url = "";

  constructor(private readonly now: () => Date = () => new Date()) {}

  async start(): Promise<string> {
    // Each call stands alone: one that fails (its client left mid-body) is dropped, never unhandled.
    this.server = createServer((req, res) => void this.handle(req, res).catch(() => res.destroy()));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The env that points the real SDK here, with static keys and no IMDS. */
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      AWS_ENDPOINT_URL_STS: this.url,
      AWS_ENDPOINT_URL_IAM: this.url,
      AWS_ENDPOINT_URL_EKS: this.url,
      AWS_ACCESS_KEY_ID: "AKIDJITBOTTEST000001",
      AWS_SECRET_ACCESS_KEY: "jitbot-test-bot-secret-key",
      AWS_REGION: "us-west-2",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_MAX_ATTEMPTS: "1",
      ...extra,
    };
  }

  /** STS's throttle is 400 `Throttling`; `http429` answers 429 + Retry-After like a gateway. */
  throttleNext(times = 1, style: "sts" | "http429" = "http429"): void {
    for (let i = 0; i < times; i++) {
      this.failures.push(
        style === "sts"
          ? { status: 400, code: "Throttling", message: "Rate exceeded" }
          : { status: 429, code: "ThrottlingException", message: "Rate exceeded", retryAfter: "1" },
      );
    }
  }

  forbidNext(): void {
    this.failures.push({ status: 403, code: "AccessDenied", message: "User is not authorized to perform this action" });
  }

  failNext(status: number, code: string, message: string): void {
    this.failures.push({ status, code, message });
  }

  /** Sets a role's inline policy directly, as an operator would have done before the test. */
  putRolePolicy(role: string, name: string, document: string): void {
    const policies = this.rolePolicies.get(role) ?? new Map<string, string>();
    policies.set(name, document);
    this.rolePolicies.set(role, policies);
    this.record(role, name, document, -Infinity);
  }

  /** Could this session still call AWS: not expired and not denied by an inline policy on its role. */
  isSessionUsable(accessKeyId: string, at: Date = this.now()): boolean {
    const session = this.sessions.find((s) => s.accessKeyId === accessKeyId);
    if (!session || session.expiresAt.getTime() <= at.getTime()) return false;
    const role = session.roleArn.slice(session.roleArn.lastIndexOf("/") + 1);
    const documents =
      this.policyPropagationMs === 0
        ? [...(this.rolePolicies.get(role)?.values() ?? [])]
        : [...this.policyHistory]
            .filter(([key]) => key.startsWith(`${role}|`))
            .map(([, history]) => effectiveDocument(history, at, this.policyPropagationMs));
    return !documents.some(
      (document) => document && statementsOf(document).some((statement) => denies(statement, session, at)),
    );
  }

  private record(role: string, name: string, document: string | undefined, at = this.now().getTime()): void {
    const key = `${role}|${name}`;
    this.policyHistory.set(key, [...(this.policyHistory.get(key) ?? []), { at, document }]);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<ServerResponse> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const now = this.now().getTime();
    for (const pending of this.unreplicated.filter((p) => p.at <= now)) {
      this.unreplicated.splice(this.unreplicated.indexOf(pending), 1);
      pending.apply();
    }
    if (url.pathname.startsWith("/clusters/")) {
      return this.eks(req.method ?? "GET", url.pathname, raw, res, url.searchParams);
    }
    const params = Object.fromEntries(new URLSearchParams(raw));
    const action = params.Action ?? "";
    const service = action === "AssumeRole" ? "sts" : "iam";
    this.calls.push({ service, action, params });
    const region = /Credential=[^/]+\/\d+\/([^/]+)\//.exec(req.headers.authorization ?? "")?.[1] ?? "";
    const failure = this.failures.shift();
    if (failure) return queryError(res, service === "sts" ? STS_NS : IAM_NS, failure);
    if (service === "sts")
      return this.assumeRole(params, region, req.headers["x-amz-security-token"] !== undefined, res);
    return this.iam(action, params, res);
  }

  private assumeRole(p: Record<string, string>, region: string, callerIsSession: boolean, res: ServerResponse) {
    // "If you try to use a Region that is not activated, you get RegionDisabledException" (403), STS API reference.
    if (this.disabledRegions.has(region)) {
      return queryError(res, STS_NS, {
        status: 403,
        code: "RegionDisabledException",
        message: "STS is not activated in this region for account:123456789012.",
      });
    }
    const answer = assumeRole(p, {
      roleMaxSessionDuration: this.roleMaxSessionDuration,
      callerIsSession,
      now: this.now(),
    });
    if (isFailure(answer)) return queryError(res, STS_NS, answer);
    const session = answer;
    this.sessions.push(session);
    const account = /::(\d{12}):/.exec(session.roleArn)?.[1] ?? "123456789012";
    const roleName = session.roleArn.slice(session.roleArn.lastIndexOf("/") + 1);
    return xml(
      res,
      200,
      `<AssumeRoleResponse xmlns="${STS_NS}">
  <AssumeRoleResult>
    ${session.sourceIdentity ? `<SourceIdentity>${esc(session.sourceIdentity)}</SourceIdentity>` : ""}
    <AssumedRoleUser>
      <Arn>arn:aws:sts::${account}:assumed-role/${esc(roleName)}/${esc(session.roleSessionName)}</Arn>
      <AssumedRoleId>AROA3XFRBF535PLBIFPI4:${esc(session.roleSessionName)}</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>${session.accessKeyId}</AccessKeyId>
      <SecretAccessKey>${esc(session.secretAccessKey)}</SecretAccessKey>
      <SessionToken>${esc(session.sessionToken)}</SessionToken>
      <Expiration>${session.expiresAt.toISOString().replace(/\.\d{3}Z$/, "Z")}</Expiration>
    </Credentials>
    <PackedPolicySize>${Object.keys(session.tags).length}</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>${randomUUID()}</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>`,
    );
  }

  private iam(action: string, p: Record<string, string>, res: ServerResponse): ServerResponse {
    const role = p.RoleName ?? "";
    const name = p.PolicyName ?? "";
    const policies = this.rolePolicies.get(role) ?? new Map<string, string>();
    const noSuch = () =>
      queryError(res, IAM_NS, {
        status: 404,
        code: "NoSuchEntity",
        message: `The role policy with name ${name} cannot be found.`,
      });
    const ok = (result = "") =>
      xml(
        res,
        200,
        `<${action}Response xmlns="${IAM_NS}">${result ? `\n  <${action}Result>${result}</${action}Result>` : ""}
  <ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>
</${action}Response>`,
      );
    switch (action) {
      case "PutRolePolicy": {
        const document = p.PolicyDocument ?? "";
        const problem = documentProblem(document) ?? sizeProblem(role, policies, name, document);
        if (problem) return queryError(res, IAM_NS, problem);
        if (this.dropRolePolicyWrites) return ok();
        policies.set(name, document);
        this.rolePolicies.set(role, policies);
        this.record(role, name, document);
        return ok();
      }
      case "GetRolePolicy": {
        const document = policies.get(name);
        if (document === undefined) return noSuch();
        // "The policy document returned in this structure is URL-encoded compliant with RFC 3986" (API_GetRolePolicy).
        return ok(
          `<PolicyName>${esc(name)}</PolicyName><RoleName>${esc(role)}</RoleName><PolicyDocument>${esc(encodeURIComponent(document))}</PolicyDocument>`,
        );
      }
      case "DeleteRolePolicy":
        if (!policies.delete(name)) return noSuch();
        this.record(role, name, undefined);
        return ok();
      case "ListRolePolicies":
        return ok(
          `<PolicyNames>${[...policies.keys()].map((n) => `<member>${esc(n)}</member>`).join("")}</PolicyNames><IsTruncated>false</IsTruncated>`,
        );
      default:
        return queryError(res, IAM_NS, { status: 400, code: "InvalidAction", message: `Unknown action ${action}` });
    }
  }

  private eks(method: string, path: string, raw: string, res: ServerResponse, query: URLSearchParams): ServerResponse {
    const parts = path.split("/").slice(1).map(decodeURIComponent); // clusters, name, access-entries, arn, …
    const [, clusterName = "", , principalArn, sub, policyArn] = parts;
    const body: Record<string, unknown> = raw ? JSON.parse(raw) : {};
    const action =
      method === "GET" && parts.length === 3
        ? "ListAccessEntries"
        : method === "POST" && parts.length === 3
          ? "CreateAccessEntry"
          : method === "POST" && sub === "access-policies"
            ? "AssociateAccessPolicy"
            : method === "GET" && sub === "access-policies"
              ? "ListAssociatedAccessPolicies"
              : method === "DELETE" && policyArn
                ? "DisassociateAccessPolicy"
                : method === "DELETE"
                  ? "DeleteAccessEntry"
                  : "DescribeAccessEntry";
    this.calls.push({ service: "eks", action, params: { clusterName, principalArn: principalArn ?? "" }, body });
    const failure =
      this.failures.shift() ??
      authenticationModeProblem(this.clusterAuthenticationMode.get(clusterName) ?? "API_AND_CONFIG_MAP");
    if (failure) {
      const code = failure.code === "AccessDenied" ? "AccessDeniedException" : failure.code;
      return restError(res, { ...failure, code });
    }
    const key = `${clusterName}|${principalArn ?? body.principalArn}`;
    const entry = this.accessEntries.get(key);
    const notFound = () =>
      restError(res, {
        status: 404,
        code: "ResourceNotFoundException",
        message: "The specified access entry resource could not be found.",
      });
    const view = (e: FakeAccessEntry) => ({
      clusterName: e.clusterName,
      principalArn: e.principalArn,
      kubernetesGroups: [],
      accessEntryArn: `arn:aws:eks:us-west-2:123456789012:access-entry/${e.clusterName}/role/123456789012/x/${randomUUID()}`,
      createdAt: 1767603600,
      modifiedAt: 1767603600,
      tags: e.tags,
      username: e.principalArn,
      type: "STANDARD",
    });
    switch (action) {
      case "ListAccessEntries": {
        const reply = listAccessEntries(this.accessEntries.values(), clusterName, query, this.accessEntryPageSize);
        if (reply.errorCode) {
          const { message } = reply.body as { message: string };
          return restError(res, { status: reply.status, code: reply.errorCode, message });
        }
        return json(res, reply.status, reply.body);
      }
      case "CreateAccessEntry": {
        if (entry) {
          return restError(res, {
            status: 409,
            code: "ResourceInUseException",
            message: "The specified access entry resource is already in use on this cluster.",
          });
        }
        const created: FakeAccessEntry = {
          clusterName,
          principalArn: String(body.principalArn),
          tags: (body.tags ?? {}) as Record<string, string>,
          policies: new Map(),
        };
        this.accessEntries.set(`${clusterName}|${created.principalArn}`, created);
        return json(res, 200, { accessEntry: view(created) });
      }
      case "AssociateAccessPolicy": {
        const problem = associateProblem(body);
        if (problem) return restError(res, problem);
        if (!entry) return notFound();
        const accessScope = body.accessScope as { type: string; namespaces?: string[] };
        entry.policies.set(String(body.policyArn), accessScope);
        return json(res, 200, {
          clusterName,
          principalArn,
          associatedAccessPolicy: {
            policyArn: body.policyArn,
            accessScope,
            associatedAt: 1767603600,
            modifiedAt: 1767603600,
          },
        });
      }
      case "DisassociateAccessPolicy":
        if (!entry?.policies.delete(policyArn ?? "")) return notFound();
        return json(res, 200, {});
      case "ListAssociatedAccessPolicies":
        // ListAssociatedAccessPolicies (EKS API reference): the entry's associations, 404 without an entry.
        if (!entry) return notFound();
        return json(res, 200, {
          clusterName,
          principalArn,
          associatedAccessPolicies: [...entry.policies].map(([policyArn, accessScope]) => ({
            policyArn,
            accessScope,
            associatedAt: 1767603600,
            modifiedAt: 1767603600,
          })),
        });
      case "DeleteAccessEntry": {
        if (!entry) return notFound();
        const remove = () => this.accessEntries.delete(key);
        if (this.entryRemovalLag === 0) remove();
        else if (this.entryRemovalLag !== "never") {
          this.unreplicated.push({ at: this.now().getTime() + this.entryRemovalLag, apply: remove });
        }
        return json(res, 200, {});
      }
      default:
        return entry ? json(res, 200, { accessEntry: view(entry) }) : notFound();
    }
  }
}

export { DEFAULT_ROLE_MAX_SESSION_SECONDS };
