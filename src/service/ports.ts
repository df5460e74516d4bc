import type { Profile } from "../config/schema.js";
import type { AccessRequest, Approval, GrantRecord } from "../domain/request.js";
import type { ConnectInstructions } from "../grants/provider.js";
import type { AuditAnchor } from "../store/audit-anchor.js";
import type { BreakGlassUse } from "../store/break-glass.js";

/** A Slack user as the service needs them. */
export interface Member {
  id: string;
  name: string;
  email: string | undefined;
}

/** Who people are and which Slack user groups they are in. Implemented over the Slack Web API. */
export interface Directory {
  member(userId: string): Promise<Member>;
  /** The subset of `groups` that `userId` belongs to. */
  groupsOf(userId: string, groups: readonly string[]): Promise<string[]>;
  /** The users in one Slack user group (break glass tells each approver). */
  membersOf(group: string): Promise<string[]>;
}

export interface MessageRef {
  channel: string;
  ts: string;
}

/**
 * Everything the bot tells people. The service decides *what* happened; the Slack adapter decides
 * how it looks. Implementations must not throw for delivery problems they can log.
 */
export interface Notifier {
  /** Posts the receipt DM and the approval message; returns where each landed. */
  requestSubmitted(
    request: AccessRequest,
    profile: Profile,
  ): Promise<{ receipt: MessageRef | undefined; approval: MessageRef | undefined }>;
  approvalRecorded(request: AccessRequest, profile: Profile, approvals: Approval[]): Promise<void>;
  requestDecided(request: AccessRequest, profile: Profile, approvals: Approval[]): Promise<void>;
  /** Cancelled (by `closedBy`, the requester unless said otherwise) or timed out. */
  requestClosed(request: AccessRequest, profile: Profile, closedBy?: string): Promise<void>;
  /** Brings the approval message and the receipt up to a state decided before their ts was stored. */
  messagesCaughtUp(request: AccessRequest, profile: Profile): Promise<void>;
  approvalReminder(request: AccessRequest, profile: Profile, timesOutAt: Date): Promise<void>;
  /** The audit chain's signed head, posted to the policy's audit channel. */
  auditAnchored(channel: string, anchor: AuditAnchor): Promise<void>;
  grantActivated(
    request: AccessRequest,
    profile: Profile,
    grant: GrantRecord,
    instructions: ConnectInstructions,
  ): Promise<MessageRef | undefined>;
  credentialsRefreshed(
    request: AccessRequest,
    profile: Profile,
    grant: GrantRecord,
    instructions: ConnectInstructions,
  ): Promise<MessageRef | undefined>;
  /**
   * `rolledBack: false`: the provider did not confirm the undo; jitbot keeps retrying it.
   * `revokeRequestedBy`: someone asked to revoke it while it was being granted; nothing is left to.
   */
  grantFailed(
    request: AccessRequest,
    profile: Profile,
    reason: string,
    outcome: { rolledBack: boolean; revokeRequestedBy?: string },
  ): Promise<MessageRef | undefined>;
  /**
   * With `instructions` (new credentials that reach the new end), the old credential DM loses its
   * secrets and the new one is posted: its place is returned so it can be redacted in turn.
   */
  grantExtended(
    request: AccessRequest,
    profile: Profile,
    grant: GrantRecord,
    instructions?: ConnectInstructions,
  ): Promise<MessageRef | undefined>;
  expiryReminder(request: AccessRequest, profile: Profile, grant: GrantRecord): Promise<void>;
  /**
   * The approval message, the credential DM redacted, and the person's DM. True once the DM was
   * delivered, which is only after the redaction: false when anything that counts must be retried.
   */
  grantEnded(request: AccessRequest, profile: Profile, grant: GrantRecord, detail: string): Promise<boolean>;
  /** Redacts the credential DM of a grant that ended before the DM was recorded (it raced the revoke). */
  credentialsDead(request: AccessRequest, profile: Profile, grant: GrantRecord): Promise<void>;
  revokeFailing(request: AccessRequest, profile: Profile, grant: GrantRecord, reason: string): Promise<void>;
  /**
   * A break glass: the approval channel (mentioning the approvers), a DM to each of `approverIds`,
   * and the requester's receipt. Returns where the channel message and the receipt landed.
   */
  breakGlassUsed(
    request: AccessRequest,
    profile: Profile,
    approverIds: string[],
  ): Promise<{ receipt: MessageRef | undefined; approval: MessageRef | undefined }>;
  /** An approver confirmed a break glass: the channel message and the requester learn it. */
  breakGlassConfirmed(request: AccessRequest, profile: Profile): Promise<void>;
  /** The week's break-glass uses of one profile (none is worth saying too). */
  breakGlassSummary(profile: Profile, uses: BreakGlassUse[], week: { from: Date; to: Date }): Promise<void>;
  /** Access no live grant explains, each posted once until it changes (scheduler/drift.ts). */
  driftFound(profile: Profile, findings: CloudFinding[]): Promise<void>;
  /** The reaper removed objects jitbot had created and no live grant explained. */
  orphansRemoved(profile: Profile, removed: CloudFinding[]): Promise<void>;
}

/** One object found in the cloud, for the channel: what it is and why it is reported or removed. */
export interface CloudFinding {
  /** Plain text from the cloud (display names, ARNs): escaped by the message builder. */
  description: string;
  why: string;
  requestId?: string;
}

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
