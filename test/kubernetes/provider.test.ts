/**
 * The kubernetes-rolebinding provider against the fake API server, with its real client, tokens and
 * (on AKS) the real Graph lookup of the person's UPN: grant, review, revoke and read-back, and each
 * way a cluster can refuse, as one clear sentence and never a crash.
 */
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { ProviderError } from "../../src/grants/errors.js";
import { ROLLBACK_STATE } from "../../src/grants/provider.js";
import { type KubeFixture, type KubeFixtureOptions, startKubeFixture } from "./support.js";

const open: KubeFixture[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
});

async function fixture(options: KubeFixtureOptions): Promise<KubeFixture> {
  const f = await startKubeFixture(options);
  open.push(f);
  return f;
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

const PODS = { verb: "get", group: "", resource: "pods", namespace: "payments" };

describe("kubernetes-rolebinding on AKS", () => {
  it("binds the person's UPN, labelled and annotated, and records the review that allowed it", async () => {
    const f = await fixture({ kind: "aks" });
    const r = f.request();
    const outcome = await f.provider.grant(r);
    const [binding, ...more] = f.kube.bindingsOf(r.subject.email);
    expect(more).toEqual([]);
    expect(binding).toMatchObject({
      metadata: {
        namespace: "payments",
        labels: { "app.kubernetes.io/managed-by": "jitbot", "jitbot/request-id": r.requestId },
        annotations: { "jitbot/ends-at": r.expiresAt.toISOString(), "jitbot/requester": r.subject.email },
      },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
    });
    expect(binding?.metadata.name).toMatch(/^jitbot-jr-[0-9a-f]{6}-[0-9a-f]{8}$/);
    expect(outcome.state).toMatchObject({ user: r.subject.email, userSource: "Entra UPN", reviewAllowed: true });
    expect(f.kube.reviews.at(-1)).toMatchObject({ user: r.subject.email, allowed: true });
    expect(f.kube.allows(r.subject.email, PODS)).toBe(true);
    expect(outcome.instructions.endEnforcedBy).toBe("the cluster");
    expect(JSON.stringify(outcome.instructions)).not.toMatch(/fake-graph-token|k8s-aws-v1/);
    expect(outcome.instructions.sections.some((s) => s.secret)).toBe(false);
  });

  it("binds a guest (a UPN with #EXT#) by object id, as AKS names users of another tenant", async () => {
    const f = await fixture({ kind: "aks" });
    const email = `guest-${randomUUID().slice(0, 6)}@partner.example`;
    const guest = f.graph?.directory.addUser({
      userPrincipalName: `${email.replace("@", "_")}#EXT#@contoso.onmicrosoft.com`,
      mail: email,
    });
    const r = {
      ...f.request(`unused-${randomUUID().slice(0, 4)}@example.com`),
      subject: { slackUserId: "U0G", email, name: "G" },
    };
    const outcome = await f.provider.grant(r);
    expect(outcome.state.user).toBe(guest?.id);
    expect(f.kube.allows(guest?.id ?? "", PODS)).toBe(true);
  });

  it("is idempotent: a second grant meets 409 AlreadyExists, reads the binding back and finds it its own", async () => {
    const f = await fixture({ kind: "aks" });
    const r = f.request();
    await f.provider.grant(r);
    const again = await f.provider.grant(r);
    expect(again.state.reviewAllowed).toBe(true);
    expect(f.kube.bindingsOf(r.subject.email)).toHaveLength(1);
    expect(f.kube.calls.filter((c) => c.method === "POST" && c.status === 409)).toHaveLength(1);
  });

  it("refuses to adopt a binding of the same name that is not its own for this request", async () => {
    const f = await fixture({ kind: "aks" });
    const r = f.request();
    await f.provider.grant(r);
    const [binding] = f.kube.bindingsOf(r.subject.email);
    if (!binding) throw new Error("no binding");
    binding.subjects = [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "mallory@example.com" }];
    const error = await failure(f.provider.grant(r));
    expect(error.code).toBe("INVALID_REQUEST");
    expect(error.userMessage).toMatch(/already has a RoleBinding jitbot-jr-.* that jitbot did not make for JR-/);
    expect(f.kube.bindingsOf("mallory@example.com")).toHaveLength(1);
  });

  it("revokes idempotently (404 = already gone) and the read-back proves the cluster denies, with the lag", async () => {
    const f = await fixture({ kind: "aks" });
    const r = f.request();
    const outcome = await f.provider.grant(r);
    const grant = f.active(r, outcome.state);
    expect((await f.provider.readBack(grant)).status).toBe("present");
    expect((await f.provider.revoke(grant)).detail).toMatch(
      /^deleted RoleBinding jitbot-jr-.* in namespace payments on cluster prod-aks$/,
    );
    expect((await f.provider.revoke(grant)).detail).toMatch(/was already gone$/);
    const proof = await f.provider.readBack(grant);
    expect(proof.status).toBe("gone");
    expect(proof.detail).toMatch(
      new RegExp(
        `^cluster prod-aks denies ${r.subject.email.replace(".", "\\.")} get pods in payments \\(SubjectAccessReview\\), \\d+\\.\\d{3} s after the end$`,
      ),
    );
    expect(f.kube.allows(r.subject.email, PODS)).toBe(false);
  });

  it("measures an early end's lag from the first delete, not from a retried one", async () => {
    const f = await fixture({ kind: "aks" });
    const r = f.request();
    const grant = f.active(r, (await f.provider.grant(r)).state);
    await f.provider.revoke(grant);
    f.clock.advance(5_000);
    await f.provider.revoke(grant);
    f.clock.advance(2_000);
    expect((await f.provider.readBack(grant)).detail).toMatch(/, 7\.000 s after the end$/);
  });

  it("reads back 'present' while another binding still gives the person the access (the revoker then keeps it due)", async () => {
    const f = await fixture({ kind: "aks" });
    const r = f.request();
    const grant = f.active(r, (await f.provider.grant(r)).state);
    f.kube.roleBindings.set("payments/standing", {
      metadata: { name: "standing", namespace: "payments" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
      subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: r.subject.email }],
    });
    await f.provider.revoke(grant);
    const proof = await f.provider.readBack(grant);
    expect(proof).toMatchObject({ status: "present" });
    expect(proof.detail).toContain('allowed by RoleBinding "standing/payments"');
  });

  it("rolls back without stored state: the binding is found by its name", async () => {
    const f = await fixture({ kind: "aks" });
    const r = f.request();
    await f.provider.grant(r);
    const rollback = f.active(r, ROLLBACK_STATE);
    expect((await f.provider.revoke(rollback)).detail).toMatch(/^deleted /);
    expect(await f.provider.readBack(rollback)).toMatchObject({ status: "gone" });
    expect(f.kube.bindingsOf(r.subject.email)).toEqual([]);
  });

  it("fails a grant the review does not confirm, and removes the binding it made", async () => {
    const f = await fixture({ kind: "aks", grant: { review: { verb: "get", resource: "secrets" } } });
    const r = f.request();
    const error = await failure(f.provider.grant(r));
    expect(error.code).toBe("INVALID_REQUEST");
    expect(error.userMessage).toContain(`still refuses ${r.subject.email} get secrets in payments`);
    expect(error.userMessage).toContain("jitbot removed the binding");
    expect(f.kube.bindingsOf(r.subject.email)).toEqual([]);
    // Asked again over the cache's settling time before giving up.
    expect(f.kube.reviews.filter((x) => x.user === r.subject.email)).toHaveLength(5);
  });

  it("names a missing role and creates nothing (the API server itself would accept the binding)", async () => {
    const f = await fixture({
      kind: "aks",
      grant: { roleRef: { kind: "ClusterRole", name: "no-such-role" } },
      roleNames: ["no-such-role"],
    });
    const r = f.request();
    const error = await failure(f.provider.grant(r));
    expect(error).toMatchObject({
      code: "NOT_FOUND",
      userMessage: expect.stringContaining("Cluster prod-aks has no ClusterRole no-such-role"),
    });
    expect(f.kube.bindingsOf(r.subject.email)).toEqual([]);
  });

  it("says which RBAC jitbot lacks when the cluster forbids the bind (escalation prevention)", async () => {
    const f = await fixture({ kind: "aks", roleNames: ["edit"] });
    f.kube.clusterRoles.set("jitbot", [
      ...(f.kube.clusterRoles.get("jitbot") ?? []),
      {
        apiGroups: ["rbac.authorization.k8s.io"],
        resources: ["clusterroles"],
        verbs: ["get"],
        resourceNames: ["view"],
      },
    ]);
    const error = await failure(f.provider.grant(f.request()));
    expect(error.code).toBe("FORBIDDEN");
    expect(error.userMessage).toMatch(
      /^Cluster prod-aks does not allow jitbot to create RoleBinding .* is attempting to grant RBAC permissions not currently held/,
    );
  });
});

describe("kubernetes-rolebinding on EKS", () => {
  it("binds the access entry's username rendered from the session name (@ becomes -)", async () => {
    const f = await fixture({ kind: "eks" });
    const r = f.request("alice@example.com");
    const outcome = await f.provider.grant(r);
    expect(outcome.state).toMatchObject({ user: "jitbot:alice-example.com", reviewAllowed: true });
    expect(f.kube.allows("jitbot:alice-example.com", PODS)).toBe(true);
  });

  it("makes a ClusterRoleBinding when the grant names no namespace", async () => {
    const f = await fixture({ kind: "eks", grant: { namespace: undefined } });
    const r = f.request("bob@example.com");
    const grant = f.active(r, (await f.provider.grant(r)).state);
    expect(f.kube.clusterRoleBindings.size).toBe(2); // jitbot's own and the person's
    expect(f.kube.allows("jitbot:bob-example.com", { ...PODS, namespace: "default" })).toBe(true);
    await f.provider.revoke(grant);
    expect((await f.provider.readBack(grant)).detail).toContain("denies jitbot:bob-example.com get pods cluster-wide");
  });

  it("answers a refused token (401) with a sentence about the cluster trusting jitbot", async () => {
    const f = await fixture({ kind: "eks", eksClusterName: "someone-else" });
    const error = await failure(f.provider.grant(f.request("carol@example.com")));
    expect(error.code).toBe("FORBIDDEN");
    expect(error.userMessage).toMatch(/^Cluster prod-eks did not accept jitbot's token \(401 Unauthorized\)/);
    expect(error.userMessage).not.toMatch(/k8s-aws-v1/);
  });

  it("answers an unreachable cluster with UNAVAILABLE (retried), on grant, revoke and read-back alike", async () => {
    const f = await fixture({ kind: "eks", server: "https://127.0.0.1:9" });
    const r = f.request("dave@example.com");
    for (const call of [
      () => f.provider.grant(r),
      () => f.provider.revoke(f.active(r)),
      () => f.provider.readBack(f.active(r)),
    ]) {
      const error = await failure(call());
      expect(error).toMatchObject({ code: "UNAVAILABLE", retryable: true });
      expect(error.userMessage).toMatch(
        /^jitbot could not reach the API server of cluster prod-eks \(https:\/\/127\.0\.0\.1:9\)/,
      );
    }
  });
});
