import type { Clock } from "../../domain/clock.js";
import type { AccessService } from "../../service/access-service.js";
import type { Logger } from "../../service/ports.js";
import type { StepUpService } from "../../stepup/service.js";
import type { HomeTabs } from "../home-tabs.js";
import type { SlackLane } from "../lanes.js";

export interface SlackDeps {
  service: AccessService;
  clock: Clock;
  logger: Logger;
  canRefresh: (profileId: string) => boolean;
  homes: HomeTabs;
  /** Approve on a profile with approval.stepUp answers with a sign-in link instead. */
  stepUp: Pick<StepUpService, "offer">;
  /** Where a click's work after its ack waits its turn while Slack requests keep arriving. */
  afterAck: SlackLane;
  /** True the first time any replica sees this Slack delivery id (Store.claimDelivery). */
  claimDelivery: (id: string) => Promise<boolean>;
}
