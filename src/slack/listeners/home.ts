import type { App } from "@slack/bolt";
import type { SlackDeps } from "./deps.js";

/** App Home: my access, my pending requests, and for approvers what waits on them. */
export function registerHome(app: App, deps: SlackDeps): void {
  app.event("app_home_opened", async ({ event }) => {
    if (event.tab !== "home") return;
    await deps.homes.opened(event.user);
  });
}
