import type { Client } from "@microsoft/microsoft-graph-client";
import type { PasswordCredential } from "@microsoft/microsoft-graph-types";
import { graphCall, graphCallTolerating, isDoesNotExist } from "./errors.js";

import { APPS } from "./temporary-app.js";

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
