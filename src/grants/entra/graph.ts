import type { TokenCredential } from "@azure/identity";
import { DefaultAzureCredential } from "@azure/identity";
import {
  AuthenticationHandler,
  Client,
  HTTPMessageHandler,
  RedirectHandler,
  RedirectHandlerOptions,
  RetryHandler,
  RetryHandlerOptions,
  TelemetryHandler,
} from "@microsoft/microsoft-graph-client";
import { type ThrottleWatch, ThrottleWatchHandler } from "./throttle-watch.js";
import { CachedTokenProvider } from "./token-cache.js";

export const DEFAULT_GRAPH_BASE_URL = "https://graph.microsoft.com";

/** How often a throttled (429) or unavailable (503/504) call is tried again before we give up. */
export const GRAPH_MAX_RETRIES = 3;
/** Seconds to wait before a retry when Graph sends no Retry-After (it usually does). */
const GRAPH_RETRY_DELAY_SECONDS = 1;

export interface GraphClientOptions {
  env: NodeJS.ProcessEnv;
  /** Tests and special set-ups may bring their own; production uses DefaultAzureCredential. */
  credential?: TokenCredential;
  maxRetries?: number;
  /** Told of every 429 Graph answers, retried or not (the read-backs' coalescing window follows it). */
  throttle?: ThrottleWatch;
}

export interface GraphEndpoint {
  baseUrl: string;
  host: string;
  scope: string;
}

/**
 * GRAPH_BASE_URL selects the cloud (graph.microsoft.us, microsoftgraph.chinacloudapi.cn…). The token
 * scope follows the same origin, as each national cloud's Graph is its own resource.
 */
export function graphEndpoint(env: NodeJS.ProcessEnv): GraphEndpoint {
  const raw = env.GRAPH_BASE_URL?.trim() || DEFAULT_GRAPH_BASE_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`GRAPH_BASE_URL ${JSON.stringify(raw)} is not a URL (expected e.g. ${DEFAULT_GRAPH_BASE_URL})`);
  }
  if (url.protocol !== "https:") {
    // The Graph SDK only attaches the bearer token to https hosts; over http every call would be 401.
    throw new Error(`GRAPH_BASE_URL must use https (got ${url.protocol}//${url.host})`);
  }
  return { baseUrl: url.origin, host: url.hostname, scope: `${url.origin}/.default` };
}

/**
 * One Graph client for all Entra providers. The configured host is registered in `customHosts`:
 * the SDK otherwise drops the Authorization header for any host it does not know as Graph (national
 * clouds behind a proxy, the test fake). The middleware chain is the SDK default with a bounded retry
 * that honours Retry-After on 429/503/504.
 */
export function createGraphClient(options: GraphClientOptions): Client {
  const endpoint = graphEndpoint(options.env);
  const credential = options.credential ?? new DefaultAzureCredential();
  const authProvider = new CachedTokenProvider(credential, [endpoint.scope]);

  const auth = new AuthenticationHandler(authProvider);
  const retry = new RetryHandler(
    new RetryHandlerOptions(GRAPH_RETRY_DELAY_SECONDS, options.maxRetries ?? GRAPH_MAX_RETRIES),
  );
  const redirect = new RedirectHandler(new RedirectHandlerOptions());
  const telemetry = new TelemetryHandler();
  auth.setNext(retry);
  if (options.throttle) {
    // After the retry handler, so each attempt is seen, including the ones it waits out itself.
    const watch = new ThrottleWatchHandler(options.throttle);
    retry.setNext(watch);
    watch.setNext(redirect);
  } else {
    retry.setNext(redirect);
  }
  redirect.setNext(telemetry);
  telemetry.setNext(new HTTPMessageHandler());

  return Client.initWithMiddleware({
    middleware: auth,
    baseUrl: `${endpoint.baseUrl}/`,
    defaultVersion: "v1.0",
    customHosts: new Set([endpoint.host]),
  });
}
