import type { App } from "@slack/bolt";
import { asSlackView } from "../blocks/kit.js";
import { homeView } from "../blocks/overview.js";
import type { SlackDeps } from "./deps.js";

/** App Home: my access, my pending requests, and for approvers what waits on them. */
export function registerHome(app: App, deps: SlackDeps): void {
  app.event("app_home_opened", async ({ event, client }) => {
    if (event.tab !== "home") return;
    await publishHome(client, deps, event.user);
  });
}

export async function publishHome(client: App["client"], deps: SlackDeps, userId: string): Promise<void> {
  const { service, clock } = deps;
  const view = homeView({
    access: service.myAccess(userId),
    awaiting: await service.awaitingDecisionBy(userId),
    profiles: new Map(service.policy.profiles.map((p) => [p.id, p])),
    now: clock.now(),
  });
  await client.views.publish({ user_id: userId, view: asSlackView(view) });
}
