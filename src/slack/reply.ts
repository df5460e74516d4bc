import type { WebClient } from "@slack/web-api";
import { isDomainError } from "../domain/errors.js";
import { describeFailure, newCorrelationId } from "../domain/messages.js";
import type { Logger } from "../service/ports.js";

/** Where a person clicked: a channel or DM message, or a view (modal, App Home) with no channel. */
export interface ClickPlace {
  userId: string;
  channelId?: string;
}

/** A private answer: ephemeral where the click happened, else a DM. */
export async function tell(client: WebClient, place: ClickPlace, text: string): Promise<void> {
  if (place.channelId) {
    await client.chat.postEphemeral({ channel: place.channelId, user: place.userId, text });
  } else {
    await client.chat.postMessage({ channel: place.userId, text });
  }
}

/**
 * Runs a listener's work after its ack. Refusals reach the person as one sentence; anything
 * unexpected is logged with a correlation id and the person gets that id.
 */
export async function guarded(
  client: WebClient,
  logger: Logger,
  place: ClickPlace,
  work: () => Promise<void>,
  refusalPrefix = "",
): Promise<void> {
  try {
    await work();
  } catch (error) {
    const correlationId = newCorrelationId();
    if (!isDomainError(error)) {
      logger.error(
        { correlationId, userId: place.userId, err: error instanceof Error ? error.message : String(error) },
        "listener failed",
      );
    }
    const sentence = describeFailure(error, correlationId);
    try {
      await tell(client, place, `${refusalPrefix}${sentence}`);
    } catch (deliveryError) {
      logger.warn({ correlationId, err: (deliveryError as Error).message }, "could not tell the user");
    }
  }
}

/** Tells the person the sentence an early end came back with, if any (the DMs say the rest). */
export async function answer(
  client: WebClient,
  place: ClickPlace,
  outcome: Promise<{ answer: string | undefined }>,
): Promise<void> {
  const { answer: sentence } = await outcome;
  if (sentence) await tell(client, place, sentence);
}
