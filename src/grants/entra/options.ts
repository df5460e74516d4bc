import { z } from "zod";
import { uuidSchema } from "../../config/zod-helpers.js";

/**
 * PIM for Groups: a membership "can't be assigned for a duration of less than five minutes"
 * (groups-assign-member-owner). The longest one is the group's own PIM policy (its
 * Expiration_Admin_Assignment rule), which PIM enforces when jitbot asks; the 8 h often quoted is
 * the default maximum of an *activation*, which jitbot does not use.
 */
export const PIM_MIN_SECONDS = 5 * 60;

export const entraGroupOptions = z.strictObject({
  type: z.literal("entra-group"),
  groupId: uuidSchema,
});

export const entraPimGroupOptions = z.strictObject({
  type: z.literal("entra-pim-group"),
  groupId: uuidSchema,
});

export const entraServicePrincipalOptions = z.strictObject({
  type: z.literal("entra-service-principal"),
  groupId: uuidSchema,
});

export type EntraGroupOptions = z.infer<typeof entraGroupOptions>;
export type EntraPimGroupOptions = z.infer<typeof entraPimGroupOptions>;
export type EntraServicePrincipalOptions = z.infer<typeof entraServicePrincipalOptions>;
