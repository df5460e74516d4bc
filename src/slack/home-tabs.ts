import type { WebClient } from "@slack/web-api";
import { requestables } from "../domain/bundle.js";
import type { Clock } from "../domain/clock.js";
import { FreshRead } from "../domain/fresh-read.js";
import { checkApprover, findProfile } from "../domain/policy.js";
import type { AccessRequest } from "../domain/request.js";
import type { AccessService } from "../service/access-service.js";
import type { Logger, Notifier } from "../service/ports.js";
import { asSlackView } from "./blocks/kit.js";
import { homeView } from "./blocks/overview.js";

/** Who has opened App Home, kept where every replica sees it (the store). */
export interface HomeVisitors {
  homeOpened(userId: string, at: Date): Promise<void>;
  /** Visitors still remembered at `now` (a visit is forgotten after 30 days). */
  homeVisitors(now: Date): Promise<string[]>;
}

/**
 * The App Home tab. Published when someone opens it, and again after each change to a request
 * it shows — for the people who have opened it, on any replica, in the last 30 days: the
 * requester, and approvers who could decide (so a tab left open never shows stale buttons or grants).
 */
export class HomeTabs {
  private service: AccessService | undefined;
  /** Every change asks who has App Home open: changes that end together share the read (FreshRead). */
  private readonly currentVisitors: FreshRead<string[]>;

  constructor(
    private readonly client: WebClient,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly visitors: HomeVisitors,
  ) {
    this.currentVisitors = new FreshRead(() => this.visitors.homeVisitors(this.clock.now()));
  }

  /** The service is built after the notifier that refreshes homes; it is attached once ready. */
  attach(service: AccessService): void {
    this.service = service;
  }

  async opened(userId: string): Promise<void> {
    try {
      await this.visitors.homeOpened(userId, this.clock.now());
    } catch (error) {
      // The tab is still shown; it is only not refreshed after later changes.
      this.logger.warn({ userId, err: (error as Error).message }, "could not remember an App Home visit");
    }
    await this.publish(userId);
  }

  async publish(userId: string): Promise<void> {
    const service = this.service;
    if (!service) return;
    const view = homeView({
      access: await service.myAccess(userId),
      awaiting: await service.awaitingDecisionBy(userId),
      profiles: new Map(requestables(service.policy).map((p) => [p.id, p])),
      now: this.clock.now(),
    });
    await this.client.views.publish({ user_id: userId, view: asSlackView(view) });
  }

  /** Re-publishes the homes a change to `request` shows up in; failures are only logged. */
  async refreshFor(request: AccessRequest): Promise<void> {
    const service = this.service;
    if (!service) return;
    let visitors: string[];
    try {
      visitors = await this.currentVisitors.get();
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, "could not read App Home visitors; homes not refreshed");
      return;
    }
    const profile = findProfile(service.policy, request.profileId);
    for (const userId of visitors) {
      const involved =
        userId === request.requesterId ||
        (profile !== undefined &&
          checkApprover(profile, request.requesterId, await service.person(userId)) === undefined);
      if (!involved) continue;
      try {
        await this.publish(userId);
      } catch (error) {
        this.logger.warn({ userId, err: (error as Error).message }, "could not refresh App Home");
      }
    }
  }
}

/** A Notifier that, after each message about a request, refreshes the homes it shows up in. */
export function refreshingHomes<T extends object = Notifier>(inner: T, homes: HomeTabs): T {
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        const result: unknown = await value.apply(target, args);
        const [first] = args;
        if (isRequest(first)) await homes.refreshFor(first);
        return result;
      };
    },
  });
}

function isRequest(value: unknown): value is AccessRequest {
  return typeof value === "object" && value !== null && "requesterId" in value && "profileId" in value;
}
