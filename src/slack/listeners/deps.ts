import type { Clock } from "../../domain/clock.js";
import type { AccessService } from "../../service/access-service.js";
import type { Logger } from "../../service/ports.js";
import type { HomeTabs } from "../home-tabs.js";

export interface SlackDeps {
  service: AccessService;
  clock: Clock;
  logger: Logger;
  canRefresh: (profileId: string) => boolean;
  homes: HomeTabs;
}
