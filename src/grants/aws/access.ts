import { AssumeRoleCommand } from "@aws-sdk/client-sts";
import type { Profile } from "../../config/schema.js";
import type { Clock } from "../../domain/clock.js";
import type { KeyedLock } from "../concurrency.js";
import { ProviderError } from "../errors.js";
import type {
  ActiveGrant,
  CredentialRefresher,
  Extender,
  ExtendOutcome,
  GrantOutcome,
  GrantProvider,
  GrantRequest,
  GrantSubject,
  ProviderState,
  ReadBack,
  RequestChecker,
  RevokeOutcome,
  RevokeReader,
} from "../provider.js";
import type { AwsClients } from "./clients.js";
import { toProviderError } from "./errors.js";
import { awsRoleInstructions, type SessionCredentials } from "./instructions.js";
import { type AwsRoleOptions, STS_MIN_SECONDS } from "./options.js";
import { readBackDeny, sessionIssuedAt } from "./read-back.js";
import { denySessionsIssuedBefore, pruneStaleDenies } from "./revoke-policy.js";
import {
  checkAwsRoleRequest,
  maxSessionSeconds,
  roleSessionName,
  sanitizeTagValue,
  sessionSeconds,
  sourceIdentity,
} from "./validate.js";

export interface AwsLogger {
  warn(obj: object, msg?: string): void;
}

interface Deps {
  clients: AwsClients;
  clock: Clock;
  logger?: AwsLogger;
  /** Serialises edits of one role's revoke policy; across replicas when the store provides it. */
  lock: KeyedLock;
}

function awsRoleOf(profile: Profile): AwsRoleOptions {
  if (profile.grant.type !== "aws-role") {
    throw new ProviderError("INVALID_REQUEST", `Profile ${profile.id} is not an aws-role profile.`);
  }
  return profile.grant;
}

function regionOf(clients: AwsClients, profile: Profile): string {
  try {
    return clients.region(profile.cluster.kind === "eks" ? profile.cluster.region : undefined);
  } catch {
    throw new ProviderError("INVALID_REQUEST", `Profile ${profile.id} has no AWS region; set cluster.region.`);
  }
}

/**
 * `aws-role`: STS AssumeRole of the profile's role for the requester. AWS ends each session itself;
 * a grant longer than one session is served by `refresh`, and `revokeSessions` lets an early revoke
 * make issued keys useless for AWS APIs through a deny policy on the role. EKS sign-in is the
 * exception (sts:GetCallerIdentity ignores deny policies), so kubectl lasts until the session ends.
 */
export class AwsRoleProvider implements GrantProvider, CredentialRefresher, Extender, RequestChecker, RevokeReader {
  readonly type = "aws-role" as const;

  constructor(private readonly deps: Deps) {}

  checkRequest(profile: Profile, durationSeconds: number): string | undefined {
    return checkAwsRoleRequest(profile, durationSeconds);
  }

  grant(request: GrantRequest): Promise<GrantOutcome> {
    return this.issue(request.profile, request.subject, request.requestId, request.expiresAt, false);
  }

  async refresh(grant: ActiveGrant, now: Date): Promise<GrantOutcome> {
    awsRoleOf(grant.profile);
    const remaining = (grant.expiresAt.getTime() - now.getTime()) / 1000;
    if (remaining <= 0) {
      throw new ProviderError("INVALID_REQUEST", "This access has ended; request it again to get new credentials.");
    }
    // A session shorter than STS's floor is impossible, and a 15-minute one would outlive the grant.
    if (remaining < STS_MIN_SECONDS) {
      throw new ProviderError(
        "INVALID_REQUEST",
        "Less than 15 minutes of this access remain and AWS cannot issue a shorter session; request new access if you need more time.",
      );
    }
    return this.issue(grant.profile, grant.subject, grant.requestId, grant.expiresAt, true);
  }

  /**
   * AWS ends each STS session at its own Expiration, which was capped at the old end: the refresh
   * path issues a new session up to the new end (or the role's MaxSessionDuration), sent by DM in
   * place of the old keys. A session that already reaches the new end is kept.
   */
  async extend(grant: ActiveGrant, expiresAt: Date): Promise<ExtendOutcome> {
    awsRoleOf(grant.profile);
    const sessionEnd = typeof grant.state.sessionExpiresAt === "string" ? Date.parse(grant.state.sessionExpiresAt) : 0;
    if (sessionEnd >= expiresAt.getTime()) {
      return {
        state: grant.state,
        detail: `The current STS session already lasts until ${grant.state.sessionExpiresAt}`,
      };
    }
    const outcome = await this.issue(grant.profile, grant.subject, grant.requestId, expiresAt, true);
    return {
      state: outcome.state,
      providerExpiresAt: outcome.providerExpiresAt,
      instructions: outcome.instructions,
      detail: `New STS session until ${outcome.providerExpiresAt?.toISOString() ?? expiresAt.toISOString()}`,
    };
  }

  async revoke(grant: ActiveGrant): Promise<RevokeOutcome> {
    const options = awsRoleOf(grant.profile);
    const now = this.deps.clock.now();
    const sessionEnd = typeof grant.state.sessionExpiresAt === "string" ? grant.state.sessionExpiresAt : undefined;
    // No session in the state: AssumeRole never answered, so no keys ever reached anyone.
    if (typeof grant.state.accessKeyId !== "string") return { detail: "No AWS session was issued; nothing to end." };
    // The state holds the grant's latest session, and it ends last: each refresh asks for what is left of the grant.
    const endsAt = new Date(Date.parse(sessionEnd ?? "") || grant.expiresAt.getTime() + STS_MIN_SECONDS * 1000);
    const sessionStillValid = endsAt.getTime() > now.getTime();

    if (!options.revokeSessions) {
      if (sessionStillValid) {
        this.deps.logger?.warn(
          { requestId: grant.requestId, profile: grant.profile.id, sessionExpiresAt: sessionEnd },
          "aws-role: revoked before the STS session ends; AWS cannot recall issued keys (grant.revokeSessions is off)",
        );
      }
      return {
        detail: sessionStillValid
          ? `The AWS session ends by itself at ${sessionEnd}; issued keys cannot be recalled (grant.revokeSessions is off).`
          : `The AWS session ended at ${sessionEnd ?? "its expiry"}.`,
      };
    }

    const region = regionOf(this.deps.clients, grant.profile);
    const iam = this.deps.clients.iamFor(region);
    // A natural expiry normally finds the session over (it was cut to the grant): nothing to deny, only
    // housekeeping. A deny is written only while a session can outlive the grant: an early revoke, or a
    // last session that STS's 15-minute floor made longer than the grant.
    if (!sessionStillValid) {
      await pruneStaleDenies(iam, options.roleArn, now, this.deps.lock);
      return { detail: `The AWS session ended at ${sessionEnd ?? "its expiry"}; no deny needed.` };
    }
    const identity =
      typeof grant.state.sourceIdentity === "string" ? grant.state.sourceIdentity : sourceIdentity(grant.subject);
    // Grants issued before jitbot kept the issue time are cut at the revoke, as they always were.
    const issuedAt = new Date(Date.parse(String(grant.state.sessionIssuedAt)) || now.getTime());
    const { statement, removedStale } = await denySessionsIssuedBefore(
      iam,
      options.roleArn,
      { identity, issuedAt, endsAt },
      now,
      this.deps.lock,
    );
    const cutoff = statement.Condition.DateLessThan["aws:TokenIssueTime"];
    return {
      detail:
        `Denied AWS API calls of ${options.roleArn} sessions of ${identity} issued before ${cutoff} until ${endsAt.toISOString()}` +
        (removedStale ? ` (removed ${removedStale} stale deny statement${removedStale === 1 ? "" : "s"})` : "") +
        "; IAM applies it within a few minutes, and EKS sign-in (sts:GetCallerIdentity) cannot be denied, so kubectl works until the session ends.",
    };
  }

  /**
   * After a revoke: the session has ended, or (grant.revokeSessions) the role's deny policy covers
   * it. Without revokeSessions a live session is out of jitbot's reach until it ends.
   */
  async readBack(grant: ActiveGrant): Promise<ReadBack> {
    const options = awsRoleOf(grant.profile);
    if (typeof grant.state.accessKeyId !== "string") return { status: "gone", detail: "no AWS session was issued" };
    const sessionEnd = typeof grant.state.sessionExpiresAt === "string" ? grant.state.sessionExpiresAt : undefined;
    if (sessionEnd && Date.parse(sessionEnd) <= this.deps.clock.now().getTime()) {
      return { status: "gone", detail: `the AWS session ended at ${sessionEnd}` };
    }
    if (!options.revokeSessions) {
      return {
        status: "unrecallable",
        detail: `the issued AWS keys work until ${sessionEnd ?? "the session ends"}; nothing recalls them (grant.revokeSessions is off)`,
      };
    }
    const identity =
      typeof grant.state.sourceIdentity === "string" ? grant.state.sourceIdentity : sourceIdentity(grant.subject);
    const iam = this.deps.clients.iamFor(regionOf(this.deps.clients, grant.profile));
    const endsAt =
      typeof grant.state.sessionExpiresAt === "string" ? Date.parse(grant.state.sessionExpiresAt) : undefined;
    return readBackDeny(
      iam,
      options.roleArn,
      identity,
      sessionIssuedAt(grant.state) ?? Number.POSITIVE_INFINITY,
      endsAt,
    );
  }

  private async issue(
    profile: Profile,
    subject: GrantSubject,
    requestId: string,
    grantExpiresAt: Date,
    refreshed: boolean,
  ): Promise<GrantOutcome> {
    const options = awsRoleOf(profile);
    const region = regionOf(this.deps.clients, profile);
    const now = this.deps.clock.now();
    const durationSeconds = sessionSeconds(options, (grantExpiresAt.getTime() - now.getTime()) / 1000);
    const sessionName = roleSessionName(subject);
    const identity = sourceIdentity(subject);
    const tags = {
      ...options.sessionTags,
      "jit-request-id": sanitizeTagValue(requestId),
      "jit-requester": sanitizeTagValue(subject.email || subject.slackUserId),
    };

    let credentials: SessionCredentials;
    let assumedRoleArn: string | null = null;
    let issuedAt: Date;
    try {
      const answer = await this.deps.clients.stsFor(region).send(
        new AssumeRoleCommand({
          RoleArn: options.roleArn,
          RoleSessionName: sessionName,
          DurationSeconds: durationSeconds,
          SourceIdentity: identity,
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
          ...(options.externalId ? { ExternalId: options.externalId } : {}),
        }),
      );
      const c = answer.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
        throw new ProviderError(
          "UNKNOWN",
          "AWS answered AssumeRole without credentials; an operator should check STS.",
        );
      }
      credentials = {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiresAt: c.Expiration,
      };
      assumedRoleArn = answer.AssumedRoleUser?.Arn ?? null;
      // STS's issue time is Expiration minus the duration; jitbot's clock after the answer bounds it too.
      issuedAt = new Date(Math.max(c.Expiration.getTime() - durationSeconds * 1000, this.deps.clock.now().getTime()));
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      throw toProviderError(error, {
        kind: "assume-role",
        roleArn: options.roleArn,
        region,
        maxSessionSeconds: maxSessionSeconds(options),
      });
    }

    if (credentials.expiresAt.getTime() > grantExpiresAt.getTime()) {
      this.deps.logger?.warn(
        {
          requestId,
          profile: profile.id,
          sessionExpiresAt: credentials.expiresAt.toISOString(),
          revokeSessions: options.revokeSessions,
        },
        "aws-role: the STS session (15 min minimum) outlives the grant",
      );
    }

    // The access key id is an identifier, not a secret (CloudTrail logs it in every event); keeping
    // it lets an operator find the session's API calls. Secret key and token never leave the DM.
    const state: ProviderState = {
      roleArn: options.roleArn,
      region,
      sessionName,
      sourceIdentity: identity,
      accessKeyId: credentials.accessKeyId,
      assumedRoleArn,
      sessionIssuedAt: issuedAt.toISOString(),
      sessionExpiresAt: credentials.expiresAt.toISOString(),
    };
    const cluster = profile.cluster;
    return {
      state,
      providerExpiresAt: credentials.expiresAt,
      instructions: awsRoleInstructions(
        {
          profile,
          roleArn: options.roleArn,
          clusterName: cluster.name,
          region,
          namespace: cluster.namespace,
          grantExpiresAt,
          revokeSessions: options.revokeSessions,
          refreshed,
        },
        credentials,
      ),
    };
  }
}
