import type { Profile } from "../../src/config/schema.js";
import type { AccessRequest, GrantRecord } from "../../src/domain/request.js";
import type { Notifier } from "../../src/service/ports.js";

/** Records what people would be told, for engine tests where Slack is not what is measured. */
export class CountingNotifier implements Notifier {
  readonly ended: string[] = [];
  readonly alerts: string[] = [];
  async requestSubmitted() {
    return { receipt: undefined, approval: undefined };
  }
  async approvalRecorded() {}
  async breakGlassUsed() {
    return { receipt: undefined, approval: undefined };
  }
  async breakGlassConfirmed() {}
  async breakGlassSummary() {}
  async requestDecided() {}
  async requestClosed() {}
  async messagesCaughtUp() {}
  async approvalReminder() {}
  async grantActivated() {
    return undefined;
  }
  async credentialsRefreshed() {
    return undefined;
  }
  async grantFailed() {
    return undefined;
  }
  async grantExtended() {
    return undefined;
  }
  async expiryReminder() {}
  async grantEnded(request: AccessRequest, _profile: Profile, _grant: GrantRecord) {
    this.ended.push(request.id);
    return true;
  }
  async revokeFailing(request: AccessRequest) {
    this.alerts.push(request.id);
  }
  async driftFound() {}
  async auditAnchored() {}
  async credentialsDead() {}
  async orphansRemoved() {}
}
