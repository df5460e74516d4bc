import * as models from "kubernetes-models";
import type { KubeObject } from "./manifests.js";

type ModelClass = new (data: KubeObject) => { validate(): void };

// kubernetes-models exports core/v1 as `v1` and every other group as a camel-cased namespace of versions.
const catalog = models as unknown as Record<string, Record<string, unknown> | undefined>;

/** "rbac.authorization.k8s.io/v1" → catalog.rbacAuthorizationK8sIo.v1; "v1" → catalog.v1. */
function modelClass(apiVersion: string, kind: string): ModelClass | undefined {
  const slash = apiVersion.indexOf("/");
  const kinds =
    slash === -1
      ? catalog[apiVersion]
      : (catalog[apiVersion.slice(0, slash).replace(/\.(\w)/g, (_, c: string) => c.toUpperCase())]?.[
          apiVersion.slice(slash + 1)
        ] as Record<string, unknown> | undefined);
  const model = kinds?.[kind];
  return typeof model === "function" ? (model as ModelClass) : undefined;
}

/** Schema errors of one object ([] when valid), per the Kubernetes OpenAPI schemas in kubernetes-models. */
export function schemaErrors(object: KubeObject): string[] {
  const Model = modelClass(object.apiVersion, object.kind);
  if (!Model) return [`no schema for ${object.apiVersion} ${object.kind} (unknown or removed API)`];
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}
