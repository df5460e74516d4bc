import { parseDuration } from "../config/duration.js";
import { normaliseRequestId } from "../domain/ids.js";

export type JitCommand =
  | { kind: "help" }
  | { kind: "list" }
  | {
      kind: "request";
      profileId?: string;
      /** A first word that is neither a known profile nor a duration. */
      unknownProfile?: string;
      durationSeconds?: number;
      durationText?: string;
      justification?: string;
    }
  | { kind: "cancel" | "revoke"; id?: string }
  | { kind: "unknown"; word: string };

/** `/jit request aks-prod-sre 2h fixing the ingress` → its parts; nothing typed is dropped. */
export function parseJitCommand(text: string, profileIds: readonly string[]): JitCommand {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [verb = "help", ...rest] = words;
  switch (verb.toLowerCase()) {
    case "help":
      return { kind: "help" };
    case "list":
    case "ls":
      return { kind: "list" };
    case "cancel":
    case "revoke":
      return {
        kind: verb.toLowerCase() as "cancel" | "revoke",
        ...(rest[0] ? { id: normaliseRequestId(rest[0]) } : {}),
      };
    case "request":
    case "req":
      return parseRequest(rest, profileIds);
    default:
      return { kind: "unknown", word: verb };
  }
}

function parseRequest(words: string[], profileIds: readonly string[]): JitCommand {
  const result: Extract<JitCommand, { kind: "request" }> = { kind: "request" };
  let rest = [...words];
  const first = rest[0];
  if (first !== undefined && parseDuration(first) === undefined) {
    if (profileIds.includes(first.toLowerCase())) result.profileId = first.toLowerCase();
    else if (/^[a-z0-9][a-z0-9-]*$/i.test(first) && rest.length <= 2) result.unknownProfile = first;
    else if (/^[a-z0-9]+(-[a-z0-9]+)+$/i.test(first)) result.unknownProfile = first;
    if (result.profileId || result.unknownProfile) rest = rest.slice(1);
  }
  const maybeDuration = rest[0];
  if (maybeDuration !== undefined && parseDuration(maybeDuration) !== undefined) {
    result.durationSeconds = parseDuration(maybeDuration);
    result.durationText = maybeDuration;
    rest = rest.slice(1);
  }
  if (rest.length) result.justification = rest.join(" ");
  return result;
}
