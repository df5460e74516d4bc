/**
 * A fake PagerDuty REST API v2 on 127.0.0.1: `GET /oncalls` only, as the PagerDuty client uses it.
 * Sources (read for this fake; see /work/wt/RESEARCH-15-16.md §1):
 * - PD-OAS = PagerDuty/api-schema reference/REST/openapiv3.json, operation `GET /oncalls`
 *   (developer.pagerduty.com/api-reference "List all of the on-calls");
 * - PD-DOCS = developer.pagerduty.com/docs: "Authentication", "Versioning", "Pagination",
 *   "Rate Limits", "Errors" (PagerDuty/developer-docs docs/REST-API/*.md).
 * It can be told to refuse the key (401), throttle (429), fail (500) or hang (never answer).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { closeFake, FaultScript, listenOnLoopback } from "./oncall-faults.js";

export interface FakePagerDutyUser {
  id: string;
  name: string;
  email: string;
}

export interface FakeSchedule {
  id: string;
  name: string;
  /** Everyone on call now on this schedule, one on-call entry each (several levels may repeat a user). */
  onCall: FakePagerDutyUser[];
}

export interface PagerDutyCall {
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  accept: string | undefined;
}

type Fault =
  | { kind: "unauthorized" }
  | { kind: "throttle"; resetSeconds: number; retryAfter?: number }
  | { kind: "error" };

export interface FakePagerDuty {
  /** What PAGERDUTY_API_URL is set to. */
  baseUrl: string;
  /** The account's key: only `Authorization: Token token=<token>` with it is accepted. */
  token: string;
  schedules: Map<string, FakeSchedule>;
  calls: PagerDutyCall[];
  /** The next `times` requests get 401, as for a revoked key. */
  unauthorizedNext(times?: number): void;
  /** The next `times` requests get 429 with the documented rate-limit headers (and Retry-After, if given). */
  throttleNext(times: number, resetSeconds: number, retryAfter?: number): void;
  /** The next `times` requests get 500. */
  failNext(times?: number): void;
  /** From now on requests are read and never answered (a PagerDuty that hangs), until `answer()`. */
  hang(): void;
  answer(): void;
  close(): Promise<void>;
}

export async function startFakePagerDuty(token = "u+fakepagerdutykey"): Promise<FakePagerDuty> {
  const schedules = new Map<string, FakeSchedule>();
  const calls: PagerDutyCall[] = [];
  const script = new FaultScript<Fault>();

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", ...headers });
    res.end(JSON.stringify(body));
  };
  // PD-DOCS "Errors": every error body is {"error": {"message", "code", "errors"?}}.
  const error = (res: ServerResponse, status: number, message: string, code: number, headers = {}) =>
    send(res, status, { error: { message, code } }, headers);

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    calls.push({
      path: url.pathname,
      query: url.searchParams,
      authorization: req.headers.authorization,
      accept: req.headers.accept,
    });
    if (script.hold(res)) return;
    // PD-DOCS "Authentication": the header is `Authorization: Token token=<API_KEY>`, and "this format
    // must be followed precisely or you will receive a 401 Unauthorized response" (code 2006,
    // "Authentication failed", in the "Errors" table). Not Bearer, not Basic.
    if (req.headers.authorization !== `Token token=${token}`) {
      return error(res, 401, "Authentication failed", 2006);
    }
    const fault = script.next();
    if (fault?.kind === "unauthorized") return error(res, 401, "Authentication failed", 2006);
    if (fault?.kind === "throttle") {
      // PD-DOCS "Rate Limits": 429 with ratelimit-limit / -remaining / -reset ("the number of seconds
      // until the limit is reset") and {"error":{"message":"Rate Limit Exceeded","code":2020}}.
      // PagerDuty documents no Retry-After; the fake adds one only when a test asks for it.
      return error(res, 429, "Rate Limit Exceeded", 2020, {
        "ratelimit-limit": "960",
        "ratelimit-remaining": "0",
        "ratelimit-reset": String(fault.resetSeconds),
        ...(fault.retryAfter === undefined ? {} : { "Retry-After": String(fault.retryAfter) }),
      });
    }
    if (fault?.kind === "error") return error(res, 500, "Internal Server Error", 0);
    if (req.method !== "GET" || url.pathname !== "/oncalls") return error(res, 404, "Not Found", 2100);
    const listed = listOncalls(url.searchParams);
    return send(res, listed.status, listed.body);
  });

  function listOncalls(query: URLSearchParams) {
    // PD-DOCS "Pagination" (classic): `limit` defaults to 25 and "cannot exceed 100" (the docs name
    // no error for more; the fake serves 100); `offset` + `limit` over 10000 is refused with 400.
    const limit = Math.min(Number(query.get("limit") ?? 25) || 25, 100);
    const offset = Number(query.get("offset") ?? 0) || 0;
    if (offset + limit > 10_000)
      return { status: 400, body: { error: { message: "Invalid Input Provided", code: 2001 } } };
    // PD-OAS: array parameters are `explode: true`, i.e. repeated `schedule_ids[]=…` (the brackets are
    // part of the name). Without the filter, every schedule's on-calls are listed.
    const wanted = query.getAll("schedule_ids[]");
    const withUsers = query.getAll("include[]").includes("users");
    const entries = [...schedules.values()]
      .filter((s) => wanted.length === 0 || wanted.includes(s.id))
      .flatMap((schedule) =>
        schedule.onCall.map((user, level) => ({
          // PD-OAS `Oncall.user`: a user_reference (no email) unless include[]=users gives the full User.
          user: withUsers
            ? {
                id: user.id,
                type: "user",
                summary: user.name,
                name: user.name,
                email: user.email,
                self: "",
                html_url: "",
              }
            : { id: user.id, type: "user_reference", summary: user.name, self: "", html_url: "" },
          schedule: { id: schedule.id, type: "schedule_reference", summary: schedule.name, self: "", html_url: "" },
          escalation_policy: { id: "PEP0001", type: "escalation_policy_reference", summary: "Default" },
          escalation_level: level + 1,
          start: "2026-01-05T08:00:00Z",
          end: "2026-01-06T08:00:00Z",
        })),
      );
    // PD-DOCS "Pagination": the answer echoes limit and offset; `more` "will always be true or false";
    // `total` is null unless total=true was sent.
    const body = {
      oncalls: entries.slice(offset, offset + limit),
      limit,
      offset,
      more: offset + limit < entries.length,
      total: query.get("total") === "true" ? entries.length : null,
    };
    return { status: 200, body };
  }

  const baseUrl = await listenOnLoopback(server);
  const queue = (times: number, fault: Fault) => script.queue(times, fault);
  return {
    baseUrl,
    token,
    schedules,
    calls,
    unauthorizedNext: (times = 1) => queue(times, { kind: "unauthorized" }),
    throttleNext: (times, resetSeconds, retryAfter) => queue(times, { kind: "throttle", resetSeconds, retryAfter }),
    failNext: (times = 1) => queue(times, { kind: "error" }),
    hang: () => script.hang(),
    answer: () => script.answer(),
    close: () => closeFake(server, script),
  };
}
