import { z } from "zod";
import { uuidSchema } from "../../config/zod-helpers.js";

/** PIM for Groups activations end after at most 8 hours. */
export const PIM_MAX_SECONDS = 8 * 3600;

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
