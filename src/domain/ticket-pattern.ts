import { RE2JS, RE2JSException } from "re2js";

/**
 * Ticket patterns come from the policy file and run against text anyone can type, so they are
 * matched by RE2 (re2js): time linear in the ticket's length, whatever the pattern. A backtracking
 * engine runs `^(a+)+$` on 31 typed characters for seconds, with the event loop stalled.
 */
export const TICKET_PATTERN_MAX_LENGTH = 200;

const compiled = new Map<string, RE2JS>();

/** Why RE2 cannot run `pattern`, as a clause for "profiles[i].ticket.pattern: …"; undefined when it can. */
export function ticketPatternProblem(pattern: string): string | undefined {
  if (pattern.length > TICKET_PATTERN_MAX_LENGTH) {
    return `is ${pattern.length} characters long; a ticket pattern may have at most ${TICKET_PATTERN_MAX_LENGTH}`;
  }
  try {
    compile(pattern);
    return undefined;
  } catch (error) {
    const reason = error instanceof RE2JSException ? error.message.replace(/^error parsing regexp: /, "") : "";
    return `is not a pattern jitbot can match in linear time (RE2 syntax: no backreferences, no lookahead or lookbehind)${reason ? `: ${reason}` : ""}`;
  }
}

/** Whether `ticket` contains a match of `pattern` (like RegExp.test: anchor with ^…$ to match all of it). */
export function ticketMatches(pattern: string, ticket: string): boolean {
  return compile(pattern).test(ticket);
}

function compile(pattern: string): RE2JS {
  let re = compiled.get(pattern);
  if (!re) {
    re = RE2JS.compile(pattern);
    compiled.set(pattern, re);
  }
  return re;
}
