import { formatDuration } from "../../config/duration.js";
import type { GrantType, Profile } from "../../config/schema.js";
import type { OrphanFinder, OwnedObject } from "../orphans.js";
import type {
  ActiveGrant,
  ConnectInstructions,
  Extender,
  ExtendOutcome,
  GrantOutcome,
  GrantProvider,
  GrantRequest,
  ReadBack,
  RevokeOutcome,
  RevokeReader,
} from "../provider.js";

/** What a dry run would have done; kept in memory so tests and the playground can look. */
export interface DryRunRecord {
  verb: "grant" | "revoke" | "extend";
  requestId: string;
  profileId: string;
  email: string;
  description: string;
}

/** Describes, in one sentence, the change a real provider would make. */
export function describeChange(profile: Profile, email: string, durationSeconds: number): string {
  const grant = profile.grant;
  const forHow = `for ${formatDuration(durationSeconds)}`;
  switch (grant.type) {
    case "entra-group":
      return `would add ${email} to Entra group ${grant.groupId} ${forHow}`;
    case "entra-pim-group":
      return `would create a PIM for Groups assignment of ${email} to group ${grant.groupId} ${forHow}`;
    case "entra-service-principal":
      return `would create a service principal for ${email}, with a secret ending in ${formatDuration(durationSeconds)}, in group ${grant.groupId}`;
    case "aws-role":
      return `would AssumeRole ${grant.roleArn} as ${email} ${forHow}`;
    case "eks-access-entry":
      return `would create an EKS access entry for ${grant.principalArn.replace("{email}", email)} with ${grant.accessPolicyArn} ${forHow}`;
    case "kubernetes-rolebinding":
      return `would bind ${email} to ${grant.roleRef.kind} ${grant.roleRef.name} ${grant.namespace ? `in namespace ${grant.namespace}` : "cluster-wide"} on ${profile.cluster.name} ${forHow}`;
  }
}

/** What a real provider would change in the cloud to extend a grant of this type. */
function providerSideEnd(profile: Profile): string {
  switch (profile.grant.type) {
    case "entra-pim-group":
      return " (adminExtend of the PIM assignment)";
    case "entra-service-principal":
      return " (a new secret ending then, the old one removed)";
    case "aws-role":
      return " (a new STS session up to then)";
    case "entra-group":
    case "eks-access-entry":
    case "kubernetes-rolebinding":
      return " (jitbot's own timer; nothing changes in the cloud)";
  }
}

function instructionsFor(request: GrantRequest, description: string): ConnectInstructions {
  const { profile } = request;
  const cluster = profile.cluster;
  if (profile.grant.type === "kubernetes-rolebinding") {
    // Authorisation only: the person signs in with their own identity, so there are no credentials to stand in for.
    const connect =
      cluster.kind === "aks"
        ? `az login\naz aks get-credentials --resource-group ${cluster.resourceGroup} --name ${cluster.name}\nkubelogin convert-kubeconfig -l azurecli`
        : `aws eks update-kubeconfig --name ${cluster.name} --region ${cluster.region}`;
    return {
      summary: `Dry run: nothing was changed on the cluster. jitbot ${description}.`,
      sections: [{ heading: "Connect (what you would run)", code: connect }],
      notes: ["This bot runs in dry-run mode (`dryRun: true` or the playground): no binding was created."],
      endEnforcedBy: "the cluster (in a real run)",
    };
  }
  const sections =
    cluster.kind === "aks"
      ? [
          {
            heading: "Connect (what you would run)",
            code: `az login\naz aks get-credentials --resource-group ${cluster.resourceGroup} --name ${cluster.name}\nkubelogin convert-kubeconfig -l azurecli`,
          },
        ]
      : [
          {
            heading: "Placeholder credentials — DRY RUN, these do not work",
            code: "export AWS_ACCESS_KEY_ID=DRYRUN-PLACEHOLDER AWS_SECRET_ACCESS_KEY=DRYRUN-PLACEHOLDER AWS_SESSION_TOKEN=DRYRUN-PLACEHOLDER",
            secret: true,
          },
          {
            heading: "Connect (what you would run)",
            code: `aws eks update-kubeconfig --name ${cluster.name} --region ${cluster.region}`,
          },
        ];
  return {
    summary: `Dry run: nothing was changed in the cloud. jitbot ${description}.`,
    sections,
    notes: ["This bot runs in dry-run mode (`dryRun: true` or the playground): no real access was granted."],
  };
}

/**
 * Stands in for any grant type: records the change it would make and changes nothing. It takes part
 * in the orphan reaper with what it "granted" in memory, so a dry run shows what the reaper would do.
 */
export class DryRunProvider implements GrantProvider, Extender, OrphanFinder, RevokeReader {
  readonly records: DryRunRecord[] = [];
  /** Request id → the profile and person it would have granted. */
  private readonly granted = new Map<string, { profileId: string; email: string }>();

  constructor(readonly type: GrantType) {}

  async grant(request: GrantRequest): Promise<GrantOutcome> {
    const description = describeChange(request.profile, request.subject.email, request.durationSeconds);
    this.records.push({
      verb: "grant",
      requestId: request.requestId,
      profileId: request.profile.id,
      email: request.subject.email,
      description,
    });
    this.granted.set(request.requestId, { profileId: request.profile.id, email: request.subject.email });
    return { state: { dryRun: true }, instructions: instructionsFor(request, description) };
  }

  async revoke(grant: ActiveGrant): Promise<RevokeOutcome> {
    const description = `would remove the access of ${grant.subject.email} (${grant.profile.title})`;
    this.records.push({
      verb: "revoke",
      requestId: grant.requestId,
      profileId: grant.profile.id,
      email: grant.subject.email,
      description,
    });
    this.granted.delete(grant.requestId);
    return { detail: `dry run: ${description}` };
  }

  /** Reads its own memory: a dry run changes nothing elsewhere, so there is nothing else to read. */
  async readBack(grant: ActiveGrant): Promise<ReadBack> {
    return this.granted.has(grant.requestId)
      ? { status: "present", detail: `dry run: still records the access of ${grant.subject.email}` }
      : { status: "gone", detail: `dry run: no longer records the access of ${grant.subject.email}` };
  }

  async extend(grant: ActiveGrant, expiresAt: Date): Promise<ExtendOutcome> {
    const description = `would move the end of ${grant.subject.email}'s access (${grant.profile.title}) to ${expiresAt.toISOString()}${providerSideEnd(grant.profile)}`;
    this.records.push({
      verb: "extend",
      requestId: grant.requestId,
      profileId: grant.profile.id,
      email: grant.subject.email,
      description,
    });
    return { state: grant.state, detail: `dry run: ${description}` };
  }

  async listOwned(profile: Profile): Promise<OwnedObject[]> {
    return [...this.granted]
      .filter(([, held]) => held.profileId === profile.id)
      .map(([requestId, held]) => ({
        key: `dry-run:${requestId}`,
        ref: requestId,
        description: `dry-run access of ${held.email} (${requestId})`,
        requestId,
        holders: [],
        fingerprint: requestId,
        removable: true,
      }));
  }

  async removeOrphan(profile: Profile, object: OwnedObject): Promise<string | undefined> {
    const held = this.granted.get(object.ref);
    if (!held) return undefined;
    this.granted.delete(object.ref);
    const description = `would remove the orphaned access of ${held.email} (${profile.title})`;
    this.records.push({ verb: "revoke", requestId: object.ref, profileId: profile.id, email: held.email, description });
    return `dry run: ${description}`;
  }

  isGranted(requestId: string): boolean {
    return this.granted.has(requestId);
  }
}
