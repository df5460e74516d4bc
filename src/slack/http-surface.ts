import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import {
  type CustomRoute,
  ErrorCode,
  HTTPModuleFunctions,
  HTTPReceiver,
  type ReceiverDispatchErrorHandlerArgs,
} from "@slack/bolt";
import type pino from "pino";
import { newCorrelationId } from "../domain/messages.js";
import { boltLogger } from "../logger.js";
import {
  acceptBody,
  isSslCheck,
  type Refusal,
  readCappedBody,
  refuseByHeaders,
  SLACK_BODY_LIMIT,
} from "./request-guard.js";

export const SLACK_EVENTS_PATH = "/slack/events";

export type Readiness = { ok: true } | { ok: false; reason: string };

export interface HttpSurfaceOptions {
  /** HTTP mode: Slack's requests arrive on /slack/events, signed with this. Socket Mode: undefined. */
  signingSecret: string | undefined;
  logger: pino.Logger;
  readiness: () => Readiness;
  metricsText: () => Promise<{ contentType: string; body: string }>;
  /** False until the bot has reached the Slack API: Bolt cannot authorize a request before. */
  slackConnected: () => boolean;
  /** A verified request from Slack is handed to Bolt; `startedMs` is when it arrived. */
  onSlackRequest: (res: ServerResponse, startedMs: number) => void;
  /** Extra routes (the playground); true when handled. */
  routes?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  /** GET pages for people's browsers (approver step-up: /stepup/start, /stepup/callback). */
  pages?: { path: string; handler: (req: IncomingMessage, res: ServerResponse) => unknown }[];
}

export interface HttpSurface {
  /** Bolt's receiver: given to the App in HTTP mode, and the router of every path in both modes. */
  receiver: HTTPReceiver;
  /** The server's only request listener. It never throws, and nothing it starts can reject unhandled. */
  listener: RequestListener;
}

/**
 * Everything the HTTP port answers, on Bolt's own seams: `customRoutes` for the probes, the
 * dispatch error handler for what Bolt does not route (the playground, then 404 or 405), and a
 * guard in front of /slack/events that refuses what is not from Slack before Bolt reads it.
 */
export function createHttpSurface(options: HttpSurfaceOptions): HttpSurface {
  const { logger, signingSecret } = options;
  const allowed = new Map<string, string>([
    ["/healthz", "GET, HEAD"],
    ["/readyz", "GET, HEAD"],
    ["/metrics", "GET, HEAD"],
  ]);
  if (signingSecret !== undefined) allowed.set(SLACK_EVENTS_PATH, "POST");
  for (const page of options.pages ?? []) allowed.set(page.path, "GET, HEAD");

  const failed = (res: ServerResponse, error: unknown, what: string) => {
    const correlationId = newCorrelationId();
    logger.error({ correlationId, err: error instanceof Error ? error.message : String(error) }, what);
    if (!res.headersSent) send(res, 500, { error: `Something went wrong (reference ${correlationId}).` });
    else res.destroy();
  };
  /** Runs a handler that may be async; whatever it throws or rejects becomes a 500, never a crash. */
  const answer =
    (handler: (req: IncomingMessage, res: ServerResponse) => unknown) =>
    (req: IncomingMessage, res: ServerResponse) => {
      Promise.resolve()
        .then(() => handler(req, res))
        .catch((error: unknown) => failed(res, error, "HTTP handler failed"));
    };

  const get = (path: string, handler: (req: IncomingMessage, res: ServerResponse) => unknown): CustomRoute => ({
    path,
    method: ["GET", "HEAD"],
    handler: answer(handler),
  });
  const customRoutes = [
    get("/healthz", (_req, res) => send(res, 200, { status: "ok" })),
    get("/readyz", (_req, res) => {
      const ready = options.readiness();
      if (ready.ok) send(res, 200, { status: "ready" });
      else send(res, 503, { status: "unready", reason: ready.reason });
    }),
    get("/metrics", async (_req, res) => {
      const { contentType, body } = await options.metricsText();
      res.writeHead(200, { "content-type": contentType });
      res.end(body);
    }),
    ...(options.pages ?? []).map((page) => get(page.path, page.handler)),
  ];

  /** Not Bolt's: the playground's routes, else 405 on a known path and 404 on any other. */
  const fallThrough = answer(async (req, res) => {
    if (options.routes && (await options.routes(req, res))) return;
    const allow = allowed.get(pathOf(req) ?? "");
    if (allow) send(res, 405, { error: "method not allowed" }, { allow, connection: "close" });
    else send(res, 404, { error: "not found" });
  });

  const dispatchError = ({ error, request, response }: ReceiverDispatchErrorHandlerArgs) => {
    if ("code" in error && error.code === ErrorCode.HTTPReceiverDeferredRequestError) {
      return fallThrough(request, response);
    }
    // A URL Node accepted but WHATWG's parser refuses ends up here, before any routing.
    logger.info({ method: request.method, err: error.message }, "HTTP request refused: unreadable URL");
    if (!response.headersSent) send(response, 400, { error: "bad request" }, { connection: "close" });
  };
  const receiver = new HTTPReceiver({
    signingSecret: signingSecret ?? "",
    signatureVerification: signingSecret !== undefined,
    endpoints: signingSecret !== undefined ? [SLACK_EVENTS_PATH] : [],
    logger: boltLogger(logger),
    customRoutes,
    bodyLimit: SLACK_BODY_LIMIT,
    dispatchErrorHandler: dispatchError,
    processEventErrorHandler: async (args) => {
      try {
        return await HTTPModuleFunctions.defaultProcessEventErrorHandler(args);
      } catch (error) {
        failed(args.response, error, "answering a failed Slack request failed");
        return false;
      }
    },
  });

  const refuse = (req: IncomingMessage, res: ServerResponse, refusal: Refusal) => {
    logger.info({ status: refusal.status, why: refusal.why, ip: req.socket.remoteAddress }, "Slack request refused");
    // The connection is not kept: what is left of the body is never read.
    send(res, refusal.status, { error: refusal.why }, { connection: "close" });
  };

  const acceptSlackRequest = async (req: IncomingMessage, res: ServerResponse, secret: string) => {
    const started = performance.now();
    const early = refuseByHeaders(req, Date.now());
    if (early?.unsigned && (await isSslCheck(req))) return send(res, 200, {});
    if (early) return refuse(req, res, early);
    if (!options.slackConnected()) {
      return send(res, 503, { error: "jitbot is not connected to Slack yet" }, { connection: "close" });
    }
    const read = await readCappedBody(req);
    if (read.kind === "gone") return;
    if (read.kind === "too large") return refuse(req, res, { status: 413, why: "the body is over the limit" });
    const refusal = acceptBody(req, read.body, secret);
    if (refusal) return refuse(req, res, refusal);
    options.onSlackRequest(res, started);
    receiver.requestListener(req, res);
  };

  const listener: RequestListener = (req, res) => {
    try {
      if (signingSecret !== undefined && req.method === "POST" && pathOf(req) === SLACK_EVENTS_PATH) {
        acceptSlackRequest(req, res, signingSecret).catch((error: unknown) =>
          failed(res, error, "Slack request failed"),
        );
        return;
      }
      receiver.requestListener(req, res);
    } catch (error) {
      // What Bolt's own server does with a throwing listener (HTTPReceiver.start).
      dispatchError({ error: toError(error), logger: boltLogger(logger), request: req, response: res });
    }
  };
  return { receiver, listener };
}

/** The path as Bolt's router sees it (it parses with WHATWG URL too), or undefined if unreadable. */
function pathOf(req: IncomingMessage): string | undefined {
  try {
    return new URL(req.url ?? "/", "http://localhost").pathname;
  } catch {
    return undefined;
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | number> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}
