import { createHmac, randomBytes } from "node:crypto";

/**
 * A pending step-up is stored by its `state` only. The PKCE code_verifier and the nonce are
 * HMAC-SHA256 of the state under a secret every replica already holds, so whichever replica
 * answers the callback can recompute them, and a copy of the database alone cannot redeem a code
 * or forge a matching ID token.
 */
export function newState(): string {
  // 256 bits: the state is the only handle on a pending step-up, and it travels in URLs.
  return randomBytes(32).toString("base64url");
}

export interface DerivedChecks {
  /** 43 base64url characters: RFC 7636 §4.1 asks for 43 to 128 unreserved characters. */
  codeVerifier: string;
  nonce: string;
}

export function deriveChecks(key: string, state: string): DerivedChecks {
  const derive = (purpose: string) =>
    createHmac("sha256", key).update(`jitbot step-up ${purpose}\u0000${state}`).digest("base64url");
  return { codeVerifier: derive("pkce code_verifier"), nonce: derive("oidc nonce") };
}

/** A state as newState makes it: anything else is refused before it reaches the database. */
export function isWellFormedState(value: string | null): value is string {
  return value !== null && /^[A-Za-z0-9_-]{43}$/.test(value);
}
