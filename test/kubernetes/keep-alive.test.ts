/**
 * jitbot's cluster client reuses its TLS connections: client-node 1.4 would open a new one (TCP and
 * TLS handshake) for every call, which made 1,000 revokes over 30 s fall minutes behind on the
 * bench (p99 58 s from expires_at to the cluster's "denied"; p99 1.4 s with reuse).
 */
import type { Server } from "node:https";
import { AuthorizationV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/domain/clock.js";
import { kubeConfigFor, tokenSourceFor } from "../../src/grants/kubernetes/cluster.js";
import type { FakeKube } from "../fakes/kube-server.js";
import { EKS_KEYS, startEksKube } from "./support.js";

const STS_ORIGIN = "http://127.0.0.1:9";
const clock = new ManualClock(new Date());
let kube: FakeKube;
let handshakes = 0;

beforeAll(async () => {
  kube = await startEksKube(clock, { clusterName: "prod", stsOrigin: STS_ORIGIN });
  // The fake's own https.Server: every TLS handshake it completes is one new connection.
  const server = (kube as unknown as { server: Server }).server;
  server.on("secureConnection", () => {
    handshakes += 1;
  });
});
afterAll(() => kube.close());

describe("jitbot's connection to a cluster's API server", () => {
  it("makes one TLS connection for a series of calls, not one per call", async () => {
    const cluster = { name: "prod", server: kube.url, caData: kube.caData };
    const token = tokenSourceFor(
      { kind: "eks", name: "prod", region: "us-west-2" },
      {
        env: {
          AWS_ACCESS_KEY_ID: EKS_KEYS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: EKS_KEYS.secretAccessKey,
          AWS_ENDPOINT_URL_STS: STS_ORIGIN,
        },
        clock,
        azureCredential: () => {
          throw new Error("no Azure on EKS");
        },
      },
    );
    const authz = kubeConfigFor(cluster, token).makeApiClient(AuthorizationV1Api);
    for (let i = 0; i < 10; i++) {
      const review = await authz.createSelfSubjectRulesReview({ body: { spec: { namespace: "payments" } } });
      expect(review.status?.incomplete).toBe(false);
    }
    expect(handshakes).toBe(1);
  });
});
