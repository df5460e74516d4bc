import type { AccessToken, TokenCredential } from "@azure/identity";
import type { AuthenticationProvider } from "@microsoft/microsoft-graph-client";

/**
 * Asks for a new token this long before the old one expires (or at the credential's own
 * refreshAfterTimestamp, when it names an earlier one): a call never leaves with a token that
 * lapses on the way, and a failed refresh still has minutes of the old token to try again in.
 */
export const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

/**
 * The Graph SDK's TokenCredentialAuthenticationProvider calls `getToken` for every request and
 * builds an Error (a stack trace) each time in case it fails; DefaultAzureCredential then walks
 * its chain and MSAL its cache. Under a mass expiry that was ~4 % of each replica's CPU. This keeps
 * the token until it is due for a refresh, and concurrent calls share one refresh.
 */
export class CachedTokenProvider implements AuthenticationProvider {
  private token: AccessToken | undefined;
  private refreshing: Promise<AccessToken> | undefined;

  constructor(
    private readonly credential: TokenCredential,
    private readonly scopes: string[],
    private readonly now: () => number = Date.now,
  ) {}

  async getAccessToken(): Promise<string> {
    const held = this.token;
    if (held && this.now() < refreshAt(held)) return held.token;
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = undefined;
    });
    try {
      return (await this.refreshing).token;
    } catch (error) {
      // Refreshing early leaves time to try again: the old token still works until it expires.
      if (held && this.now() < held.expiresOnTimestamp) return held.token;
      throw error;
    }
  }

  private async refresh(): Promise<AccessToken> {
    const fresh = await this.credential.getToken(this.scopes);
    if (!fresh) throw new Error("the Azure credential returned no token for Microsoft Graph");
    this.token = fresh;
    return fresh;
  }
}

function refreshAt(token: AccessToken): number {
  const beforeExpiry = token.expiresOnTimestamp - REFRESH_BEFORE_EXPIRY_MS;
  return token.refreshAfterTimestamp === undefined ? beforeExpiry : Math.min(token.refreshAfterTimestamp, beforeExpiry);
}
