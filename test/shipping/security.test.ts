import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/config/load.js";
import { findObject, type KubeObject, kubeObjects, manifestsDir } from "./manifests.js";

// Narrow views of the fields asserted below; the schema test has already checked the full shapes.
type Probe = { httpGet?: { path?: string; port?: string | number } };
type Container = {
  name: string;
  image: string;
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{ name: string; value?: string }>;
  securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[]; add?: string[] } };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
};
type PodSpec = {
  securityContext?: Record<string, unknown>;
  containers: Container[];
  volumes?: Array<{ name: string; emptyDir?: object; configMap?: { name: string } }>;
  automountServiceAccountToken?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
};
type StatefulSetSpec = {
  replicas: number;
  updateStrategy?: { type?: string };
  template: { spec: PodSpec };
  volumeClaimTemplates?: Array<{ metadata: { name: string } }>;
};
type Port = { port: number; protocol?: string };
type NetworkPolicySpec = {
  policyTypes: string[];
  ingress?: Array<{ ports?: Port[] }>;
  egress?: Array<{ ports?: Port[]; to?: unknown[] }>;
};

const objects = kubeObjects(`${manifestsDir}/base`);
const statefulSet = findObject(objects, "StatefulSet", "jitbot", "jitbot");
const spec = statefulSet.spec as StatefulSetSpec;
const pod = spec.template.spec;
const container = pod.containers[0] as Container;

describe("the bot's workload (manifests/base)", () => {
  it("runs exactly one replica and replaces it stop-then-start (SQLite has one writer)", () => {
    expect(spec.replicas).toBe(1);
    // A one-replica StatefulSet deletes the old pod before creating the new one: the Recreate guarantee.
    expect(spec.updateStrategy?.type ?? "RollingUpdate").toBe("RollingUpdate");
    expect(pod.containers).toHaveLength(1);
  });

  it("keeps the database on a persistent volume at /data, the only writable place besides /tmp", () => {
    expect(spec.volumeClaimTemplates?.map((t) => t.metadata.name)).toEqual(["data"]);
    const mounts = Object.fromEntries((container.volumeMounts ?? []).map((m) => [m.mountPath, m]));
    expect(mounts["/data"]?.name).toBe("data");
    expect(mounts["/etc/jitbot"]?.readOnly).toBe(true);
    const tmp = pod.volumes?.find((v) => v.name === mounts["/tmp"]?.name);
    expect(tmp?.emptyDir).toBeDefined();
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ JITBOT_DB: "/data/jitbot.db", JITBOT_CONFIG: "/etc/jitbot/jitbot.yaml", PORT: "3000" });
  });

  it("runs as non-root with a read-only root filesystem, no privilege escalation and no capabilities", () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(Number(pod.securityContext?.runAsUser)).toBeGreaterThan(0);
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
    });
    expect(container.securityContext?.privileged).not.toBe(true);
    expect(container.securityContext?.capabilities?.drop).toEqual(["ALL"]);
    expect(container.securityContext?.capabilities?.add ?? []).toEqual([]);
    expect(pod.hostNetwork ?? false).toBe(false);
    expect(pod.hostPID ?? false).toBe(false);
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it("probes liveness on /healthz and readiness on /readyz, on the named http port 3000", () => {
    expect(container.livenessProbe?.httpGet?.path).toBe("/healthz");
    expect(container.readinessProbe?.httpGet?.path).toBe("/readyz");
    expect(container.startupProbe?.httpGet?.path ?? "/healthz").toBe("/healthz");
    expect(container.ports).toEqual([{ name: "http", containerPort: 3000, protocol: "TCP" }]);
  });

  it("declares resource requests and a memory limit", () => {
    expect(container.resources?.requests?.cpu).toBeDefined();
    expect(container.resources?.requests?.memory).toBeDefined();
    expect(container.resources?.limits?.memory).toBeDefined();
  });

  it("lives in a namespace that enforces the restricted Pod Security Standard", () => {
    const namespace = findObject(objects, "Namespace", "jitbot");
    expect(namespace.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  });

  it("is reached through a Service port 80 → the container's http port", () => {
    const service = findObject(objects, "Service", "jitbot", "jitbot");
    expect((service.spec as { ports: unknown[] }).ports).toEqual([
      { name: "http", port: 80, targetPort: "http", protocol: "TCP" },
    ]);
  });
});

describe("the NetworkPolicy", () => {
  const policy = findObject(objects, "NetworkPolicy", "jitbot", "jitbot");
  const npSpec = policy.spec as NetworkPolicySpec;
  const ports = (rules: Array<{ ports?: Port[] }> | undefined) =>
    (rules ?? [])
      .flatMap((rule) => rule.ports ?? [{ port: Number.NaN }])
      .map((p) => `${p.port}/${p.protocol ?? "TCP"}`);

  it("governs both directions", () => {
    expect(npSpec.policyTypes.sort()).toEqual(["Egress", "Ingress"]);
  });

  it("lets in only the bot's port 3000", () => {
    expect(ports(npSpec.ingress)).toEqual(["3000/TCP"]);
  });

  it("lets out only DNS (53 UDP and TCP) and HTTPS (443)", () => {
    // A rule without ports would open every port: ports() maps it to NaN so it fails here.
    expect(ports(npSpec.egress).sort()).toEqual(["443/TCP", "53/TCP", "53/UDP"]);
  });
});

describe("the Secret and ConfigMap templates", () => {
  it("the Secret holds placeholders only, for the Slack variables the bot reads", () => {
    const secret = findObject(objects, "Secret", "jitbot-secrets", "jitbot");
    const data = secret.stringData as Record<string, string>;
    expect(Object.keys(data).sort()).toEqual(["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]);
    for (const value of Object.values(data)) expect(value).toMatch(/REPLACE_ME/);
    expect(secret.data).toBeUndefined();
  });

  it("the pod takes its environment from that Secret and mounts that ConfigMap", () => {
    const envFrom = (container as Container & { envFrom?: Array<{ secretRef?: { name: string } }> }).envFrom;
    expect(envFrom?.map((e) => e.secretRef?.name)).toEqual(["jitbot-secrets"]);
    expect(pod.volumes?.find((v) => v.configMap)?.configMap?.name).toBe("jitbot-policy");
  });

  it("the ConfigMap's policy is valid and starts in dry-run", () => {
    const configMap: KubeObject = findObject(objects, "ConfigMap", "jitbot-policy", "jitbot");
    const text = (configMap.data as Record<string, string>)["jitbot.yaml"] ?? "";
    const policy = parsePolicy(text, "manifests/base/configmap.yaml");
    expect(policy.dryRun).toBe(true);
  });
});
