import type { Profile } from "../../config/schema.js";
import type { ConnectInstructions } from "../provider.js";

/** The temporary keys as they go into the DM, and nowhere else. */
export interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiresAt: Date;
}

export interface AwsConnectContext {
  profile: Profile;
  roleArn: string;
  clusterName: string;
  region: string;
  namespace: string | undefined;
  grantExpiresAt: Date;
  revokeSessions: boolean;
  /** A refresh (not the first session): the summary says so. */
  refreshed: boolean;
}

/** The name of the credentials-file profile and kubeconfig user: the jitbot profile, prefixed. */
export function awsProfileName(profile: Profile): string {
  return `jit-${profile.id}`;
}

function utc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/**
 * Everything the person pastes to use the access: keys (secret sections, redacted from the DM when
 * the access ends), then a kubeconfig that only names the credentials profile, so it holds no secret.
 */
export function awsRoleInstructions(context: AwsConnectContext, credentials: SessionCredentials): ConnectInstructions {
  const { profile, clusterName, region, namespace } = context;
  const name = awsProfileName(profile);
  const until = utc(credentials.expiresAt);
  const sessionOutlivesGrant = credentials.expiresAt.getTime() > context.grantExpiresAt.getTime();
  const grantOutlivesSession = credentials.expiresAt.getTime() < context.grantExpiresAt.getTime();
  const namespaceFlag = namespace ? ` --namespace ${namespace}` : "";

  const notes = [
    `EKS tokens from \`aws eks get-token\` last 15 minutes; kubectl fetches new ones with these keys until ${until}.`,
  ];
  if (grantOutlivesSession) {
    notes.push(
      `Your access lasts until ${utc(context.grantExpiresAt)}, longer than one AWS session: use *Refresh credentials* for new keys when these expire.`,
    );
  }
  if (sessionOutlivesGrant) {
    notes.push(
      `AWS's shortest session is 15 minutes, so these keys outlive your access (${utc(context.grantExpiresAt)}).`,
    );
  }
  notes.push(
    context.revokeSessions
      ? `An early revoke blocks these keys for AWS API calls within a few minutes (IAM applies policy changes with a short delay); kubectl keeps working until ${until}, because EKS sign-in (sts:GetCallerIdentity) cannot be denied.`
      : "AWS cannot recall issued keys: they keep working until they expire, even after an early revoke.",
  );

  return {
    summary:
      `${context.refreshed ? "Fresh temporary" : "Temporary"} AWS credentials for ${context.roleArn} on EKS cluster ` +
      `${clusterName} (${region}), valid until ${until}; your access ends ${utc(context.grantExpiresAt)}.`,
    sections: [
      {
        heading: `Shell (expires ${until})`,
        code: [
          `export AWS_ACCESS_KEY_ID=${credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${credentials.secretAccessKey} AWS_SESSION_TOKEN=${credentials.sessionToken}`,
          `export AWS_REGION=${region}`,
        ].join("\n"),
        secret: true,
      },
      {
        heading: `~/.aws/credentials profile (expires ${until})`,
        code: [
          `[${name}]`,
          `aws_access_key_id = ${credentials.accessKeyId}`,
          `aws_secret_access_key = ${credentials.secretAccessKey}`,
          `aws_session_token = ${credentials.sessionToken}`,
          `region = ${region}`,
        ].join("\n"),
        secret: true,
      },
      {
        heading: "kubeconfig in one line (uses the profile above)",
        code: `aws eks update-kubeconfig --name ${clusterName} --region ${region} --profile ${name}`,
      },
      {
        heading: "Or add this user to your kubeconfig",
        text: "It holds no secret: `aws eks get-token` signs with the credentials profile.",
        code: kubeconfigUser(name, clusterName, region),
      },
      {
        heading: "Check what you may do",
        code: `kubectl auth can-i --list${namespaceFlag}`,
      },
    ],
    notes,
  };
}

function kubeconfigUser(name: string, clusterName: string, region: string): string {
  return [
    "users:",
    `  - name: ${name}`,
    "    user:",
    "      exec:",
    "        apiVersion: client.authentication.k8s.io/v1beta1",
    "        command: aws",
    `        args: [eks, get-token, --cluster-name, ${clusterName}, --region, ${region}, --output, json]`,
    "        env:",
    "          - name: AWS_PROFILE",
    `            value: ${name}`,
    "        interactiveMode: Never",
  ].join("\n");
}
