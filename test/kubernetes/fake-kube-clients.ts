/**
 * jitbot's real Kubernetes clients (@kubernetes/client-node with cluster.ts's credentials) pointed at
 * a fake AKS API server, and the Status body of a call it refuses: what the fake-server tests share.
 */
import { DefaultAzureCredential } from "@azure/identity";
import { ApiException, AuthorizationV1Api, CustomObjectsApi, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { expect } from "vitest";
import { ManualClock } from "../../src/domain/clock.js";
import { kubeConfigFor, tokenSourceFor } from "../../src/grants/kubernetes/cluster.js";
import type { FakeKube } from "../fakes/kube-server.js";
import { startAksKube } from "./support.js";

export async function aksClients(clusters: FakeKube[], clock = new ManualClock(new Date())) {
  const kube = await startAksKube(clock);
  clusters.push(kube);
  const token = tokenSourceFor(
    { kind: "aks", name: "prod-aks", resourceGroup: "rg", subscriptionId: "00000000-0000-0000-0000-000000000000" },
    { env: {}, clock, azureCredential: () => new DefaultAzureCredential() },
  );
  const config = kubeConfigFor({ name: "prod-aks", server: kube.url, caData: kube.caData }, token);
  return {
    kube,
    rbac: config.makeApiClient(RbacAuthorizationV1Api),
    authz: config.makeApiClient(AuthorizationV1Api),
    custom: config.makeApiClient(CustomObjectsApi),
  };
}

/** The HTTP code and whole Status body of a call the server refused (the call must fail). */
export async function refusedWith(call: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown> }> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiException);
  const api = error as ApiException<unknown>;
  const body = typeof api.body === "string" ? (api.body ? JSON.parse(api.body) : {}) : (api.body ?? {});
  return { code: api.code, body: body as Record<string, unknown> };
}
