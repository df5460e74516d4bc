import { dueAtFor } from "../domain/break-glass.js";
import type { GrantRecord } from "../domain/request.js";
import type { Tx } from "./engine.js";
import { GrantEnds, NO_LEASE } from "./grant-ends.js";
import { getRequest, moveRequest } from "./request-rows.js";

type State = GrantRecord["state"];

/** The grant rows' guarded writes; every state change is one transaction guarded on the old state. */
export class GrantRepo extends GrantEnds {
  /**
   * Written before the provider is called, so a crash mid-call is found and reconciled at start-up.
   * False when the request is no longer `approved` (withdrawn meanwhile): nothing may be granted.
   */
  /**
   * With `owner`, the in-flight row is leased to that replica for `leaseMs` (renewed by its
   * heartbeat): another replica may take it over only once the lease lapsed, so an approval being
   * granted on one replica is never granted again by another's start-up reconcile.
   */
  async start(input: {
    requestId: string;
    provider: string;
    at: Date;
    expiresAt: Date;
    owner?: string;
    leaseMs?: number;
  }): Promise<boolean> {
    const lease = input.owner
      ? { lease_owner: input.owner, lease_until: input.at.getTime() + (input.leaseMs ?? 60_000) }
      : NO_LEASE;
    return this.engine.write(async (tx) => {
      const request = await this.engine.lockRequest(tx, input.requestId);
      if (request?.status !== "approved") return false;
      const result = await tx.db
        .insertInto("grants")
        .values({
          request_id: input.requestId,
          provider: input.provider,
          status: "granting",
          started_at: input.at.getTime(),
          expires_at: input.expiresAt.getTime(),
          due_at: dueAtFor(request, input.expiresAt),
          ...lease,
        })
        .onConflict((conflict) =>
          conflict
            .column("request_id")
            .doUpdateSet((eb) => ({
              status: "granting",
              started_at: eb.ref("excluded.started_at"),
              expires_at: eb.ref("excluded.expires_at"),
              due_at: eb.ref("excluded.due_at"),
              lease_owner: eb.ref("excluded.lease_owner"),
              lease_until: eb.ref("excluded.lease_until"),
            }))
            .where((eb) =>
              eb.and([
                eb("grants.status", "=", "granting"),
                eb.or([
                  eb("grants.lease_owner", "is", null),
                  eb("grants.lease_owner", "=", input.owner ?? null),
                  eb("grants.lease_until", "<=", input.at.getTime()),
                ]),
              ]),
            ),
        )
        .executeTakeFirst();
      return result.numInsertedOrUpdatedRows === 1n;
    });
  }

  async activate(input: {
    requestId: string;
    state: State;
    at: Date;
    expiresAt: Date;
    providerExpiresAt?: Date;
  }): Promise<void> {
    await this.engine.write(async (tx) => {
      const request = await this.engine.lockRequest(tx, input.requestId);
      const result = await tx.db
        .updateTable("grants")
        // A revoke asked for while granting makes it due at once, in the same write that activates it.
        .set((eb) => ({
          status: "active",
          state: JSON.stringify(input.state),
          granted_at: input.at.getTime(),
          expires_at: input.expiresAt.getTime(),
          due_at: eb
            .case()
            .when("revoke_requested_at", "is", null)
            .then(eb.cast<number>(eb.val(dueAtFor(request, input.expiresAt)), "bigint"))
            .else(eb.cast<number>(eb.val(input.at.getTime()), "bigint"))
            .end(),
          end_reason: eb
            .case()
            .when("revoke_requested_at", "is", null)
            .then(eb.ref("end_reason"))
            .else("revoked")
            .end(),
          provider_expires_at: input.providerExpiresAt?.getTime() ?? null,
          ...NO_LEASE,
        }))
        .where("request_id", "=", input.requestId)
        .where("status", "=", "granting")
        .executeTakeFirst();
      if (result.numUpdatedRows !== 1n) throw new Error(`grant ${input.requestId} is not being granted`);
      await moveRequest(tx, {
        id: input.requestId,
        from: "approved",
        event: "activate",
        at: input.at,
        actor: "jitbot",
        detail: { expiresAt: input.expiresAt.toISOString() },
      });
      tx.changed(input.requestId, "grant.activated");
    });
  }

  /** The provider confirmed nothing is left. The request may already have failed (another reconcile). */
  async fail(input: { requestId: string; at: Date; reason: string }): Promise<void> {
    await this.engine.write(async (tx) => {
      await this.engine.lockRequest(tx, input.requestId);
      await tx.db
        .updateTable("grants")
        .set({ status: "failed", last_error: input.reason, ...NO_LEASE })
        .where("request_id", "=", input.requestId)
        .where("status", "=", "granting")
        .execute();
      await this.failRequest(tx, input);
    });
  }

  private async failRequest(tx: Tx, input: { requestId: string; at: Date; reason: string }): Promise<void> {
    if ((await getRequest(tx.db, input.requestId))?.status !== "approved") return;
    await moveRequest(tx, {
      id: input.requestId,
      from: "approved",
      event: "fail",
      at: input.at,
      actor: "jitbot",
      note: input.reason,
    });
  }

  /**
   * A roll-back the provider did not confirm. Whatever the grant row reached meanwhile (in flight,
   * active, or failed by a start-up reconcile), it becomes due now and `revoked`, so the sweep
   * retries it with backoff and alerts until the provider confirms. The request fails now: the
   * person never got this access, and `/jit list` must not show it as theirs.
   */
  async rollBackLater(input: { requestId: string; at: Date; reason: string; rollbackState: State }): Promise<void> {
    await this.engine.write(async (tx) => {
      await this.engine.lockRequest(tx, input.requestId);
      const result = await tx.db
        .updateTable("grants")
        .set((eb) => ({
          state: eb
            .case()
            .when("status", "=", "active")
            .then(eb.ref("state"))
            .else(JSON.stringify(input.rollbackState))
            .end(),
          status: "active",
          granted_at: eb.fn.coalesce("granted_at", eb.val(input.at.getTime())),
          due_at: input.at.getTime(),
          end_reason: "revoked",
          last_error: input.reason,
        }))
        .where("request_id", "=", input.requestId)
        .where("status", "in", ["granting", "active", "failed"])
        .executeTakeFirst();
      if (result.numUpdatedRows !== 1n) return;
      tx.audit({ at: input.at, actor: "jitbot", action: "grant.rollback_pending", requestId: input.requestId });
      tx.changed(input.requestId, "grant.rollback_pending");
      await this.failRequest(tx, input);
    });
  }

  /**
   * Changes the end of an active grant (extension); the timer is re-armed by the caller. A grant
   * whose end has passed is over even while its revoke is still retrying: it is never extended.
   * `provider` is what the provider changed to match (new state, the end the cloud now enforces).
   */
  async extend(
    requestId: string,
    expiresAt: Date,
    at: Date,
    actor: string,
    byRequestId: string,
    provider?: { state: State; providerExpiresAt?: Date; detail: string },
  ): Promise<boolean> {
    return this.engine.write(async (tx) => {
      const request = await this.engine.lockRequest(tx, requestId);
      const result = await tx.db
        .updateTable("grants")
        .set({
          expires_at: expiresAt.getTime(),
          // An unconfirmed break-glass grant keeps its deadline, whatever its new end.
          due_at: dueAtFor(request, expiresAt),
          reminder_sent_at: null,
          ...(provider ? { state: JSON.stringify(provider.state) } : {}),
          ...(provider?.providerExpiresAt ? { provider_expires_at: provider.providerExpiresAt.getTime() } : {}),
          ...NO_LEASE,
        })
        .where("request_id", "=", requestId)
        .where("status", "=", "active")
        .where("end_reason", "is", null)
        .where("expires_at", ">", at.getTime())
        .executeTakeFirst();
      if (result.numUpdatedRows !== 1n) return false;
      tx.audit({
        at,
        actor,
        action: "grant.extended",
        requestId,
        detail: {
          expiresAt: expiresAt.toISOString(),
          by: byRequestId,
          ...(provider ? { provider: provider.detail } : {}),
        },
      });
      tx.changed(requestId, "grant.extended");
      return true;
    });
  }

  async recordDm(requestId: string, channel: string, ts: string, hasSecret: boolean): Promise<void> {
    await this.db
      .updateTable("grants")
      .set({ dm_channel: channel, dm_ts: ts, dm_has_secret: hasSecret ? 1 : 0 })
      .where("request_id", "=", requestId)
      .execute();
  }

  /** The person was told their access ended (src/grants/end-notice.ts): no heartbeat tells them again. */
  async markEndTold(requestId: string, at: Date): Promise<void> {
    await this.engine.db
      .updateTable("grants")
      .set({ ended_told_at: at.getTime() })
      .where("request_id", "=", requestId)
      .where("status", "=", "ended")
      .execute();
  }

  async markReminderSent(requestId: string, at: Date): Promise<boolean> {
    const result = await this.db
      .updateTable("grants")
      .set({ reminder_sent_at: at.getTime() })
      .where("request_id", "=", requestId)
      .where("reminder_sent_at", "is", null)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async markAlerted(requestId: string, at: Date): Promise<void> {
    await this.db
      .updateTable("grants")
      .set({ last_alert_at: at.getTime() })
      .where("request_id", "=", requestId)
      .execute();
  }

  async setState(requestId: string, state: State, providerExpiresAt?: Date): Promise<void> {
    await this.db
      .updateTable("grants")
      .set({ state: JSON.stringify(state), provider_expires_at: providerExpiresAt?.getTime() ?? null })
      .where("request_id", "=", requestId)
      .execute();
  }
}
