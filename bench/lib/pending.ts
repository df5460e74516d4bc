import { forEachLimited } from "../../src/grants/concurrency.js";
import type { AccessService } from "../../src/service/access-service.js";
import { PROFILE, requesterId } from "./people.js";

export interface Pending {
  id: string;
  channel: string;
  ts: string;
}

/** Files `count` requests through the service (stored, approval message posted), as the modal does. */
export async function filePendingRequests(
  service: Pick<AccessService, "submit">,
  count: number,
  requesters = 50,
): Promise<Pending[]> {
  const out: Pending[] = [];
  const indexes = Array.from({ length: count }, (_, i) => i);
  await forEachLimited(indexes, 8, async (i) => {
    const result = await service.submit(requesterId(i % requesters), {
      profileId: PROFILE,
      durationSeconds: 7200,
      justification: "Benchmark: investigating the failing ingress",
      ticket: "OPS-42",
    });
    if (!result.ok) throw new Error(`could not file a request: ${JSON.stringify(result)}`);
    const request = result.request;
    out.push({ id: request.id, channel: request.approvalChannel ?? "C0APPROVALS", ts: request.approvalTs ?? "" });
  });
  return out;
}
