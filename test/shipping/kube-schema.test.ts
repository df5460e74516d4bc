import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { schemaErrors } from "./kube-schema.js";
import {
  isKubeObject,
  isKustomization,
  type KubeObject,
  kubeObjects,
  listYamlFiles,
  loadDocuments,
  manifestsDir,
  repoRoot,
} from "./manifests.js";

const objects = kubeObjects();

describe("every Kubernetes object under manifests/", () => {
  it("parses, and there are objects to check", () => {
    expect(objects.length).toBeGreaterThan(10);
  });

  it.each(objects.map(({ file, object }) => [`${file}: ${object.kind} ${object.metadata?.name}`, object] as const))(
    "%s is valid against the Kubernetes schema",
    (_, object) => {
      expect(schemaErrors(object)).toEqual([]);
    },
  );

  it("uses only known top-level fields (the schemas allow unknown ones, so typos would pass)", () => {
    const known = new Set([
      "apiVersion",
      "kind",
      "metadata",
      "spec",
      "data",
      "stringData",
      "binaryData",
      "type",
      "immutable",
      "rules",
      "roleRef",
      "subjects",
      "automountServiceAccountToken",
    ]);
    const unknown = objects.flatMap(({ file, object }) =>
      Object.keys(object)
        .filter((key) => !known.has(key))
        .map((key) => `${file}: ${key}`),
    );
    expect(unknown).toEqual([]);
  });

  it("the schema check catches a wrong type (the validator is really on)", () => {
    const broken: KubeObject = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "x" },
      spec: { ports: [{ port: "eighty" }] },
    };
    expect(schemaErrors(broken).join()).toMatch(/port/);
    expect(schemaErrors({ apiVersion: "nope/v9", kind: "Thing", metadata: { name: "x" } })).toHaveLength(1);
  });
});

describe("kustomizations", () => {
  const kustomizations = listYamlFiles(manifestsDir).filter((file) => /kustomization\.ya?ml$/.test(file));

  it.each(kustomizations.map((file) => [relative(repoRoot, file), file]))(
    "%s lists only files that exist",
    (_, file) => {
      const [doc] = loadDocuments(file);
      const value = doc?.value;
      expect(isKubeObject(value) && isKustomization(value)).toBe(true);
      const spec = value as { resources?: string[]; patches?: Array<{ path?: string }> };
      const listed = [...(spec.resources ?? []), ...(spec.patches ?? []).flatMap((p) => (p.path ? [p.path] : []))];
      expect(listed.length).toBeGreaterThan(0);
      const missing = listed.filter((entry) => !existsSync(join(dirname(file), entry)));
      expect(missing).toEqual([]);
    },
  );

  it("the base lists every YAML file in its folder", () => {
    const base = join(manifestsDir, "base");
    const [doc] = loadDocuments(join(base, "kustomization.yaml"));
    const listed = new Set((doc?.value as { resources?: string[] } | undefined)?.resources ?? []);
    const files = listYamlFiles(base)
      .map((file) => relative(base, file))
      .filter((file) => file !== "kustomization.yaml");
    expect(files.filter((file) => !listed.has(file))).toEqual([]);
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

// kubectl's built-in kustomize is offline; where kubectl is not installed this part is skipped.
describe.skipIf(!hasKubectl())("kubectl kustomize builds", () => {
  const work = mkdtempSync(join(tmpdir(), "jitbot-kustomize-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  function build(dir: string): KubeObject[] {
    const out = execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8", timeout: 20_000 });
    return parseAllDocuments(out)
      .map((doc) => doc.toJS() as unknown)
      .filter(isKubeObject);
  }

  it.each(["base", "examples/aks", "examples/eks"])("manifests/%s builds to valid objects", (dir) => {
    const built = build(join(manifestsDir, dir));
    expect(built.length).toBeGreaterThan(0);
    expect(built.flatMap(schemaErrors)).toEqual([]);
  });

  it("the example overlay, set up as docs/deploy.md says, replaces the policy, secret and image", () => {
    const overlay = join(work, "manifests/overlays/prod");
    cpSync(join(manifestsDir, "base"), join(work, "manifests/base"), { recursive: true });
    cpSync(join(manifestsDir, "examples/overlay"), overlay, { recursive: true });
    cpSync(join(manifestsDir, "examples/jitbot.yaml"), join(overlay, "jitbot.yaml"));
    cpSync(join(overlay, "secrets.env.example"), join(overlay, "secrets.env"));

    const built = build(overlay);
    expect(built.flatMap(schemaErrors)).toEqual([]);
    const policy = built.find((o) => o.kind === "ConfigMap" && o.metadata.name === "jitbot-policy");
    expect(String((policy?.data as Record<string, string> | undefined)?.["jitbot.yaml"])).toContain("eks-pod-manager");
    const secrets = built.filter((o) => o.kind === "Secret");
    expect(secrets.map((s) => s.metadata.name)).toEqual(["jitbot-secrets"]);
    expect(Object.keys(secrets[0]?.data as object).sort()).toEqual(["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]);
    expect(JSON.stringify(built)).toContain('"image":"myacr.azurecr.io/jitbot:0.1.0"');
  });
});
