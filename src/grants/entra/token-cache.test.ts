import type { AccessToken, TokenCredential } from "@azure/identity";
import { describe, expect, it } from "vitest";
import { CachedTokenProvider, REFRESH_BEFORE_EXPIRY_MS } from "./token-cache.js";

const HOUR = 3_600_000;
const SCOPE = "https://graph.microsoft.com/.default";

/** A credential that hands out numbered tokens valid for an hour from `now`, or fails when told to. */
function credential(clock: { now: number }) {
  const asked: string[][] = [];
  let failing = false;
  const source: TokenCredential = {
    getToken: async (scopes) => {
      asked.push([scopes].flat());
      if (failing) throw new Error("the managed identity endpoint is unreachable");
      const token: AccessToken = { token: `token-${asked.length}`, expiresOnTimestamp: clock.now + HOUR };
      return token;
    },
  };
  const fail = (value: boolean) => {
    failing = value;
  };
  return { source, asked, fail };
}

describe("CachedTokenProvider", () => {
  it("asks the credential once for a burst of Graph calls, with Graph's scope", async () => {
    const clock = { now: 0 };
    const c = credential(clock);
    const provider = new CachedTokenProvider(c.source, [SCOPE], () => clock.now);
    const tokens = await Promise.all(Array.from({ length: 50 }, () => provider.getAccessToken()));
    expect(new Set(tokens)).toEqual(new Set(["token-1"]));
    expect(await provider.getAccessToken()).toBe("token-1");
    expect(c.asked).toEqual([[SCOPE]]);
  });

  it.each([
    { case: "well before expiry keeps the token", at: HOUR - REFRESH_BEFORE_EXPIRY_MS - 1, token: "token-1" },
    { case: "inside the refresh window asks anew", at: HOUR - REFRESH_BEFORE_EXPIRY_MS, token: "token-2" },
    { case: "after expiry asks anew", at: HOUR + 1, token: "token-2" },
  ])("$case", async ({ at, token }) => {
    const clock = { now: 0 };
    const provider = new CachedTokenProvider(credential(clock).source, [SCOPE], () => clock.now);
    await provider.getAccessToken();
    clock.now = at;
    expect(await provider.getAccessToken()).toBe(token);
  });

  it("honours the credential's own refreshAfterTimestamp when it is earlier", async () => {
    const clock = { now: 0 };
    let n = 0;
    const source: TokenCredential = {
      getToken: async () => ({ token: `t${++n}`, expiresOnTimestamp: HOUR, refreshAfterTimestamp: 60_000 }),
    };
    const provider = new CachedTokenProvider(source, [SCOPE], () => clock.now);
    expect(await provider.getAccessToken()).toBe("t1");
    clock.now = 60_000;
    expect(await provider.getAccessToken()).toBe("t2");
  });

  it("a failed early refresh keeps using the unexpired token; once expired, the failure is the caller's", async () => {
    const clock = { now: 0 };
    const c = credential(clock);
    const provider = new CachedTokenProvider(c.source, [SCOPE], () => clock.now);
    await provider.getAccessToken();
    c.fail(true);
    clock.now = HOUR - 60_000;
    expect(await provider.getAccessToken()).toBe("token-1");
    clock.now = HOUR;
    await expect(provider.getAccessToken()).rejects.toThrow("unreachable");
    c.fail(false);
    expect(await provider.getAccessToken()).toMatch(/^token-/);
  });
});
