import { domainMessage } from "../domain/messages.js";
import type { FieldErrors } from "../domain/policy.js";
import { BLOCK, VALUE } from "./ids.js";

type StateValues = Record<
  string,
  Record<string, { value?: string | null; selected_option?: { value?: string } | null }>
>;

export interface RequestFormValues {
  profileId: string;
  durationSeconds: number | undefined;
  justification: string;
  ticket: string;
  extendsRequestId?: string;
}

function read(values: StateValues, block: string): string {
  const input = values[block]?.[VALUE];
  return (input?.selected_option?.value ?? input?.value ?? "").toString();
}

/** What the modal sent. Nothing here is trusted: the service checks it all again. */
export function readRequestForm(values: StateValues, privateMetadata: string | undefined): RequestFormValues {
  const duration = Number(read(values, BLOCK.duration));
  let extendsRequestId: string | undefined;
  try {
    const meta = JSON.parse(privateMetadata || "{}") as { extends?: unknown };
    if (typeof meta.extends === "string") extendsRequestId = meta.extends;
  } catch {
    extendsRequestId = undefined;
  }
  return {
    profileId: read(values, BLOCK.profile),
    durationSeconds: Number.isFinite(duration) && duration > 0 ? duration : undefined,
    justification: read(values, BLOCK.justification),
    ticket: read(values, BLOCK.ticket),
    ...(extendsRequestId ? { extendsRequestId } : {}),
  };
}

export function readText(values: StateValues, block: string): string {
  return read(values, block);
}

/** `response_action: errors` wants one sentence per input block. */
export function toModalErrors(errors: FieldErrors): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, error] of Object.entries(errors)) {
    if (error) out[field] = domainMessage(error);
  }
  return out;
}
