import type { App } from "@slack/bolt";
import { registerBreakGlass } from "./break-glass.js";
import { registerCommand } from "./command.js";
import { registerDecisions } from "./decisions.js";
import type { SlackDeps } from "./deps.js";
import { registerGate } from "./gate.js";
import { registerGrantActions } from "./grant-actions.js";
import { registerHome } from "./home.js";
import { registerOnCallRevoke } from "./on-call-revoke.js";
import { registerRequestForm } from "./request-form.js";

export function registerListeners(app: App, deps: SlackDeps): void {
  registerGate(app, deps);
  registerCommand(app, deps);
  registerRequestForm(app, deps);
  registerDecisions(app, deps);
  registerBreakGlass(app, deps);
  registerGrantActions(app, deps);
  registerHome(app, deps);
  registerOnCallRevoke(app, deps);
}
