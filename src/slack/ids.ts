/** Every callback and action id the bot registers, in one place. */
export const CALLBACK = {
  requestModal: "jit_request",
  denyModal: "jit_deny",
  /** The view pushed over the request form that says what breaking glass does. */
  breakGlassConfirm: "jit_break_glass",
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
  confirmBreakGlass: "jit_confirm_break_glass",
} as const;

export const BLOCK = {
  profile: "profile",
  duration: "duration",
  justification: "justification",
  ticket: "ticket",
  reason: "reason",
  decision: "decision",
  /** Ask for approval, or break glass (only on profiles that allow it). */
  mode: "mode",
} as const;

/** The value of the Break glass choice in the request form's mode block. */
export const BREAK_GLASS_MODE = "break-glass";
export const APPROVAL_MODE = "approval";

/** The one action id inside each input block. */
export const VALUE = "value";
