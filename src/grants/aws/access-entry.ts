import {
  AssociateAccessPolicyCommand,
  CreateAccessEntryCommand,
  DeleteAccessEntryCommand,
  DescribeAccessEntryCommand,
  DisassociateAccessPolicyCommand,
  type EKSClient,
} from "@aws-sdk/client-eks";
import type { Profile } from "../../config/schema.js";
import { ProviderError } from "../errors.js";
import type { OrphanFinder, OwnedObject } from "../orphans.js";
import { extendOwnTimer } from "../own-timer.js";
import type {
  ActiveGrant,
  Extender,
  ExtendOutcome,
  GrantOutcome,
  GrantProvider,
  GrantRequest,
  ReadBack,
  RevokeOutcome,
  RevokeReader,
} from "../provider.js";
import { deleteOrphanEntry, listJitbotEntries, MANAGED_BY, REQUEST_TAG } from "./access-entry-orphans.js";
import type { AwsClients } from "./clients.js";
import { type AwsAction, isAwsError, toProviderError } from "./errors.js";
import type { EksAccessEntryOptions } from "./options.js";
import { readBackAccessEntry } from "./read-back.js";
import { isValidPrincipalArn, principalArnFor } from "./validate.js";

interface Target {
  options: EksAccessEntryOptions;
  eks: EKSClient;
  clusterName: string;
  principalArn: string;
  action: AwsAction;
}

/**
 * `eks-access-entry`: for people with their own IAM role or user. An access entry plus one access
 * policy association for the grant, deleted at the end. An entry that existed before jitbot (standing
 * access) is left in place; only the policy association jitbot added is removed.
 */
export class EksAccessEntryProvider implements GrantProvider, Extender, OrphanFinder, RevokeReader {
  readonly type = "eks-access-entry" as const;

  constructor(private readonly clients: AwsClients) {}

  async grant(request: GrantRequest): Promise<GrantOutcome> {
    const target = this.target(request.profile, request.subject.email);
    const { options, eks, clusterName, principalArn } = target;
    let createdEntry = true;
    try {
      await eks.send(
        new CreateAccessEntryCommand({
          clusterName,
          principalArn,
          // Both tags let the orphan reaper prove the entry is jitbot's, and for which request.
          tags: { [MANAGED_BY.key]: MANAGED_BY.value, [REQUEST_TAG]: request.requestId },
        }),
      );
    } catch (error) {
      if (!isAwsError(error, "ResourceInUseException")) throw toProviderError(error, target.action);
      createdEntry = await this.isManagedByJitbot(target);
    }
    try {
      await eks.send(
        new AssociateAccessPolicyCommand({
          clusterName,
          principalArn,
          policyArn: options.accessPolicyArn,
          accessScope: { type: options.accessScope.type, namespaces: options.accessScope.namespaces },
        }),
      );
    } catch (error) {
      throw toProviderError(error, target.action);
    }
    const cluster = request.profile.cluster;
    const region = cluster.kind === "eks" ? cluster.region : "";
    const scope =
      options.accessScope.type === "namespace"
        ? `namespaces ${options.accessScope.namespaces?.join(", ")}`
        : "the cluster";
    const policyName = options.accessPolicyArn.slice(options.accessPolicyArn.lastIndexOf("/") + 1);
    return {
      state: { clusterName, principalArn, policyArn: options.accessPolicyArn, createdEntry },
      instructions: {
        summary: `${principalArn} has ${policyName} on ${scope} of EKS cluster ${clusterName} (${region}) until your access ends.`,
        sections: [
          {
            heading: "kubeconfig (with your own AWS credentials for that principal)",
            code: `aws eks update-kubeconfig --name ${clusterName} --region ${region}`,
          },
          {
            heading: "Check what you may do",
            code: `kubectl auth can-i --list${options.accessScope.namespaces?.[0] ? ` --namespace ${options.accessScope.namespaces[0]}` : ""}`,
          },
        ],
        notes: ["EKS may take a few seconds to apply a new access entry; retry kubectl if the first call is refused."],
      },
    };
  }

  /** Access entries have no end in EKS: jitbot deletes the entry, so only jitbot's timer moves. */
  async extend(grant: ActiveGrant, expiresAt: Date): Promise<ExtendOutcome> {
    return extendOwnTimer(grant, expiresAt, "The EKS access entry");
  }

  async revoke(grant: ActiveGrant): Promise<RevokeOutcome> {
    const target = this.grantTarget(grant);
    const { eks, clusterName, principalArn } = target;
    try {
      if (grant.state.createdEntry === false) {
        await eks
          .send(
            new DisassociateAccessPolicyCommand({
              clusterName,
              principalArn,
              policyArn: target.options.accessPolicyArn,
            }),
          )
          .catch((error: unknown) => {
            if (!isAwsError(error, "ResourceNotFoundException")) throw error;
          });
        return {
          detail: `Standing access entry of ${principalArn} left in place; removed jitbot's policy association.`,
        };
      }
      // Whatever the state says, only an entry tagged as jitbot's is deleted.
      if (!(await this.isManagedByJitbot(target))) {
        return { detail: `No jitbot access entry for ${principalArn} on ${clusterName}; nothing to remove.` };
      }
      await eks.send(new DeleteAccessEntryCommand({ clusterName, principalArn })).catch((error: unknown) => {
        if (!isAwsError(error, "ResourceNotFoundException")) throw error;
      });
      return { detail: `Deleted the access entry of ${principalArn} on ${clusterName}.` };
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      throw toProviderError(error, target.action);
    }
  }

  readBack(grant: ActiveGrant): Promise<ReadBack> {
    const target = this.grantTarget(grant);
    return readBackAccessEntry({
      ...target,
      policyArn: target.options.accessPolicyArn,
      standingEntry: grant.state.createdEntry === false,
    });
  }

  listOwned(profile: Profile): Promise<OwnedObject[]> {
    return listJitbotEntries(this.cluster(profile));
  }

  removeOrphan(profile: Profile, object: OwnedObject): Promise<string | undefined> {
    return deleteOrphanEntry(this.cluster(profile), object);
  }

  private cluster(profile: Profile) {
    if (profile.cluster.kind !== "eks") {
      throw new ProviderError("INVALID_REQUEST", `Profile ${profile.id} is not on an EKS cluster.`);
    }
    const region = this.clients.region(profile.cluster.region);
    return { eks: this.clients.eksFor(region), clusterName: profile.cluster.name, region };
  }

  /** False when the entry is missing or was made by someone else. */
  private async isManagedByJitbot(target: Target): Promise<boolean> {
    try {
      const answer = await target.eks.send(
        new DescribeAccessEntryCommand({ clusterName: target.clusterName, principalArn: target.principalArn }),
      );
      return answer.accessEntry?.tags?.[MANAGED_BY.key] === MANAGED_BY.value;
    } catch (error) {
      if (isAwsError(error, "ResourceNotFoundException")) return false;
      throw toProviderError(error, target.action);
    }
  }

  /** The entry a stored grant names (its principal as granted), else the one its profile would make. */
  private grantTarget(grant: ActiveGrant): Target {
    const principal = typeof grant.state.principalArn === "string" ? grant.state.principalArn : grant.subject.email;
    return this.target(grant.profile, grant.subject.email, principal.startsWith("arn:") ? principal : undefined);
  }

  private target(profile: Profile, email: string, knownPrincipal?: string): Target {
    if (profile.grant.type !== "eks-access-entry" || profile.cluster.kind !== "eks") {
      throw new ProviderError("INVALID_REQUEST", `Profile ${profile.id} is not an eks-access-entry profile.`);
    }
    const options = profile.grant;
    const principalArn = knownPrincipal ?? principalArnFor(options, { email, name: email, slackUserId: "" });
    if (!isValidPrincipalArn(principalArn)) {
      throw new ProviderError(
        "IDENTITY_NOT_FOUND",
        `Your email does not make a valid IAM principal ARN for ${profile.id}; ask the operator to check grant.principalArn.`,
      );
    }
    const region = this.clients.region(profile.cluster.region);
    const action: AwsAction = { kind: "access-entry", cluster: profile.cluster.name, region, principalArn };
    return { options, eks: this.clients.eksFor(region), clusterName: profile.cluster.name, principalArn, action };
  }
}
