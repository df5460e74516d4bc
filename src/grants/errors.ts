/**
 * What a provider failure means for the bot. `userMessage` is one sentence that names the fix and
 * is safe to show in Slack: it never carries a secret, a token or a raw response body.
 */
export type ProviderErrorCode =
  | "THROTTLED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "IDENTITY_NOT_FOUND"
  | "INVALID_REQUEST"
  | "UNAVAILABLE"
  /** The provider said the access was removed, but reading it back still shows it. */
  | "NOT_REVOKED"
  | "UNKNOWN";

export class ProviderError extends Error {
  readonly code: ProviderErrorCode;
  readonly userMessage: string;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(
    code: ProviderErrorCode,
    userMessage: string,
    options: { retryable?: boolean; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(userMessage, { cause: options.cause });
    this.name = "ProviderError";
    this.code = code;
    this.userMessage = userMessage;
    this.retryable = options.retryable ?? (code === "THROTTLED" || code === "UNAVAILABLE");
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function isProviderError(value: unknown): value is ProviderError {
  return value instanceof ProviderError;
}
