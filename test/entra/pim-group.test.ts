import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isProviderError } from "../../src/grants/errors.js";
import { canCheckRequest } from "../../src/grants/provider.js";
import { activeGrantOf } from "../contract/provider-contract.js";
import { type EntraFixture, startEntraFixture, userIdOf } from "./harness.js";

const REQUESTS = "/identityGovernance/privilegedAccess/group/assignmentScheduleRequests";

describe("entra-pim-group", () => {
  let f: EntraFixture;
  beforeAll(async () => {
    f = await startEntraFixture();
  });
  afterAll(() => f.close());
  const provider = () => f.provider("entra-pim-group");

  it("asks PIM for an adminAssign that Entra ends by itself after the duration, with justification and ticket", async () => {
    const request = f.newRequest("aks-pim");
    const outcome = await provider().grant(request);
    const call = f.graph.calls.filter((c) => c.method === "POST" && c.path === REQUESTS).at(-1);
    expect(call?.body).toMatchObject({
      action: "adminAssign",
      accessId: "member",
      groupId: f.groupId,
      principalId: userIdOf(f, request.subject.email),
      justification: expect.stringContaining("investigating incident INC-1"),
      scheduleInfo: {
        startDateTime: request.startsAt.toISOString(),
        expiration: { type: "afterDuration", duration: "PT1H" },
      },
      ticketInfo: { ticketNumber: "OPS-42" },
    });
    expect(outcome.providerExpiresAt?.getTime()).toBe(request.expiresAt.getTime());
    expect(outcome.instructions.summary).toMatch(/Entra ends it by itself/);
  });

  it("ends early with adminRemove, and an assignment PIM already ended counts as revoked", async () => {
    const request = f.newRequest("aks-pim");
    const grant = activeGrantOf(request, await provider().grant(request));
    f.clock.advance(5 * 60_000);
    expect((await provider().revoke(grant)).detail).toMatch(/removed/);
    expect(f.graph.calls.at(-1)?.body).toMatchObject({ action: "adminRemove", accessId: "member", groupId: f.groupId });
    expect((await provider().revoke(grant)).detail).toMatch(/had already ended/);
  });

  it("refuses at request time what PIM could never grant (under five minutes), not 8 h, an activation cap", () => {
    const p = provider();
    if (!canCheckRequest(p)) throw new Error("entra-pim-group should check requests");
    const profile = f.policy.profiles[1]!;
    expect(p.checkRequest(profile, 12 * 3600)).toBeUndefined();
    expect(p.checkRequest(profile, 5 * 60)).toBeUndefined();
    expect(p.checkRequest(profile, 4 * 60)).toMatch(/shorter than 5m/);
  });

  it("grants beyond 8 h when the group's PIM policy allows it", async () => {
    const request = { ...f.newRequest("aks-pim"), durationSeconds: 12 * 3600 };
    await provider().grant(request);
    expect(f.graph.calls.at(-1)?.body).toMatchObject({ scheduleInfo: { expiration: { duration: "PT12H" } } });
  });

  it("turns the group's PIM policy refusal (ExpirationRule) into one sentence naming the fix", async () => {
    f.graph.directory.pimPolicies.set(f.groupId, { isExpirationRequired: true, maximumDuration: "PT2H" });
    try {
      const failure = await provider()
        .grant({ ...f.newRequest("aks-pim"), durationSeconds: 3 * 3600 })
        .catch((e: unknown) => e);
      expect(isProviderError(failure) && { code: failure.code, retryable: failure.retryable }).toEqual({
        code: "INVALID_REQUEST",
        retryable: false,
      });
      expect(isProviderError(failure) && failure.userMessage).toMatch(
        /group's PIM policy does not allow this long an active assignment.*"Expire active assignment after"/,
      );
    } finally {
      f.graph.directory.pimPolicies.delete(f.groupId);
    }
  });

  it("retries, not fails, a revoke inside PIM's first five minutes", async () => {
    const request = f.newRequest("aks-pim");
    const grant = activeGrantOf(request, await provider().grant(request));
    const early = await provider()
      .revoke(grant)
      .catch((e: unknown) => e);
    expect(isProviderError(early) && { retryable: early.retryable, after: early.retryAfterMs }).toEqual({
      retryable: true,
      after: 5 * 60_000,
    });
    expect(isProviderError(early) && early.userMessage).toMatch(/within five minutes .* retry in five minutes/);
    f.clock.advance(5 * 60_000);
    expect((await provider().revoke(grant)).detail).toMatch(/removed/);
  });

  it("names PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup when Graph answers 403", async () => {
    f.graph.forbidNext(/assignmentScheduleRequests$/);
    const failure = await provider()
      .grant(f.newRequest("aks-pim"))
      .catch((e: unknown) => e);
    expect(isProviderError(failure) && failure.code).toBe("FORBIDDEN");
    expect(isProviderError(failure) && failure.userMessage).toContain(
      "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup",
    );
  });
});
