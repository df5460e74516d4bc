import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export const manifestsDir = join(repoRoot, "manifests");

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
};

export type LoadedDocument = { file: string; index: number; value: unknown };

export function listYamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** Every non-empty document of a (multi-document) YAML file; a syntax error throws naming the file. */
export function loadDocuments(file: string): LoadedDocument[] {
  const name = relative(repoRoot, file);
  return parseAllDocuments(readFileSync(file, "utf8")).flatMap((doc, index) => {
    if (doc.errors.length > 0) throw new Error(`${name} document ${index}: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    return value === null || value === undefined ? [] : [{ file: name, index, value }];
  });
}

export function isKubeObject(value: unknown): value is KubeObject {
  if (typeof value !== "object" || value === null) return false;
  const { apiVersion, kind } = value as Record<string, unknown>;
  return typeof apiVersion === "string" && typeof kind === "string";
}

export function isKustomization(value: KubeObject): boolean {
  return value.apiVersion.startsWith("kustomize.config.k8s.io/");
}

/** The Kubernetes objects under manifests/ (kustomization files and policy files excluded). */
export function kubeObjects(dir = manifestsDir): Array<{ file: string; object: KubeObject }> {
  return listYamlFiles(dir)
    .flatMap(loadDocuments)
    .flatMap(({ file, value }) => (isKubeObject(value) && !isKustomization(value) ? [{ file, object: value }] : []));
}

export function findObject(
  objects: Array<{ file: string; object: KubeObject }>,
  kind: string,
  name: string,
  namespace?: string,
): KubeObject {
  const found = objects.find(
    ({ object }) =>
      object.kind === kind &&
      object.metadata.name === name &&
      (namespace === undefined || object.metadata.namespace === namespace),
  );
  if (!found) throw new Error(`no ${kind} ${namespace ? `${namespace}/` : ""}${name} under manifests/`);
  return found.object;
}
