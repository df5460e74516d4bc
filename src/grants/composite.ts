import type { CompositeGrant, PartProfile } from "../config/schema.js";
import { compositeReads } from "./composite-capabilities.js";
import { mergeInstructions, type PartInstructions, partLabel } from "./composite-instructions.js";
import {
  compositeEnds,
  isPartRevoked,
  markPartRevoked,
  type Part,
  partGrant,
  withPartState,
} from "./composite-state.js";
import { isProviderError, ProviderError } from "./errors.js";
import {
  type ActiveGrant,
  canReadBack,
  type GrantOutcome,
  type GrantProvider,
  type GrantRequest,
  type ProviderState,
  type RevokeOutcome,
} from "./provider.js";

/**
 * A revoke that removed some parts and not others. The revoker stores `state` (which parts are
 * already gone) before retrying, so a retry does not redo what was done, only checks it.
 */
export class PartialRevokeError extends ProviderError {
  constructor(
    error: ProviderError,
    readonly state: ProviderState,
  ) {
    super(error.code, error.userMessage, { retryAfterMs: error.retryAfterMs, cause: error.cause ?? error });
    this.name = "ProviderError";
  }
}

/** The part's sentence for a failure, and the code the engine reacts to (throttling, not revoked…). */
function partFailure(part: Part, error: unknown, what: string): ProviderError {
  const why = isProviderError(error)
    ? error.userMessage
    : "it failed unexpectedly inside jitbot (an operator can find the details in the logs).";
  const code = isProviderError(error) ? error.code : "UNKNOWN";
  const retryAfterMs = isProviderError(error) ? error.retryAfterMs : undefined;
  return new ProviderError(code, `${what} ${part.label} failed: ${why}`, { retryAfterMs, cause: error });
}

function providerOf(part: Part): GrantProvider {
  if (part.provider) return part.provider;
  throw new ProviderError("INVALID_REQUEST", `No provider is configured for grant type ${part.profile.grant.type}.`);
}

/**
 * Several grants as one, all or nothing: the parts are granted in order and, when one fails, the
 * ones already granted are revoked before the failure is reported (naming the part and why). A
 * revoke removes every part it can, even when one fails; optional abilities exist only when the
 * parts support them (see composite-capabilities.ts).
 */
export class CompositeProvider implements GrantProvider {
  readonly type = "composite" as const;

  constructor(readonly parts: readonly Part[]) {}

  async grant(request: GrantRequest): Promise<GrantOutcome> {
    let state: ProviderState = { parts: this.parts.length };
    const granted: PartInstructions[] = [];
    const applied: { part: Part; state: ProviderState }[] = [];
    for (const part of this.parts) {
      try {
        const outcome = await providerOf(part).grant({ ...request, profile: part.profile });
        state = withPartState(state, part.index, part.profile, outcome.state, outcome.providerExpiresAt);
        applied.push({ part, state: outcome.state });
        granted.push({
          part: part.profile,
          instructions: outcome.instructions,
          providerExpiresAt: outcome.providerExpiresAt,
        });
      } catch (error) {
        const failure = partFailure(part, error, `Granting part ${part.index + 1} of ${this.parts.length},`);
        const undone = await this.undo(applied, request);
        throw new ProviderError(failure.code, `${failure.userMessage}${undone}`, {
          retryAfterMs: failure.retryAfterMs,
          cause: error,
        });
      }
    }
    return {
      state,
      instructions: mergeInstructions(granted, request.expiresAt),
      providerExpiresAt: compositeEnds(state, this.parts.length),
    };
  }

  /** Revokes the parts already granted, newest first; returns the sentence saying how that went. */
  private async undo(applied: { part: Part; state: ProviderState }[], request: GrantRequest): Promise<string> {
    if (!applied.length) return "";
    const stuck: string[] = [];
    for (const { part, state } of [...applied].reverse()) {
      try {
        await providerOf(part).revoke({ ...request, profile: part.profile, state });
      } catch {
        stuck.push(part.label);
      }
    }
    const labels = applied.map(({ part }) => part.label).join(", ");
    if (!stuck.length) return ` What was already granted (${labels}) was rolled back.`;
    return ` Rolling back what was already granted (${labels}) did not finish for ${stuck.join(", ")}; jitbot keeps trying.`;
  }

  async revoke(grant: ActiveGrant): Promise<RevokeOutcome> {
    let state = grant.state;
    const details: string[] = [];
    let failure: ProviderError | undefined;
    for (const part of this.parts) {
      try {
        const own = partGrant(grant, part);
        if (isPartRevoked(state, part.index) && !(await this.stillThere(part, own))) {
          details.push(`${part.label}: removed by an earlier attempt`);
          continue;
        }
        const outcome = await providerOf(part).revoke(own);
        details.push(`${part.label}: ${outcome.detail}`);
        state = markPartRevoked(state, part.index);
      } catch (error) {
        // The other parts are still removed: one cloud's outage must not keep the others' access.
        failure ??= partFailure(part, error, "Revoking");
      }
    }
    if (failure) throw new PartialRevokeError(failure, state);
    return { detail: details.join("; ") };
  }

  /** A part revoked by an earlier attempt is revoked again only if a read-back still shows it. */
  private async stillThere(part: Part, grant: ActiveGrant): Promise<boolean> {
    const provider = providerOf(part);
    if (!canReadBack(provider)) return false;
    return (await provider.readBack(grant)).status === "present";
  }
}

/** The composite for `grant`'s parts, with the optional abilities every part (or any, for refresh) has. */
export function compositeProvider(
  grant: CompositeGrant,
  providerOfType: (type: PartProfile["grant"]["type"]) => GrantProvider | undefined,
): GrantProvider {
  const parts = grant.parts.map((profile, index) => ({
    index,
    profile,
    provider: providerOfType(profile.grant.type),
    label: partLabel(profile),
  }));
  return compositeReads(new CompositeProvider(parts));
}
