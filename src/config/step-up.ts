import { z } from "zod";

/**
 * `approval.stepUp`: an approval counts only once the approver has signed in again with Entra ID.
 * `stepUp: entra` is the short form of `stepUp: {provider: entra}`; `authenticationContext` names a
 * Conditional Access authentication context (c1…c25) the sign-in must satisfy, such as one whose
 * policy asks for MFA within the last 10 minutes.
 */
export const stepUpSchema = z.preprocess(
  (value) => (typeof value === "string" ? { provider: value } : value),
  z.strictObject({
    provider: z.literal("entra", { message: 'must be "entra" (the one step-up sign-in jitbot offers)' }),
    authenticationContext: z
      .string()
      .regex(/^[cC]([1-9]|1[0-9]|2[0-5])$/, {
        message: "must be an Entra authentication context id, c1 to c25",
      })
      .transform((id) => id.toLowerCase())
      .optional(),
  }),
);

export type StepUpPolicy = z.infer<typeof stepUpSchema>;
