import { providerContract } from "../contract/provider-contract.js";
import { startKubeFixture } from "./support.js";

const PODS = { verb: "get", group: "", resource: "pods", namespace: "payments" };

for (const kind of ["aks", "eks"] as const) {
  providerContract(`kubernetes-rolebinding (${kind.toUpperCase()})`, async () => {
    const f = await startKubeFixture({ kind });
    let people = 0;
    return {
      provider: f.provider,
      newRequest: () => f.request(`person${++people}-${kind}@example.com`),
      // Granted means what the cluster's own authorizer says for the person's cluster user name.
      async isGranted(request) {
        const user = kind === "aks" ? request.subject.email : `jitbot:${request.subject.email.replace("@", "-")}`;
        return f.kube.allows(user, PODS);
      },
      throttleNext: (times) => {
        for (let i = 0; i < times; i++) {
          // "TooManyRequests … HTTP status code: 429" with Retry-After (api-conventions.md).
          f.kube.failNext(429, "TooManyRequests", "Too many requests, please try again later.", { "Retry-After": "1" });
        }
      },
      forbidNext: () =>
        f.kube.failNext(
          403,
          "Forbidden",
          'rolebindings.rbac.authorization.k8s.io is forbidden: User "jitbot" cannot create resource',
        ),
      close: f.close,
    };
  });
}
