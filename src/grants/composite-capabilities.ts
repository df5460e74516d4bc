import type { CompositeProvider } from "./composite.js";
import { mergeInstructions, type PartInstructions, partLabel } from "./composite-instructions.js";
import { compositeEnds, type Part, partEnds, partGrant, withPartState } from "./composite-state.js";
import { isProviderError, ProviderError } from "./errors.js";
import {
  type ActiveGrant,
  type CredentialRefresher,
  canCheckRequest,
  canExtend,
  canReadBack,
  canRefresh,
  type Extender,
  type ExtendOutcome,
  type GrantOutcome,
  type GrantProvider,
  type ReadBack,
  type RequestChecker,
  type RevokeReader,
} from "./provider.js";

type Composite = GrantProvider & Partial<RevokeReader & Extender & CredentialRefresher & RequestChecker>;

/**
 * The composite's optional abilities, each present only when it can be honest: a read-back and an
 * extension need every part to support them (a part that cannot move its end, or cannot be read,
 * would make the whole a lie); a refresh and a request check need one part that has them.
 */
export function compositeReads(base: CompositeProvider): GrantProvider {
  const parts = base.parts;
  const every = (has: (provider: GrantProvider) => boolean) =>
    parts.every((part) => part.provider !== undefined && has(part.provider));
  const composite: Composite = {
    type: base.type,
    grant: (request) => base.grant(request),
    revoke: (grant) => base.revoke(grant),
  };
  if (every(canReadBack)) composite.readBack = (grant) => readBackAll(parts, grant);
  if (every(canExtend)) composite.extend = (grant, expiresAt, now) => extendAll(parts, grant, expiresAt, now);
  if (parts.some((part) => part.provider && canRefresh(part.provider))) {
    composite.refresh = (grant, now) => refreshSome(parts, grant, now);
  }
  if (parts.some((part) => part.provider && canCheckRequest(part.provider))) {
    composite.checkRequest = (_profile, seconds) => checkEach(parts, seconds);
  }
  return composite;
}

/** Gone only when every part is gone; present when any part still shows; else unrecallable. */
async function readBackAll(parts: readonly Part[], grant: ActiveGrant): Promise<ReadBack> {
  const reads: { part: Part; read: ReadBack }[] = [];
  for (const part of parts) {
    const provider = part.provider;
    if (!provider || !canReadBack(provider)) throw new Error(`part ${part.label} cannot be read back`);
    reads.push({ part, read: await provider.readBack(partGrant(grant, part)) });
  }
  const status = reads.some(({ read }) => read.status === "present")
    ? "present"
    : reads.every(({ read }) => read.status === "gone")
      ? "gone"
      : "unrecallable";
  return { status, detail: reads.map(({ part, read }) => `${part.label}: ${read.detail}`).join("; ") };
}

async function extendAll(
  parts: readonly Part[],
  grant: ActiveGrant,
  expiresAt: Date,
  now: Date,
): Promise<ExtendOutcome> {
  let state = grant.state;
  const details: string[] = [];
  const renewed: PartInstructions[] = [];
  for (const part of parts) {
    const provider = part.provider;
    if (!provider || !canExtend(provider)) throw new Error(`part ${part.label} cannot be extended`);
    let outcome: ExtendOutcome;
    try {
      outcome = await provider.extend(partGrant(grant, part), expiresAt, now);
    } catch (error) {
      const done = parts.slice(0, part.index).map(partLabelOf);
      const moved = done.length
        ? ` ${done.join(", ")} already end later in the cloud, but jitbot still ends every part at the original time.`
        : "";
      const why = isProviderError(error) ? error.userMessage : "it failed unexpectedly inside jitbot.";
      throw new ProviderError(
        isProviderError(error) ? error.code : "UNKNOWN",
        `Extending ${part.label} failed: ${why}${moved}`,
        {
          cause: error,
        },
      );
    }
    const ends = outcome.providerExpiresAt ?? partEnds(state, part.index);
    state = withPartState(state, part.index, part.profile, outcome.state, ends);
    details.push(`${part.label}: ${outcome.detail}`);
    if (outcome.instructions)
      renewed.push({ part: part.profile, instructions: outcome.instructions, providerExpiresAt: ends });
  }
  return {
    state,
    providerExpiresAt: compositeEnds(state, parts.length),
    instructions: renewed.length ? mergeInstructions(renewed, expiresAt) : undefined,
    detail: details.join("; "),
  };
}

/** Fresh credentials for the parts that issue them; the others keep theirs. */
async function refreshSome(parts: readonly Part[], grant: ActiveGrant, now: Date): Promise<GrantOutcome> {
  let state = grant.state;
  const renewed: PartInstructions[] = [];
  for (const part of parts) {
    const provider = part.provider;
    if (!provider || !canRefresh(provider)) continue;
    const outcome = await provider.refresh(partGrant(grant, part), now);
    state = withPartState(state, part.index, part.profile, outcome.state, outcome.providerExpiresAt);
    renewed.push({
      part: part.profile,
      instructions: outcome.instructions,
      providerExpiresAt: outcome.providerExpiresAt,
    });
  }
  return {
    state,
    instructions: mergeInstructions(renewed, grant.expiresAt),
    providerExpiresAt: compositeEnds(state, parts.length),
  };
}

function checkEach(parts: readonly Part[], seconds: number): string | undefined {
  for (const part of parts) {
    const provider = part.provider;
    if (!provider || !canCheckRequest(provider)) continue;
    const refusal = provider.checkRequest(part.profile, seconds);
    if (refusal) return `${part.label}: ${refusal}`;
  }
  return undefined;
}

const partLabelOf = (part: Part) => partLabel(part.profile);
