/** Every callback and action id the bot registers, in one place. */
export const CALLBACK = {
  requestModal: "jit_request",
  denyModal: "jit_deny",
} as const;

export const ACTION = {
  approve: "jit_approve",
  deny: "jit_deny",
  profileSelect: "profile_select",
  revoke: "jit_revoke",
  /** Revoke on an on-call auto-approval message in the approval channel: approvers only. */
  revokeAutoApproved: "jit_revoke_auto",
  refresh: "jit_refresh",
  extend: "jit_extend",
  cancel: "jit_cancel",
  openRequest: "jit_open_request",
} as const;

export const BLOCK = {
  profile: "profile",
  duration: "duration",
  justification: "justification",
  ticket: "ticket",
  reason: "reason",
  decision: "decision",
} as const;

/** The one action id inside each input block. */
export const VALUE = "value";
