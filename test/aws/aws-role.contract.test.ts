import { providerContract } from "../contract/provider-contract.js";
import { profileOf, ROLE_ARN, requestFor, startWorld } from "./helpers.js";

// revokeSessions: an aws-role grant can only be "not granted" after a revoke when the deny policy
// makes the session useless; without it AWS ends the session itself (tested in aws-role.test.ts).
providerContract("aws-role", async () => {
  const world = await startWorld(", revokeSessions: true");
  const profile = profileOf(world.policy, "eks-pod-manager");
  let people = 0;
  return {
    provider: world.awsRole,
    // A new person per request: a deny written by one case's revoke covers that person's later
    // sessions issued in the same second (the fake clock stands still), as it would in AWS.
    newRequest: () => {
      const user = `person${++people}`;
      return requestFor(profile, world.clock, 3600, { slackUserId: "U0X", email: `${user}@example.com`, name: user });
    },
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
