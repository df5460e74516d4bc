/**
 * The approver recorded when on-call auto-approval approves a request: not a Slack user (those
 * start with U or W), so it can never be clicked into being, and every message names it as such.
 */
export const ON_CALL_APPROVER = "jitbot:on-call";

export const isOnCallApproval = (approverId: string): boolean => approverId === ON_CALL_APPROVER;
