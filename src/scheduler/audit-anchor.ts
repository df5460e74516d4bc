import type { Policy } from "../config/schema.js";
import type { Logger, Notifier } from "../service/ports.js";
import { ANCHOR_MESSAGE } from "../store/audit-anchor.js";
import type { Store } from "../store/index.js";

/**
 * Publishes the audit chain's head where the database's owner cannot rewrite it: one log line
 * (`{"msg":"audit anchor","seq":N,"hash":"…","sig":"…"}`, shipped off the node by the log
 * pipeline) and, when the policy names one, the audit channel. `jitbot audit verify --anchors
 * <log>` then detects a chain cut short or rewritten after the anchor.
 */
export async function publishAuditAnchor(deps: {
  store: Store;
  logger: Logger;
  notifier: Notifier;
  policy: Policy;
}): Promise<void> {
  const anchor = await deps.store.auditAnchor();
  deps.logger.info({ ...anchor }, ANCHOR_MESSAGE);
  const channel = deps.policy.audit?.channel;
  if (channel) await deps.notifier.auditAnchored(channel, anchor);
}
