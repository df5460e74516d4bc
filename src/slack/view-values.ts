import { z } from "zod";
import { DomainError } from "../domain/errors.js";
import { isRequestId } from "../domain/ids.js";
import { domainMessage } from "../domain/messages.js";
import type { FieldErrors } from "../domain/policy.js";
import { BLOCK, BREAK_GLASS_MODE, VALUE } from "./ids.js";

/**
 * Everything a view or a button carries comes back from Slack as the bot wrote it, unless it was
 * forged or comes from an older jitbot: each shape is checked here, and a damaged one becomes
 * FORM_DAMAGED / BUTTON_DAMAGED (one sentence to the clicker) instead of an exception.
 */

/** Slack's documented cap on `private_metadata`; anything longer was not written by jitbot. */
export const PRIVATE_METADATA_MAX = 3000;

const requestIdSchema = z.string().refine(isRequestId);

/** What `view.state.values` holds for plain inputs and selects; other keys are ignored. */
const stateValuesSchema = z.record(
  z.string(),
  z.record(
    z.string(),
    z.object({
      value: z.string().nullish(),
      selected_option: z.object({ value: z.string() }).nullish(),
    }),
  ),
);
type StateValues = z.infer<typeof stateValuesSchema>;

const requestModalMetadata = z.object({ extends: requestIdSchema.nullish() });
const denyModalMetadata = z.object({
  requestId: requestIdSchema,
  channel: z.string().regex(/^([CGD][A-Z0-9]{2,})?$/),
  ts: z.string().max(32),
});

export interface RequestFormValues {
  profileId: string;
  durationSeconds: number | undefined;
  justification: string;
  ticket: string;
  extendsRequestId?: string;
  /** Break glass was chosen in the form (the service refuses it where the profile does not allow it). */
  breakGlass?: boolean;
}

export type Read<T> = { ok: true; value: T } | { ok: false; error: DomainError };

const damagedForm = { ok: false, error: new DomainError("FORM_DAMAGED") } as const;

function readMetadata<T>(schema: z.ZodType<T>, privateMetadata: unknown): Read<T> {
  const text = typeof privateMetadata === "string" && privateMetadata !== "" ? privateMetadata : "{}";
  if (text.length > PRIVATE_METADATA_MAX) return damagedForm;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return damagedForm;
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? { ok: true, value: parsed.data } : damagedForm;
}

function readState(view: unknown): Read<StateValues> {
  const state = (view as { state?: { values?: unknown } } | undefined)?.state;
  const parsed = stateValuesSchema.safeParse(state?.values ?? {});
  return parsed.success ? { ok: true, value: parsed.data } : damagedForm;
}

function read(values: StateValues, block: string): string {
  const input = values[block]?.[VALUE];
  return input?.selected_option?.value ?? input?.value ?? "";
}

/** What the request modal sent. Nothing here is trusted: the service checks it all again. */
export function readRequestForm(view: { state?: unknown; private_metadata?: unknown }): Read<RequestFormValues> {
  const state = readState(view);
  if (!state.ok) return state;
  const meta = readMetadata(requestModalMetadata, view.private_metadata);
  if (!meta.ok) return meta;
  const values = state.value;
  const duration = Number(read(values, BLOCK.duration));
  const extendsRequestId = meta.value.extends ?? undefined;
  return {
    ok: true,
    value: {
      profileId: read(values, BLOCK.profile),
      durationSeconds: Number.isFinite(duration) && duration > 0 ? duration : undefined,
      justification: read(values, BLOCK.justification),
      ticket: read(values, BLOCK.ticket),
      ...(extendsRequestId ? { extendsRequestId } : {}),
      ...(read(values, BLOCK.mode) === BREAK_GLASS_MODE ? { breakGlass: true } : {}),
    },
  };
}

const breakGlassMetadata = z.object({
  profile: z.string().max(100),
  duration: z.number().int().positive(),
  justification: z.string(),
  ticket: z.string(),
});

/** What the break-glass confirmation view carries: the request form's values, checked again. */
export function readBreakGlassConfirm(view: { private_metadata?: unknown }): Read<RequestFormValues> {
  const meta = readMetadata(breakGlassMetadata, view.private_metadata);
  if (!meta.ok) return meta;
  const { profile, duration, justification, ticket } = meta.value;
  return {
    ok: true,
    value: { profileId: profile, durationSeconds: duration, justification, ticket, breakGlass: true },
  };
}

export interface DenyFormValues {
  requestId: string;
  channel?: string;
  reason: string;
}

/** What the deny modal sent: the reason typed, and which request it is about. */
export function readDenyForm(view: { state?: unknown; private_metadata?: unknown }): Read<DenyFormValues> {
  const state = readState(view);
  if (!state.ok) return state;
  const meta = readMetadata(denyModalMetadata, view.private_metadata);
  if (!meta.ok) return meta;
  const { requestId, channel } = meta.value;
  return {
    ok: true,
    value: { requestId, ...(channel ? { channel } : {}), reason: read(state.value, BLOCK.reason) },
  };
}

/** A button's value is the request id jitbot put there; anything else is refused before a lookup. */
export function readRequestIdButton(value: unknown): Read<string> {
  return typeof value === "string" && isRequestId(value)
    ? { ok: true, value }
    : { ok: false, error: new DomainError("BUTTON_DAMAGED") };
}

/** `response_action: errors` wants one sentence per input block. */
export function toModalErrors(errors: FieldErrors): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, error] of Object.entries(errors)) {
    if (error) out[field] = domainMessage(error);
  }
  return out;
}
