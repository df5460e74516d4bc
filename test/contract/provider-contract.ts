import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isProviderError } from "../../src/grants/errors.js";
import {
  type ActiveGrant,
  canExtend,
  canReadBack,
  type GrantOutcome,
  type GrantProvider,
  type GrantRequest,
} from "../../src/grants/provider.js";

/**
 * What a provider's test brings so the shared contract can run against it: the real provider,
 * talking to a fake server that can be asked what it holds and told to misbehave.
 */
export interface ContractHarness {
  provider: GrantProvider;
  /** A fresh request the provider can grant (a new request id each call). */
  newRequest(): GrantRequest;
  /** Whether the fake cloud currently gives the request's subject the access. */
  isGranted(request: GrantRequest, outcome: GrantOutcome | undefined): Promise<boolean>;
  /** The next `times` calls to the fake answer 429 with Retry-After: 1. */
  throttleNext(times: number): void;
  /** The next call to the fake answers 403. */
  forbidNext(): void;
  /** Moves the fake cloud's clock, where it has one. */
  advance?(ms: number): Promise<void>;
  close(): Promise<void>;
}

export function activeGrantOf(request: GrantRequest, outcome: GrantOutcome): ActiveGrant {
  return {
    requestId: request.requestId,
    profile: request.profile,
    subject: request.subject,
    expiresAt: request.expiresAt,
    state: outcome.state,
    providerExpiresAt: outcome.providerExpiresAt,
  };
}

/** The rules every provider keeps. Runs once per provider; `setup` starts its fakes. */
export function providerContract(name: string, setup: () => Promise<ContractHarness>): void {
  describe(`${name} keeps the provider contract`, () => {
    let h: ContractHarness;
    beforeAll(async () => {
      h = await setup();
    });
    afterAll(async () => {
      await h?.close();
    });

    it("grants, and granting the same request twice changes nothing more", async () => {
      const request = h.newRequest();
      const first = await h.provider.grant(request);
      const second = await h.provider.grant(request);
      expect(await h.isGranted(request, second)).toBe(true);
      expect(first.instructions.summary.length).toBeGreaterThan(0);
      await h.provider.revoke(activeGrantOf(request, second));
    });

    it("revokes, and revoking twice is still a success", async () => {
      const request = h.newRequest();
      const outcome = await h.provider.grant(request);
      const grant = activeGrantOf(request, outcome);
      await h.provider.revoke(grant);
      await h.provider.revoke(grant);
      expect(await h.isGranted(request, outcome)).toBe(false);
    });

    it("reads back the access: there after the grant, gone after the revoke, without changing anything", async () => {
      expect(canReadBack(h.provider)).toBe(true);
      if (!canReadBack(h.provider)) return;
      const request = h.newRequest();
      const outcome = await h.provider.grant(request);
      const grant = activeGrantOf(request, outcome);
      expect((await h.provider.readBack(grant)).status).toBe("present");
      expect(await h.isGranted(request, outcome)).toBe(true);
      await h.provider.revoke(grant);
      expect(await h.provider.readBack(grant)).toMatchObject({
        status: "gone",
        detail: expect.stringMatching(/\w+ \w+/),
      });
    });

    it("revoking what was never granted is a success", async () => {
      const request = h.newRequest();
      const neverGranted: GrantOutcome = { state: {}, instructions: { summary: "", sections: [], notes: [] } };
      await expect(h.provider.revoke(activeGrantOf(request, neverGranted))).resolves.toBeDefined();
    });

    it("rides out throttling (429 + Retry-After) or reports it as retryable", async () => {
      const request = h.newRequest();
      h.throttleNext(1);
      try {
        const outcome = await h.provider.grant(request);
        expect(await h.isGranted(request, outcome)).toBe(true);
        await h.provider.revoke(activeGrantOf(request, outcome));
      } catch (error) {
        expect(isProviderError(error) && error.code === "THROTTLED" && error.retryable).toBe(true);
      }
    });

    it("turns a 403 into a FORBIDDEN error with a sentence, and grants nothing", async () => {
      const request = h.newRequest();
      h.forbidNext();
      const failure = await h.provider.grant(request).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isProviderError(failure)).toBe(true);
      if (!isProviderError(failure)) return;
      expect(failure.code).toBe("FORBIDDEN");
      expect(failure.userMessage).toMatch(/\w+ \w+/);
      expect(await h.isGranted(request, undefined)).toBe(false);
    });

    // Last: its revoke writes a deny that would cover sessions issued later in the same second.
    it("extends an active grant (never a silent no-op at the port), which stays granted and still revokes", async () => {
      expect(canExtend(h.provider)).toBe(true);
      if (!canExtend(h.provider)) return;
      // Past the earlier revokes' second: a deny written then also covers sessions issued in it.
      await h.advance?.(2_000);
      const request = h.newRequest();
      const outcome = await h.provider.grant(request);
      expect(await h.isGranted(request, outcome)).toBe(true);
      const later = new Date(request.expiresAt.getTime() + 1800_000);
      const extended = await h.provider.extend(activeGrantOf(request, outcome), later, request.startsAt);
      expect(extended.detail.length).toBeGreaterThan(0);
      const now: GrantOutcome = {
        state: extended.state,
        instructions: extended.instructions ?? outcome.instructions,
        providerExpiresAt: extended.providerExpiresAt ?? outcome.providerExpiresAt,
      };
      expect(await h.isGranted(request, now)).toBe(true);
      await h.provider.revoke({ ...activeGrantOf(request, now), expiresAt: later });
      expect(await h.isGranted(request, now)).toBe(false);
    });
  });
}
