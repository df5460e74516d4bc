import fc from "fast-check";
import { ACTION, BLOCK, CALLBACK, VALUE } from "../../src/slack/ids.js";

/**
 * Slack payloads as Slack sends them, then mutated: wrong types, missing fields, huge and odd
 * strings. Every shape starts from a real one (Slack's "block_actions", "view_submission", slash
 * command, "block_suggestion" and Events API docs), so most inputs reach a listener.
 */

export const USERS = ["U0ALICE", "U0LEAD", "U0OMAR", "U0EVE", "U0NOMAIL"];
export const PROFILES = ["aks-prod-sre", "aks-prod-dev", "eks-pod-manager"];

/** Request ids the run fills in as it files real requests, so buttons hit live rows too. */
export const liveIds: string[] = ["JR-7K3Q9M"];

const ODD = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "<!channel>",
  "<!here|here>",
  "<@U0LEAD>",
  "@everyone",
  "*bold* _it_ ~st~ `code` ```block``` > quote",
  "&lt;&gt;&amp;",
  "%00%ZZ",
  "null",
  "undefined",
  "[object Object]",
  "__proto__",
  "constructor",
  "{}",
  "{extends",
  '{"extends":{"$ne":null}}',
  "\u202Etxet-lidr",
  "🧨".repeat(40),
  "e\u0301\u0301\u0301",
  "\uD800",
  "JR-",
  "JR-ZZZZZZ",
  "1e309",
  "-1",
  "NaN",
  "3600",
  "86400000",
  "0x10",
  "'; DROP TABLE requests; --",
  "\r\n\r\nHTTP/1.1 200 OK",
];

/** Rare, because each costs a few ms to carry: the sizes where caps and buffers matter. */
const HUGE = fc
  .constantFrom(2001, 3001, 10_000, 100_000)
  .chain((n) => fc.constantFrom("x", "é", "🧨", "<").map((c) => c.repeat(n)));

export const oddString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...ODD) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.constantFrom(...USERS, ...PROFILES, ...Object.values(ACTION), ...Object.values(BLOCK)) },
  { weight: 1, arbitrary: HUGE },
);

const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
  fc.array(oddString, { maxLength: 3 }),
  fc.dictionary(oddString, oddString, { maxKeys: 3 }),
  oddString,
);

const idOrOdd = (good: fc.Arbitrary<string>) =>
  fc.oneof({ weight: 5, arbitrary: good }, { weight: 1, arbitrary: oddString });
const userId = idOrOdd(fc.constantFrom(...USERS));
const requestId = idOrOdd(fc.nat().map((i) => liveIds[i % liveIds.length] ?? "JR-7K3Q9M"));

/**
 * Mutates a payload: at each of up to three randomly chosen paths, delete the field, give it a value
 * of the wrong type, or an odd string. Paths come from the object itself, so nested fields are hit.
 */
/**
 * The one line to flip once the HTTP surface's part of issue 12 is merged (src/compose.ts). Until
 * then two kinds of input are left out, because the receiver does not survive or answer them yet:
 * - methods other than POST on /slack/events: Bolt's HTTPReceiver throws an unhandled rejection
 *   that ends the process;
 * - a correctly signed body from which Bolt cannot tell the payload's kind (empty, `{}`, no
 *   `type`/`event`/`command`/`actions`): Bolt calls no middleware at all, and HTTPReceiver answers
 *   only after its 3,001 ms unhandled-request timeout, past Slack's deadline.
 */
export const HTTP_FIX_MERGED = true;
const MUTATE_KIND_FIELDS = HTTP_FIX_MERGED;
const KIND_FIELDS = new Set(["type", "event", "command", "actions"]);

export function mutated(base: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(
      base,
      fc.array(fc.tuple(fc.nat(), fc.constantFrom("delete", "type", "string"), wrongType, oddString), { maxLength: 3 }),
    )
    .map(([payload, edits]) => {
      const copy = structuredClone(payload);
      for (const [pick, how, value, text] of edits) {
        const paths = pathsOf(copy).filter(
          (path) => MUTATE_KIND_FIELDS || !(path.length === 1 && KIND_FIELDS.has(String(path[0]))),
        );
        const path = paths[pick % paths.length];
        if (path) setAt(copy, path, how === "delete" ? undefined : how === "type" ? value : text, how === "delete");
      }
      return copy;
    });
}

function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== "object") return prefix.length ? [prefix] : [];
  const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  const here = prefix.length ? [prefix] : [];
  return [
    ...here,
    ...keys.flatMap((key) => pathsOf((value as Record<string | number, unknown>)[key], [...prefix, key])),
  ];
}

function setAt(root: Record<string, unknown>, path: (string | number)[], value: unknown, remove: boolean): void {
  let node: Record<string | number, unknown> = root;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path.at(-1);
  if (last === undefined) return;
  if (remove) delete node[last];
  else node[last] = value;
}

const team = { id: "T0PLAY", domain: "playground" };
const user = (id: string) => ({ id, username: id.toLowerCase(), team_id: "T0PLAY" });

/** `/jit …` with every subcommand, and text that is sometimes none of them. */
export const slashCommand = fc
  .record({
    user: userId,
    verb: fc.oneof(fc.constantFrom("", "help", "list", "ls", "request", "req", "cancel", "revoke"), oddString),
    args: fc.array(fc.oneof(fc.constantFrom(...PROFILES, "2h", "15m", "1h30m", "99h", ...liveIds), oddString), {
      maxLength: 6,
    }),
    channel: idOrOdd(fc.constantFrom("C0GENERAL", "DU0ALICE")),
  })
  .map(({ user: u, verb, args, channel }) => ({
    token: "unused",
    team_id: "T0PLAY",
    team_domain: "playground",
    channel_id: channel,
    channel_name: "general",
    user_id: u,
    user_name: u.toLowerCase(),
    command: "/jit",
    text: [verb, ...args].join(" "),
    api_app_id: "A0JITBOT",
    response_url: "http://127.0.0.1:9/unused",
    trigger_id: `${u}.fuzz`,
  }));

/** A form-encoded command body may carry any field, repeated or missing; values are strings. */
export const slashCommandBody = fc
  .tuple(
    slashCommand,
    fc.array(
      fc.tuple(
        fc.constantFrom("user_id", "text", "command", "trigger_id", "channel_id"),
        fc.constantFrom("drop", "repeat"),
      ),
      { maxLength: 2 },
    ),
  )
  .map(([fields, edits]) => {
    const params = new URLSearchParams(fields);
    for (const [key, how] of edits) {
      if (how === "drop" && (key !== "command" || MUTATE_KIND_FIELDS)) params.delete(key);
      else if (how === "repeat") params.append(key, String(fields[key]));
    }
    return params.toString();
  });

const requestState = fc.record({
  profile: idOrOdd(fc.constantFrom(...PROFILES)),
  duration: idOrOdd(fc.constantFrom("900", "3600", "7200", "14400", "28800", "86400")),
  justification: idOrOdd(fc.constantFrom("Rotating the ingress certificate", "Incident INC-42: pods crash-looping")),
  ticket: idOrOdd(fc.constantFrom("", "OPS-7", "SEC-1234")),
});

const stateOf = (values: Record<string, string>, selects: string[]) =>
  Object.fromEntries(
    Object.entries(values).map(([block, value]) => [
      block,
      {
        [VALUE]: selects.includes(block)
          ? { type: "static_select", selected_option: { value, text: { type: "plain_text", text: value } } }
          : { type: "plain_text_input", value },
      },
    ]),
  );

const requestMetadata = fc.oneof(
  { weight: 4, arbitrary: fc.constant(JSON.stringify({ extends: null })) },
  { weight: 1, arbitrary: requestId.map((id) => JSON.stringify({ extends: id })) },
  { weight: 1, arbitrary: oddString },
);
const denyMetadata = fc.oneof(
  {
    weight: 4,
    arbitrary: requestId.map((id) => JSON.stringify({ requestId: id, channel: "C0APPROVALS", ts: "1.000001" })),
  },
  { weight: 1, arbitrary: oddString },
);

const view = (callbackId: string, privateMetadata: string, values: Record<string, unknown>) => ({
  id: "V0FUZZ",
  hash: "1.fuzz",
  type: "modal",
  callback_id: callbackId,
  private_metadata: privateMetadata,
  team_id: "T0PLAY",
  app_id: "A0JITBOT",
  bot_id: "B0JITBOT",
  blocks: [],
  state: { values },
  title: { type: "plain_text", text: "Request access" },
});

export const viewSubmission = fc.oneof(
  fc.record({ u: userId, state: requestState, meta: requestMetadata }).map(({ u, state, meta }) => ({
    type: "view_submission",
    team,
    user: user(u),
    api_app_id: "A0JITBOT",
    trigger_id: `${u}.fuzz`,
    view: view(CALLBACK.requestModal, meta, stateOf(state, [BLOCK.profile, BLOCK.duration])),
  })),
  fc
    .record({ u: userId, reason: idOrOdd(fc.constant("not during the freeze")), meta: denyMetadata })
    .map(({ u, reason, meta }) => ({
      type: "view_submission",
      team,
      user: user(u),
      api_app_id: "A0JITBOT",
      trigger_id: `${u}.fuzz`,
      view: view(CALLBACK.denyModal, meta, stateOf({ [BLOCK.reason]: reason }, [])),
    })),
);

export const viewClosed = fc
  .record({ u: userId, callbackId: idOrOdd(fc.constantFrom(...Object.values(CALLBACK))) })
  .map(({ u, callbackId }) => ({
    type: "view_closed",
    team,
    user: user(u),
    api_app_id: "A0JITBOT",
    view: view(callbackId, "{}", {}),
    is_cleared: false,
  }));

/** A click on any button the bot renders, in a channel, a DM, App Home or the request modal. */
export const blockActions = fc
  .record({
    u: userId,
    actionId: idOrOdd(fc.constantFrom(...Object.values(ACTION), VALUE)),
    blockId: idOrOdd(fc.constantFrom(BLOCK.decision, BLOCK.profile, "actions")),
    value: requestId,
    where: fc.constantFrom("channel", "dm", "home", "modal"),
    state: requestState,
    meta: requestMetadata,
  })
  .map(({ u, actionId, blockId, value, where, state, meta }) => ({
    type: "block_actions",
    team,
    user: user(u),
    api_app_id: "A0JITBOT",
    token: "unused",
    trigger_id: `${u}.fuzz`,
    response_url: "http://127.0.0.1:9/unused",
    ...(where === "channel" || where === "dm"
      ? {
          container: { type: "message", message_ts: "1.000001", channel_id: where === "dm" ? `D${u}` : "C0APPROVALS" },
          channel: { id: where === "dm" ? `D${u}` : "C0APPROVALS", name: "approvals" },
          message: { type: "message", ts: "1.000001", text: "", blocks: [] },
        }
      : where === "modal"
        ? {
            container: { type: "view", view_id: "V0FUZZ" },
            view: view(CALLBACK.requestModal, meta, stateOf(state, [BLOCK.profile, BLOCK.duration])),
          }
        : { container: { type: "view", view_id: "V0HOME" }, view: { id: "V0HOME", type: "home", blocks: [] } }),
    actions: [
      blockId === BLOCK.profile
        ? {
            type: "static_select",
            action_id: actionId,
            block_id: blockId,
            selected_option: { value: state.profile },
            action_ts: "1",
          }
        : { type: "button", action_id: actionId, block_id: blockId, value, action_ts: "1" },
    ],
  }));

/** The external select's search, past 100 profiles. */
export const blockSuggestion = fc
  .record({
    u: userId,
    query: oddString,
    blockId: idOrOdd(fc.constant(BLOCK.profile)),
    actionId: idOrOdd(fc.constant(VALUE)),
  })
  .map(({ u, query, blockId, actionId }) => ({
    type: "block_suggestion",
    team,
    user: user(u),
    api_app_id: "A0JITBOT",
    block_id: blockId,
    action_id: actionId,
    value: query,
    container: { type: "view", view_id: "V0FUZZ" },
    view: view(CALLBACK.requestModal, "{}", {}),
  }));

/** Events API envelopes: App Home opens, and other events the bot never subscribed to. */
export const eventCallback = fc
  .record({
    u: userId,
    tab: idOrOdd(fc.constantFrom("home", "messages")),
    type: idOrOdd(fc.constant("app_home_opened")),
  })
  .map(({ u, tab, type }) => ({
    token: "unused",
    team_id: "T0PLAY",
    api_app_id: "A0JITBOT",
    type: "event_callback",
    event_id: "Ev0FUZZ",
    event_time: 1_700_000_000,
    event: { type, user: u, channel: `D${u}`, tab, event_ts: "1.000001" },
  }));

export const urlVerification = oddString.map((challenge) => ({ type: "url_verification", token: "unused", challenge }));

/** One input for the bot: how it is encoded and what it carries. */
export type FuzzInput =
  | { kind: "command"; body: string }
  | { kind: "interactive"; label: string; payload: Record<string, unknown> }
  | { kind: "event"; label: string; payload: Record<string, unknown> };

export const fuzzInput: fc.Arbitrary<FuzzInput> = fc.oneof(
  { weight: 3, arbitrary: slashCommandBody.map((body) => ({ kind: "command" as const, body })) },
  ...(
    [
      ["block_actions", 4, blockActions],
      ["view_submission", 4, viewSubmission],
      ["view_closed", 1, viewClosed],
      ["block_suggestion", 1, blockSuggestion],
    ] as const
  ).map(([label, weight, arbitrary]) => ({
    weight,
    arbitrary: mutated(arbitrary).map((payload) => ({ kind: "interactive" as const, label, payload })),
  })),
  {
    weight: 1,
    arbitrary: mutated(eventCallback).map((payload) => ({ kind: "event" as const, label: "app_home_opened", payload })),
  },
  {
    weight: 1,
    arbitrary: mutated(urlVerification).map((payload) => ({
      kind: "event" as const,
      label: "url_verification",
      payload,
    })),
  },
);

/**
 * HTTP methods the raw cases use. Only POST is safe on this branch: any other method on
 * /slack/events makes Bolt's HTTPReceiver throw an unhandled rejection that ends the process
 * (issue 12). Once the HTTP-surface fix is merged, replace this line with RAW_METHODS_AFTER_HTTP_FIX.
 */
export const RAW_METHODS: readonly string[] = ["POST"];
export const RAW_METHODS_AFTER_HTTP_FIX: readonly string[] = [
  "POST",
  "GET",
  "PUT",
  "DELETE",
  "PATCH",
  "OPTIONS",
  "HEAD",
];

export interface RawRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  body: string;
  signature: "good" | "wrong-secret" | "missing" | "stale" | "future" | "not-a-number";
}

/** Bytes Slack never sends: bad signatures, bad JSON, wrong content types, odd paths. */
const FORM = "application/x-www-form-urlencoded";
const JSON_TYPE = "application/json";
/** Signed bodies Bolt can classify (or refuses to parse at once); the rest wait for HTTP_FIX_MERGED. */
const KINDED: readonly (readonly [string, string])[] = [
  [FORM, "payload=%7Bnot-json"],
  [FORM, "ssl_check=1&token=x"],
  [FORM, "command=%2Fjit&text=help"],
  [FORM, "command=%2Fjit&text=help&user_id=U0ALICE&trigger_id=x"],
  [FORM, "command=%2Fdeploy&text=prod&user_id=U0ALICE&trigger_id=x"],
  [JSON_TYPE, '{"type":"url_verification"}'],
  [JSON_TYPE, '{"type":"url_verification","challenge":{"a":1}}'],
  [JSON_TYPE, '{"event":{"type":"app_home_opened","user":"U0ALICE","tab":"home"}}'],
  [JSON_TYPE, '{"event":null}'],
  [JSON_TYPE, '{"type":"view_closed"}'],
  [JSON_TYPE, '{"type":"block_suggestion"}'],
  [JSON_TYPE, '{"type":"shortcut","callback_id":"x","trigger_id":"t","user":{"id":"U0ALICE"}}'],
  [JSON_TYPE, "{"],
];
const KINDED_BODIES = KINDED.map(([, body]) => body);
const ANY_BODY = fc.oneof(
  fc.constantFrom(...KINDED_BODIES, "", "payload=", "payload=null", "payload=42", "payload=%5B%5D", "{", "[]", "null"),
  fc.string({ unit: "binary", maxLength: 200 }),
  oddString,
);

/** Bytes Slack never sends: bad signatures, bad JSON, wrong content types, odd paths and methods. */
export const rawRequest: fc.Arbitrary<RawRequest> = fc
  .record({
    method: fc.constantFrom(...RAW_METHODS),
    path: fc.constantFrom(
      "/slack/events",
      "/slack/events?ssl_check=1",
      "/slack/events/",
      "/SLACK/EVENTS",
      "/nope",
      "/slack/events%00",
    ),
    contentType: fc.constantFrom<string | undefined>(
      "application/x-www-form-urlencoded",
      "application/json",
      "application/json; charset=utf-16",
      "text/plain",
      "multipart/form-data; boundary=x",
      undefined,
    ),
    signature: fc.constantFrom<RawRequest["signature"]>(
      "good",
      "good",
      "wrong-secret",
      "missing",
      "stale",
      "future",
      "not-a-number",
    ),
  })
  .chain((request) => {
    const signed = request.signature === "good" || request.signature === "future";
    if (signed && !HTTP_FIX_MERGED) {
      return fc.constantFrom(...KINDED).map(([contentType, body]) => ({ ...request, contentType, body }));
    }
    return ANY_BODY.map((body) => ({ ...request, body }));
  });
