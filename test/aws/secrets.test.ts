import { describe, expect, it } from "vitest";
import type { GrantOutcome } from "../../src/grants/provider.js";
import { activeGrantOf } from "../contract/provider-contract.js";
import { profileOf, requestFor, startWorld } from "./helpers.js";

/**
 * Secrets exist only in the DM: no ProviderState (which the store writes to SQLite), no revoke
 * detail (audit log), no error and no logger call may carry a secret access key or session token.
 */
describe("aws-role keeps secrets out of state, audit details, errors and logs", () => {
  it.each([
    ["revokeSessions on", ", revokeSessions: true"],
    ["revokeSessions off", ""],
  ])("%s", async (_sentence, roleGrant) => {
    const w = await startWorld(roleGrant);
    try {
      const profile = profileOf(w.policy, "eks-pod-manager");
      const stored: unknown[] = [];
      const outcomes: GrantOutcome[] = [];
      for (const duration of [300, 3600, 8 * 3600]) {
        if (w.awsRole.checkRequest(profile, duration)) continue;
        const request = requestFor(profile, w.clock, duration);
        const outcome = await w.awsRole.grant(request);
        outcomes.push(outcome);
        stored.push(outcome.state, outcome.providerExpiresAt);
        const grant = activeGrantOf(request, outcome);
        await w.clock.advance(600_000);
        const refreshed = await w.awsRole.refresh(grant, w.clock.now()).catch((error: unknown) => error);
        stored.push(refreshed instanceof Error ? refreshed.message : (refreshed as GrantOutcome).state);
        stored.push(await w.awsRole.revoke(grant));
      }
      w.fake.forbidNext();
      stored.push(await w.awsRole.grant(requestFor(profile, w.clock)).catch((error: unknown) => String(error)));

      const secrets = w.fake.sessions.flatMap((s) => [s.secretAccessKey, s.sessionToken]);
      expect(secrets.length).toBeGreaterThan(4);
      const scanned = JSON.stringify([stored, w.warnings]);
      for (const secret of secrets) expect(scanned).not.toContain(secret);
      // The DM does carry them, in secret sections only.
      for (const outcome of outcomes) {
        const open = JSON.stringify(outcome.instructions.sections.filter((s) => !s.secret));
        const hidden = JSON.stringify(outcome.instructions.sections.filter((s) => s.secret));
        expect(secrets.some((secret) => hidden.includes(secret))).toBe(true);
        for (const secret of secrets) expect(open + outcome.instructions.summary).not.toContain(secret);
      }
    } finally {
      await w.fake.close();
    }
  });
});
