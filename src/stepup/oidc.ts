import * as oidc from "openid-client";
import type { Clock } from "../domain/clock.js";
import { deriveChecks } from "./derive.js";
import { redirectUri, type StepUpSettings } from "./settings.js";

/** Entra's endpoints answer in well under a second; a sign-in page must not hang on them. */
const TIMEOUT_SECONDS = 10;

/** Who signed in, from an ID token whose signature, issuer, audience, lifetime and nonce verified. */
export interface SignedIn {
  /** email, preferred_username and upn as the token has them, lower-cased. */
  names: string[];
  /** The Entra object id, for the audit trail. */
  oid: string | undefined;
  /** Authentication contexts the sign-in satisfied (Entra's optional `acrs` claim). */
  acrs: string[];
}

export type SignInOutcome =
  | { ok: true; signedIn: SignedIn }
  /** `why` is one clause naming what failed, safe to show (no token, code or secret in it). */
  | { ok: false; kind: "refused" | "unverified" | "context" | "unavailable"; why: string };

/**
 * jitbot's own OpenID Connect sign-in against Entra ID: authorization code with PKCE (S256), state
 * and nonce, through openid-client. Discovery is read at each step rather than cached, so any
 * replica can take either step and a rotated signing key is simply fetched again.
 */
export class OidcSignIn {
  constructor(
    private readonly settings: StepUpSettings,
    private readonly clock: Clock,
  ) {}

  get redirectUri(): string {
    return redirectUri(this.settings.publicUrl);
  }

  /** The Entra sign-in page for `state`, its challenge and nonce derived from the state. */
  async authorizationUrl(
    state: string,
    options: { loginHint: string | undefined; authenticationContext: string | undefined },
  ): Promise<URL> {
    const config = await this.configuration();
    const { codeVerifier, nonce } = deriveChecks(this.settings.derivationKey, state);
    const parameters: Record<string, string> = {
      redirect_uri: this.redirectUri,
      scope: "openid profile email",
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: "S256",
      state,
      nonce,
      // A step-up proves the approver is at the keyboard now: an existing session is not enough.
      prompt: "login",
    };
    if (options.loginHint) parameters.login_hint = options.loginHint;
    if (options.authenticationContext) {
      // OIDC Core §5.5 claims request; Entra puts `acrs` in the ID token once the app opts in to it.
      parameters.claims = JSON.stringify({
        id_token: { acrs: { essential: true, value: options.authenticationContext } },
      });
    }
    return oidc.buildAuthorizationUrl(config, parameters);
  }

  /** Redeems the code the browser came back with and verifies the ID token; never throws. */
  async complete(
    query: URLSearchParams,
    state: string,
    authenticationContext: string | undefined,
  ): Promise<SignInOutcome> {
    let config: oidc.Configuration;
    try {
      config = await this.configuration();
    } catch (error) {
      return { ok: false, kind: "unavailable", why: `Entra ID could not be reached (${reason(error)})` };
    }
    const { codeVerifier, nonce } = deriveChecks(this.settings.derivationKey, state);
    const current = new URL(this.redirectUri);
    for (const [key, value] of query) current.searchParams.append(key, value);
    let claims: oidc.IDToken | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: codeVerifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (error) {
      return classify(error);
    }
    if (!claims) return { ok: false, kind: "unverified", why: "Entra ID returned no ID token" };
    const acrs = Array.isArray(claims.acrs) ? claims.acrs.filter((v): v is string => typeof v === "string") : [];
    if (authenticationContext && !acrs.some((acr) => acr.toLowerCase() === authenticationContext)) {
      return {
        ok: false,
        kind: "context",
        why: `the sign-in did not satisfy the authentication context ${authenticationContext} this profile asks for`,
      };
    }
    const names = [claims.email, claims.preferred_username, claims.upn]
      .filter((v): v is string => typeof v === "string" && v.length > 0)
      .map((v) => v.trim().toLowerCase());
    return { ok: true, signedIn: { names, oid: typeof claims.oid === "string" ? claims.oid : undefined, acrs } };
  }

  private configuration(): Promise<oidc.Configuration> {
    const { issuer, clientId, clientSecret } = this.settings;
    // The ID token's exp/nbf are judged by the bot's clock (the injected one), not the machine's.
    const skew = Math.round((this.clock.now().getTime() - Date.now()) / 1000);
    return oidc.discovery(
      issuer,
      clientId,
      { client_secret: clientSecret, [oidc.clockSkew]: skew },
      oidc.ClientSecretPost(clientSecret),
      {
        timeout: TIMEOUT_SECONDS,
        // openid-client trusts an ID token from the token endpoint on TLS alone (OIDC Core 3.1.3.7
        // allows it); the audit row says this person signed in, so the token's own signature is
        // checked against the tenant's JWKS as well.
        execute: [oidc.enableNonRepudiationChecks],
      },
    );
  }
}

function reason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // openid-client wraps oauth4webapi's precise message ("JWT signature verification failed") as the cause.
  const inner = error.cause instanceof Error ? error.cause.message : undefined;
  return inner && inner !== error.message ? `${error.message}: ${inner}` : error.message;
}

function classify(error: unknown): SignInOutcome {
  if (error instanceof oidc.AuthorizationResponseError) {
    return { ok: false, kind: "refused", why: `Entra ID ended the sign-in (${error.error})` };
  }
  if (error instanceof oidc.ResponseBodyError) {
    return { ok: false, kind: "refused", why: `Entra ID would not redeem the sign-in (${error.error})` };
  }
  if (error instanceof oidc.ClientError && (error.code === "OAUTH_TIMEOUT" || error.code === "OAUTH_ABORT")) {
    return { ok: false, kind: "unavailable", why: "Entra ID did not answer in time" };
  }
  if (error instanceof TypeError) {
    return { ok: false, kind: "unavailable", why: `Entra ID could not be reached (${error.message})` };
  }
  return { ok: false, kind: "unverified", why: `the ID token did not pass its checks (${reason(error)})` };
}
