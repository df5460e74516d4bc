import type { GrantType } from "../../src/config/schema.js";
import { ProviderError } from "../../src/grants/errors.js";
import type { ActiveGrant, GrantProvider, GrantRequest, RevokeOutcome } from "../../src/grants/provider.js";
import { dryRunProviders } from "../../src/grants/registry.js";
import { type TestBot, waitFor } from "../support/bot.js";
import { fileRequest } from "../support/flow.js";

/** A dry-run provider whose revokes can be made to fail or to wait, to watch retries and readiness. */
export class ControlledProvider implements GrantProvider {
  failRevokes = 0;
  /** While set, every revoke waits for it. */
  gate: Promise<void> | undefined;
  private readonly inner: GrantProvider;

  constructor(readonly type: GrantType) {
    const inner = dryRunProviders().get(type);
    if (!inner) throw new Error(`no dry-run provider for ${type}`);
    this.inner = inner;
  }

  grant(request: GrantRequest) {
    return this.inner.grant(request);
  }

  async revoke(grant: ActiveGrant): Promise<RevokeOutcome> {
    await this.gate;
    if (this.failRevokes > 0) {
      this.failRevokes -= 1;
      throw new ProviderError("UNAVAILABLE", "Microsoft Graph is unavailable; it will retry.", { retryable: true });
    }
    return this.inner.revoke(grant);
  }
}

export function registryWith(provider: ControlledProvider): Map<GrantType, GrantProvider> {
  const providers = dryRunProviders();
  providers.set(provider.type, provider);
  return providers;
}

/** /jit request aks-prod-sre 2h through the modal, approved by the lead, until the grant is active. */
export async function requestAndApprove(t: TestBot): Promise<string> {
  const { id, approval } = await fileRequest(t, "aks-prod-sre", 7200);
  await t.driver.click("U0LEAD", approval, "jit_approve");
  await waitFor(async () => (await t.store.requests.mustGet(id)).status === "active", "the active grant");
  await t.settle();
  return id;
}

export async function scrape(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}

/** The value of the first sample of `name` whose labels include `labels`; undefined if none. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const got = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => got[key] === value)) return Number(match[3]);
  }
  return undefined;
}
