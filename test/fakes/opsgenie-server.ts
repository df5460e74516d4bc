/**
 * A fake Opsgenie Who Is On Call API on 127.0.0.1: `GET /v2/schedules/{identifier}/on-calls`.
 * Sources (Opsgenie is an Atlassian product; its API pages stay at docs.opsgenie.com):
 * - who-is-on-call-api = https://docs.opsgenie.com/docs/who-is-on-call-api ("Get On Calls"), and
 *   OG-OAS = https://github.com/opsgenie/opsgenie-oas paths/whoIsOnCall.yaml, definitions/whoIsOnCall.yaml;
 * - docs/response = https://docs.opsgenie.com/docs/response (status codes, error body);
 * - api-rate-limiting = https://docs.opsgenie.com/docs/api-rate-limiting.
 * The answer is one object per schedule; Opsgenie pages nothing here, so neither does the fake.
 * It can be told to refuse the key (401), throttle (429), forbid (403 / 40301) or hang.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { closeFake, FaultScript, listenOnLoopback } from "./oncall-faults.js";

export interface FakeOpsgenieSchedule {
  id: string;
  name: string;
  /** Usernames on call now; an Opsgenie username is the user's email (User API, "username"). */
  onCall: string[];
}

export interface OpsgenieCall {
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
}

type Fault = { kind: "unauthorized" } | { kind: "forbidden" } | { kind: "throttle"; periodSeconds: number };

export interface FakeOpsgenie {
  /** What OPSGENIE_API_URL is set to (the EU instance's place). */
  baseUrl: string;
  apiKey: string;
  schedules: Map<string, FakeOpsgenieSchedule>;
  calls: OpsgenieCall[];
  unauthorizedNext(times?: number): void;
  forbiddenNext(times?: number): void;
  throttleNext(times: number, periodSeconds: number): void;
  hang(): void;
  close(): Promise<void>;
}

export async function startFakeOpsgenie(apiKey = "eb24alp-fake-genie-key"): Promise<FakeOpsgenie> {
  const schedules = new Map<string, FakeOpsgenieSchedule>();
  const calls: OpsgenieCall[] = [];
  const script = new FaultScript<Fault>();
  const started = Date.now();

  // docs/response: every answer carries `took` and `requestId` (and X-Request-ID); errors add `message`
  // (OG-OAS ErrorResponse). The docs give no message texts, so the fake promises only the shape.
  const send = (res: ServerResponse, status: number, body: Record<string, unknown>, headers = {}) => {
    const requestId = randomUUID();
    res.writeHead(status, {
      "Content-Type": "application/json",
      "X-Request-ID": requestId,
      "X-Response-Time": "0.004",
      ...headers,
    });
    res.end(JSON.stringify({ ...body, took: 0.004, requestId }));
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    calls.push({ path: url.pathname, query: url.searchParams, authorization: req.headers.authorization });
    if (script.hold(res)) return;
    // who-is-on-call-api sample: `Authorization: GenieKey <apiKey>` (OG-OAS securityDefinitions.GenieKey).
    // docs/response: 401 "Unauthenticated … apiKey is invalid or integration is disabled".
    if (req.headers.authorization !== `GenieKey ${apiKey}`) {
      return send(res, 401, { message: "Could not authenticate" });
    }
    const fault = script.next();
    if (fault?.kind === "unauthorized") return send(res, 401, { message: "Could not authenticate" });
    // who-is-on-call-api: a team integration's key without access to the schedule gets "403 -
    // Forbidden (Unauthorized) with 40301 internal code".
    if (fault?.kind === "forbidden") {
      return send(res, 403, { message: "You are not authorized to access this schedule", code: 40301 });
    }
    if (fault?.kind === "throttle") {
      // api-rate-limiting: 429 with X-RateLimit-State / -Reason / -Period-In-Sec ("Time of throttle in
      // seconds"); no Retry-After is documented. Body as in Opsgenie's Go SDK client test.
      return send(
        res,
        429,
        { message: "TooManyRequests" },
        {
          "X-RateLimit-State": "THROTTLED",
          "X-RateLimit-Reason": "ACCOUNT",
          "X-RateLimit-Period-In-Sec": String(fault.periodSeconds),
        },
      );
    }
    const match = /^\/v2\/schedules\/([^/]+)\/on-calls$/.exec(url.pathname);
    // docs/response: 404 "Not Found" for what the API does not serve (the text is the fake's own).
    if (req.method !== "GET" || !match) return send(res, 404, { message: "Resource or handler not found" });
    const identifier = decodeURIComponent(match[1] ?? "");
    // who-is-on-call-api: scheduleIdentifierType "Possible values are id and name. Default value is id".
    const byName = url.searchParams.get("scheduleIdentifierType") === "name";
    const schedule = [...schedules.values()].find((s) => (byName ? s.name : s.id) === identifier);
    // who-is-on-call-api: an identifier that names no schedule is not found (404; text the fake's own).
    if (!schedule) return send(res, 404, { message: `Schedule with identifier [${identifier}] does not exist` });
    const parent = { id: schedule.id, name: schedule.name, enabled: true };
    // `flat`: "When enabled, retrieves user names of all on call participants. Default value is false"
    // — flat answers data.onCallRecipients (strings); otherwise data.onCallParticipants (objects).
    if (url.searchParams.get("flat") === "true") {
      return send(res, 200, { data: { _parent: parent, onCallRecipients: schedule.onCall } });
    }
    return send(res, 200, {
      data: {
        _parent: parent,
        onCallParticipants: schedule.onCall.map((name, i) => ({ id: `u-${i}-${started}`, name, type: "user" })),
      },
    });
  });

  const baseUrl = await listenOnLoopback(server);
  const queue = (times: number, fault: Fault) => script.queue(times, fault);
  return {
    baseUrl,
    apiKey,
    schedules,
    calls,
    unauthorizedNext: (times = 1) => queue(times, { kind: "unauthorized" }),
    forbiddenNext: (times = 1) => queue(times, { kind: "forbidden" }),
    throttleNext: (times, periodSeconds) => queue(times, { kind: "throttle", periodSeconds }),
    hang: () => script.hang(),
    close: () => closeFake(server, script),
  };
}
