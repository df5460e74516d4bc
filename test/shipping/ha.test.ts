import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { DATABASE_AUTH_MODES } from "../../src/store/pg-auth.js";
import { schemaErrors } from "./kube-schema.js";
import { findObject, isKubeObject, type KubeObject, kubeObjects, listYamlFiles, manifestsDir } from "./manifests.js";

// Narrow views of the fields asserted below; kube-schema.test.ts has already checked the full shapes.
type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };
type Container = {
  name: string;
  image: string;
  command?: string[];
  env?: EnvVar[];
  securityContext?: Record<string, unknown>;
  livenessProbe?: { httpGet?: { path?: string } };
  readinessProbe?: { httpGet?: { path?: string } };
  startupProbe?: { httpGet?: { path?: string } };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
};
type Spread = {
  topologyKey: string;
  maxSkew: number;
  whenUnsatisfiable: string;
  labelSelector?: { matchLabels?: Record<string, string> };
};
type PodSpec = {
  securityContext?: Record<string, unknown>;
  containers: Container[];
  initContainers?: Container[];
  volumes?: Array<{ name: string; persistentVolumeClaim?: object; configMap?: { name: string; optional?: boolean } }>;
  topologySpreadConstraints?: Spread[];
};
type PodTemplate = { metadata: { labels: Record<string, string> }; spec: PodSpec };
type Patch = { target?: { kind?: string; name?: string }; patch?: string; path?: string };
type JsonPatchOp = { op: string; path: string; value?: unknown };
type Kustomization = { resources?: string[]; patches?: Patch[]; components?: string[] };

const haDir = join(manifestsDir, "ha");
const ha = kubeObjects(haDir);
const base = kubeObjects(join(manifestsDir, "base"));
const kustomization = parse(readFileSync(join(haDir, "kustomization.yaml"), "utf8")) as Kustomization;

const deployment = findObject(ha, "Deployment", "jitbot", "jitbot");
const deploymentSpec = deployment.spec as {
  replicas: number;
  selector: { matchLabels: Record<string, string> };
  strategy?: { rollingUpdate?: { maxUnavailable?: number | string } };
  template: PodTemplate;
};
const pod = deploymentSpec.template.spec;
const podLabels = deploymentSpec.template.metadata.labels;
const bot = pod.containers[0] as Container;
const job = findObject(ha, "Job", "jitbot-migrate", "jitbot");
const jobPod = (job.spec as { template: PodTemplate }).template;
const statefulSetPod = (findObject(base, "StatefulSet", "jitbot", "jitbot").spec as { template: PodTemplate }).template
  .spec;

const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);
const env = (container: Container, name: string) => container.env?.find((e) => e.name === name);
const inlinePatch = (kind: string) => kustomization.patches?.find((p) => p.target?.kind === kind)?.patch ?? "";

/** The Service selector after the overlay's JSON patch, applied the way kustomize applies an "add". */
function patchedServiceSelector(): Record<string, string> {
  const service = findObject(base, "Service", "jitbot", "jitbot");
  const selector = { ...(service.spec as { selector: Record<string, string> }).selector };
  for (const op of parse(inlinePatch("Service")) as JsonPatchOp[]) {
    const prefix = "/spec/selector/";
    if (op.op !== "add" || !op.path.startsWith(prefix)) throw new Error(`unexpected Service patch ${op.path}`);
    selector[op.path.slice(prefix.length).replaceAll("~1", "/").replaceAll("~0", "~")] = String(op.value);
  }
  return selector;
}

describe("manifests/ha: several replicas on PostgreSQL", () => {
  it("lists the base and every file of its folder, and each exists", () => {
    const resources = kustomization.resources ?? [];
    expect(resources).toContain("../base");
    for (const entry of resources) expect(existsSync(join(haDir, entry)), entry).toBe(true);
    const own = listYamlFiles(haDir)
      .filter((file) => !file.includes("/migrate"))
      .map((file) => file.slice(haDir.length + 1))
      .filter((file) => file !== "kustomization.yaml");
    expect(own.filter((file) => !resources.includes(file))).toEqual([]);
  });

  it("runs a Deployment of 3 replicas and deletes the base's SQLite StatefulSet", () => {
    expect(deployment.kind).toBe("Deployment");
    expect(deploymentSpec.replicas).toBe(3);
    expect(selects(deploymentSpec.selector.matchLabels, podLabels)).toBe(true);
    // A rollout never goes below three ready pods.
    expect(deploymentSpec.strategy?.rollingUpdate?.maxUnavailable).toBe(0);
    expect(ha.filter(({ object }) => object.kind === "StatefulSet")).toEqual([]);
    expect(inlinePatch("StatefulSet")).toMatch(/\$patch: delete[\s\S]*kind: StatefulSet[\s\S]*name: jitbot/);
  });

  it("has no volume claim and no SQLite file: the state is in PostgreSQL", () => {
    expect(ha.filter(({ object }) => object.kind === "PersistentVolumeClaim")).toEqual([]);
    expect(deploymentSpec).not.toHaveProperty("volumeClaimTemplates");
    expect(pod.volumes?.filter((v) => v.persistentVolumeClaim)).toEqual([]);
    expect(env(bot, "JITBOT_DB")).toBeUndefined();
    expect(bot.volumeMounts?.map((m) => m.mountPath)).not.toContain("/data");
  });

  it("takes JITBOT_DATABASE_URL from the Secret jitbot-database, whose template holds a placeholder only", () => {
    expect(env(bot, "JITBOT_DATABASE_URL")).toEqual({
      name: "JITBOT_DATABASE_URL",
      valueFrom: { secretKeyRef: { name: "jitbot-database", key: "url" } },
    });
    const secret = findObject(ha, "Secret", "jitbot-database", "jitbot");
    const url = (secret.stringData as Record<string, string>).url ?? "";
    expect(url).toMatch(/^postgres:\/\/.*REPLACE_ME.*sslmode=verify-full/);
    expect(secret.data).toBeUndefined();
    expect(DATABASE_AUTH_MODES).toContain(env(bot, "JITBOT_DATABASE_AUTH")?.value);
  });

  it("is ready only when /readyz says so (it fails while the database is unreachable); liveness never asks the database", () => {
    expect(bot.readinessProbe?.httpGet?.path).toBe("/readyz");
    expect(bot.livenessProbe?.httpGet?.path).toBe("/healthz");
    expect(bot.startupProbe?.httpGet?.path).toBe("/healthz");
  });

  it("spreads the replicas over nodes (strictly) and zones (when it can), counting only the bot's pods", () => {
    const spread = Object.fromEntries((pod.topologySpreadConstraints ?? []).map((c) => [c.topologyKey, c]));
    expect(spread["kubernetes.io/hostname"]).toMatchObject({ maxSkew: 1, whenUnsatisfiable: "DoNotSchedule" });
    expect(spread["topology.kubernetes.io/zone"]).toMatchObject({ maxSkew: 1, whenUnsatisfiable: "ScheduleAnyway" });
    for (const constraint of Object.values(spread)) {
      expect(selects(constraint.labelSelector?.matchLabels ?? {}, podLabels)).toBe(true);
      expect(selects(constraint.labelSelector?.matchLabels ?? {}, jobPod.metadata.labels)).toBe(false);
    }
  });

  it("has a PodDisruptionBudget of one pod at a time whose selector is the Deployment's", () => {
    const pdb = findObject(ha, "PodDisruptionBudget", "jitbot", "jitbot");
    const spec = pdb.spec as {
      maxUnavailable?: number;
      minAvailable?: number;
      selector: { matchLabels: Record<string, string> };
    };
    expect(spec.maxUnavailable).toBe(1);
    expect(spec.minAvailable).toBeUndefined();
    expect(spec.selector.matchLabels).toEqual(deploymentSpec.selector.matchLabels);
    expect(selects(spec.selector.matchLabels, podLabels)).toBe(true);
    expect(selects(spec.selector.matchLabels, jobPod.metadata.labels)).toBe(false);
  });

  it("keeps the base's securityContext, for the pod and the container", () => {
    expect(pod.securityContext).toEqual(statefulSetPod.securityContext);
    expect(bot.securityContext).toEqual(statefulSetPod.containers[0]?.securityContext);
  });

  it("sends Slack through the Service to the bot's pods only, never to a migration pod", () => {
    const selector = patchedServiceSelector();
    expect(selects(selector, podLabels)).toBe(true);
    expect(selects(selector, jobPod.metadata.labels)).toBe(false);
  });

  it("lets the pods reach PostgreSQL on 5432 through the NetworkPolicy", () => {
    const ops = parse(inlinePatch("NetworkPolicy")) as JsonPatchOp[];
    expect(ops).toEqual([{ op: "add", path: "/spec/egress/-", value: { ports: [{ port: 5432, protocol: "TCP" }] } }]);
  });
});

describe("the optional migration step (teams that gate schema changes)", () => {
  const restricted = {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
  };

  it("the Job runs `jitbot migrate` with the migration role's URL, locked down like the bot", () => {
    const container = jobPod.spec.containers[0] as Container;
    expect(container.command).toEqual(["node", "dist/cli.js", "migrate"]);
    expect(env(container, "JITBOT_DATABASE_URL")?.valueFrom?.secretKeyRef).toEqual({
      name: "jitbot-database-migrate",
      key: "url",
    });
    findObject(ha, "Secret", "jitbot-database-migrate", "jitbot");
    expect(container.securityContext).toMatchObject(restricted);
    expect(jobPod.spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
  });

  it("the init-container component adds the same command, mounting only volumes the Deployment has", () => {
    const component = parse(readFileSync(join(haDir, "migrate-init/kustomization.yaml"), "utf8")) as Kustomization & {
      kind: string;
    };
    expect(component.kind).toBe("Component");
    const patchFile = component.patches?.[0]?.path ?? "";
    const ops = parse(readFileSync(join(haDir, "migrate-init", patchFile), "utf8")) as JsonPatchOp[];
    expect(ops.map((op) => [op.op, op.path])).toEqual([["add", "/spec/template/spec/initContainers"]]);
    const [init] = (ops[0]?.value ?? []) as Container[];
    expect(init?.command).toEqual(["node", "dist/cli.js", "migrate"]);
    expect(env(init as Container, "JITBOT_DATABASE_URL")?.valueFrom?.secretKeyRef?.name).toBe(
      "jitbot-database-migrate",
    );
    expect(init?.securityContext).toMatchObject(restricted);
    const volumes = new Set(pod.volumes?.map((v) => v.name));
    expect(init?.volumeMounts?.filter((m) => !volumes.has(m.name))).toEqual([]);
  });
});

function hasKubectl(): boolean {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore", timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

// kubectl's built-in kustomize is offline; where kubectl is not installed the checks above still run.
describe.skipIf(!hasKubectl())("kubectl kustomize builds manifests/ha", () => {
  const work = mkdtempSync(join(tmpdir(), "jitbot-ha-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  function build(dir: string): KubeObject[] {
    const out = execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8", timeout: 20_000 });
    return parseAllDocuments(out)
      .map((doc) => doc.toJS() as unknown)
      .filter(isKubeObject);
  }

  it("to valid objects: a Deployment, no StatefulSet, the Service and NetworkPolicy patched", () => {
    const built = build(haDir);
    expect(built.flatMap(schemaErrors)).toEqual([]);
    expect(built.map((o) => o.kind).filter((k) => k === "StatefulSet" || k === "PersistentVolumeClaim")).toEqual([]);
    const service = built.find((o) => o.kind === "Service");
    expect((service?.spec as { selector?: Record<string, string> } | undefined)?.selector).toEqual(
      patchedServiceSelector(),
    );
    const policy = built.find((o) => o.kind === "NetworkPolicy");
    expect(JSON.stringify(policy?.spec)).toContain('{"ports":[{"port":5432,"protocol":"TCP"}]}');
    expect(JSON.stringify(built.find((o) => o.kind === "Deployment"))).toContain(
      '"image":"myacr.azurecr.io/jitbot:0.1.0"',
    );
  });

  it("with the migrate-init component on, the init container gets the same image", () => {
    cpSync(manifestsDir, join(work, "manifests"), { recursive: true });
    const file = join(work, "manifests/ha/kustomization.yaml");
    const text = readFileSync(file, "utf8").replace(
      "# components:\n#   - migrate-init",
      "components:\n  - migrate-init",
    );
    expect(text).toContain("components:\n  - migrate-init");
    writeFileSync(file, text);
    const built = build(join(work, "manifests/ha"));
    expect(built.flatMap(schemaErrors)).toEqual([]);
    const deploymentBuilt = built.find((o) => o.kind === "Deployment")?.spec as { template: PodTemplate } | undefined;
    expect(deploymentBuilt?.template.spec.initContainers?.map((c) => [c.name, c.image])).toEqual([
      ["migrate", "myacr.azurecr.io/jitbot:0.1.0"],
    ]);
  });

  it("the migration Job builds on its own", () => {
    const built = build(join(haDir, "migrate"));
    expect(built.flatMap(schemaErrors)).toEqual([]);
    expect(built.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      "Job/jitbot-migrate",
      "Secret/jitbot-database-migrate",
    ]);
  });
});
