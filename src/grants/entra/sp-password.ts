import type { Client } from "@microsoft/microsoft-graph-client";
import type { PasswordCredential } from "@microsoft/microsoft-graph-types";
import { ProviderError } from "../errors.js";
import { graphCall, graphCallTolerating, isDoesNotExist } from "./errors.js";

export const APPS = "Application.ReadWrite.OwnedBy";

/** A new secret of the temporary application; `secretText` goes to the DM only, never stored. */
export interface NewPassword {
  keyId: string;
  secretText: string;
}

/**
 * application: addPassword (Graph v1.0): the secret works until `endsAt`, when Entra refuses it
 * (AADSTS7000222), whether or not jitbot is running.
 */
export async function addPassword(
  client: Client,
  applicationId: string,
  requestId: string,
  endsAt: Date,
): Promise<NewPassword> {
  const password = (await graphCall({ action: "add a password to the temporary application", permission: APPS }, () =>
    client.api(`/applications/${applicationId}/addPassword`).post({
      passwordCredential: { displayName: `jitbot ${requestId}`, endDateTime: endsAt.toISOString() },
    }),
  )) as PasswordCredential;
  if (!password.secretText || !password.keyId) {
    throw new ProviderError("UNKNOWN", "Entra did not return the new service principal's secret.");
  }
  return { keyId: password.keyId, secretText: password.secretText };
}

/** application: removePassword (Graph v1.0, 204). A key already gone counts as removed. */
export async function removePassword(client: Client, applicationId: string, keyId: string): Promise<void> {
  await graphCallTolerating(
    { action: "remove the old password of the temporary application", permission: APPS },
    isDoesNotExist,
    () => client.api(`/applications/${applicationId}/removePassword`).post({ keyId }),
  );
}

/** The application's password keys other than `keep` (for grants stored before keyIds were). */
export async function otherPasswordKeys(client: Client, applicationId: string, keep: string): Promise<string[]> {
  const app = (await graphCall({ action: "read the temporary application's passwords", permission: APPS }, () =>
    client.api(`/applications/${applicationId}`).select("passwordCredentials").get(),
  )) as { passwordCredentials?: PasswordCredential[] };
  return (app.passwordCredentials ?? [])
    .map((p) => p.keyId)
    .filter((keyId): keyId is string => typeof keyId === "string" && keyId !== keep);
}
