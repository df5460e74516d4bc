import { type Logger, SocketModeReceiver } from "@slack/bolt";
import type { WebClientOptions } from "@slack/web-api";
import { ENVELOPE_ID } from "./listeners/deliveries.js";

/**
 * Bolt's own Socket Mode receiver, built here rather than by the App for one reason: Bolt hands a
 * listener the envelope's payload but not its `envelope_id`, which is what tells a redelivered
 * envelope from a new one. @slack/socket-mode passes the id to the receiver's
 * customPropertiesExtractor, which puts it into every listener's context (the gate reads it).
 */
export function socketModeReceiver(options: {
  appToken: string;
  logger: Logger;
  clientOptions: WebClientOptions;
}): SocketModeReceiver {
  return new SocketModeReceiver({
    appToken: options.appToken,
    logger: options.logger,
    // Bolt does not hand the App's clientOptions to the Socket Mode client: without this,
    // apps.connections.open ignores SLACK_API_URL (GovSlack) and retries a hundred times.
    installerOptions: { clientOptions: options.clientOptions },
    customPropertiesExtractor: (event: { envelope_id?: unknown }) =>
      typeof event.envelope_id === "string" ? { [ENVELOPE_ID]: event.envelope_id } : {},
  });
}
