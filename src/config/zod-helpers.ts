import { z } from "zod";
import { parseDuration } from "./duration.js";

/** A duration string ("90m", "2h30m") in the file; seconds in the loaded config. */
export const durationSchema = z.string().transform((text, ctx) => {
  const seconds = parseDuration(text);
  if (seconds === undefined) {
    ctx.addIssue({ code: "custom", message: `${JSON.stringify(text)} is not a duration (try "15m", "1h", "2h30m")` });
    return z.NEVER;
  }
  return seconds;
});

export const uuidSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, {
    message: "must be an object id (a GUID such as 6f1c2a9e-1b7d-4f3a-9c1e-2d5b8a7f4e10)",
  });

export const slackUserIdSchema = z.string().regex(/^[UW][A-Z0-9]{2,}$/, { message: "must be a Slack user id (U…)" });
export const slackUserGroupIdSchema = z
  .string()
  .regex(/^S[A-Z0-9]{2,}$/, { message: "must be a Slack user group id (S…)" });
export const slackChannelIdSchema = z
  .string()
  .regex(/^[CG][A-Z0-9]{2,}$/, { message: "must be a Slack channel id (C…), not a #name" });
