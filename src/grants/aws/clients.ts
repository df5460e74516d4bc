import { EKSClient } from "@aws-sdk/client-eks";
import { IAMClient } from "@aws-sdk/client-iam";
import { STSClient } from "@aws-sdk/client-sts";

/** What every AWS SDK client gets from jitbot's environment (the `env` given to the factory). */
interface SharedConfig {
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  maxAttempts?: number;
}

/**
 * The SDK clients, created on first use per region so nothing happens at import or start-up.
 *
 * Endpoints and static keys are read from the `env` parameter and passed explicitly: the SDK itself
 * reads `AWS_ENDPOINT_URL_STS` & co. only from `process.env`, and an injected environment must win.
 * Without static keys the SDK's default chain runs (IRSA web identity, EKS Pod Identity, …).
 */
export class AwsClients {
  private readonly sts = new Map<string, STSClient>();
  private readonly iam = new Map<string, IAMClient>();
  private readonly eks = new Map<string, EKSClient>();
  private readonly shared: SharedConfig;

  constructor(private readonly env: NodeJS.ProcessEnv) {
    this.shared = sharedConfig(env);
  }

  /** The profile's cluster region, else AWS_REGION / AWS_DEFAULT_REGION. */
  region(clusterRegion: string | undefined): string {
    const region = clusterRegion ?? this.env.AWS_REGION ?? this.env.AWS_DEFAULT_REGION;
    if (!region) throw new Error("No AWS region: set cluster.region on the profile or AWS_REGION");
    return region;
  }

  stsFor(region: string): STSClient {
    return cached(this.sts, region, () => new STSClient({ ...this.shared, region, endpoint: this.endpoint("STS") }));
  }

  /** IAM is global; the region only picks the partition (aws, aws-cn, aws-us-gov). */
  iamFor(region: string): IAMClient {
    return cached(this.iam, region, () => new IAMClient({ ...this.shared, region, endpoint: this.endpoint("IAM") }));
  }

  eksFor(region: string): EKSClient {
    return cached(this.eks, region, () => new EKSClient({ ...this.shared, region, endpoint: this.endpoint("EKS") }));
  }

  destroy(): void {
    for (const client of [...this.sts.values(), ...this.iam.values(), ...this.eks.values()]) client.destroy();
    this.sts.clear();
    this.iam.clear();
    this.eks.clear();
  }

  private endpoint(service: "STS" | "IAM" | "EKS"): string | undefined {
    return this.env[`AWS_ENDPOINT_URL_${service}`] || this.env.AWS_ENDPOINT_URL || undefined;
  }
}

function sharedConfig(env: NodeJS.ProcessEnv): SharedConfig {
  const config: SharedConfig = {};
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    config.credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  }
  const attempts = Number(env.AWS_MAX_ATTEMPTS);
  if (Number.isInteger(attempts) && attempts >= 1) config.maxAttempts = attempts;
  return config;
}

function cached<T>(map: Map<string, T>, key: string, create: () => T): T {
  let value = map.get(key);
  if (!value) {
    value = create();
    map.set(key, value);
  }
  return value;
}
