import { providerContract } from "../contract/provider-contract.js";
import { profileOf, ROLE_ARN, requestFor, startWorld } from "./helpers.js";

// revokeSessions: an aws-role grant can only be "not granted" after a revoke when the deny policy
// makes the session useless; without it AWS ends the session itself (tested in aws-role.test.ts).
providerContract("aws-role", async () => {
  const world = await startWorld(", revokeSessions: true");
  const profile = profileOf(world.policy, "eks-pod-manager");
  return {
    provider: world.awsRole,
    newRequest: () => requestFor(profile, world.clock),
    async isGranted(request, outcome) {
      const keyId = outcome?.state.accessKeyId;
      const sessions = world.fake.sessions.filter(
        (s) => s.roleArn === ROLE_ARN && s.tags["jit-request-id"] === request.requestId,
      );
      if (typeof keyId === "string") return world.fake.isSessionUsable(keyId);
      return sessions.some((s) => world.fake.isSessionUsable(s.accessKeyId));
    },
    throttleNext: (times) => world.fake.throttleNext(times),
    forbidNext: () => world.fake.forbidNext(),
    advance: async (ms) => {
      await world.clock.advance(ms);
    },
    close: () => world.fake.close(),
  };
});
