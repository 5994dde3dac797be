/** The functions the system deploys; each is a package under packages/functions/<name>. */
export const FUNCTION_NAMES = ["hello-api", "s3-processor", "ec2-monitor"] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

export const STAGE_NAMES = ["dev", "prod"] as const;
export type StageName = (typeof STAGE_NAMES)[number];

export const LOG_LEVELS = ["DEBUG", "INFO", "WARN", "ERROR"] as const;

/** Size and limits of one function in one stage. */
export interface FunctionSettings {
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
}

/** Everything that differs between stages, as data. */
export interface StageConfig {
  readonly stage: StageName;
  readonly region: string;
  readonly functions: Readonly<Record<FunctionName, FunctionSettings>>;
  /** CloudWatch Logs retention of every log group, in days. */
  readonly logRetentionDays: number;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  /** Retries and maximum event age of the asynchronously invoked functions (Lambda's defaults: 2, 6 h). */
  readonly async: { readonly maximumRetryAttempts: number; readonly maximumEventAgeSeconds: number };
  readonly api: {
    /** The API Gateway stage name: the tutorial's URLs are `/prod/hello`. */
    readonly stageName: string;
    readonly throttlingRateLimit: number;
    readonly throttlingBurstLimit: number;
    readonly corsAllowOrigin: string;
    /**
     * Whether this stack sets the account-wide API Gateway CloudWatch Logs role (needed for access
     * logs). It is one setting per account and region: enable it in exactly one stack there.
     */
    readonly manageAccountLogRole: boolean;
  };
  /** The EventBridge schedule of ec2-monitor. */
  readonly monitorSchedule: string;
  /** Alarm notifications go to this address when set (an SNS e-mail subscription). */
  readonly alarmEmail?: string;
  /** Deletion protection of the table, and force_destroy off for the bucket. */
  readonly deletionProtection: boolean;
  readonly tags: Readonly<Record<string, string>>;
}

const devFunctions = {
  "hello-api": { memoryMb: 128, timeoutSeconds: 3 },
  "s3-processor": { memoryMb: 256, timeoutSeconds: 30 },
  "ec2-monitor": { memoryMb: 128, timeoutSeconds: 60 },
} as const satisfies Record<FunctionName, FunctionSettings>;

/** The stages, one stack each. */
export const STAGES: Readonly<Record<StageName, StageConfig>> = {
  dev: {
    stage: "dev",
    region: "us-east-1",
    functions: devFunctions,
    logRetentionDays: 14,
    logLevel: "DEBUG",
    async: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 3600 },
    api: {
      stageName: "prod",
      throttlingRateLimit: 50,
      throttlingBurstLimit: 100,
      corsAllowOrigin: "*",
      manageAccountLogRole: true,
    },
    monitorSchedule: "rate(5 minutes)",
    deletionProtection: false,
    tags: { environment: "development" },
  },
  prod: {
    stage: "prod",
    region: "us-east-1",
    functions: {
      "hello-api": { memoryMb: 256, timeoutSeconds: 5 },
      "s3-processor": { memoryMb: 512, timeoutSeconds: 60 },
      "ec2-monitor": { memoryMb: 256, timeoutSeconds: 60 },
    },
    logRetentionDays: 90,
    logLevel: "INFO",
    async: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 6 * 3600 },
    api: {
      stageName: "prod",
      throttlingRateLimit: 500,
      throttlingBurstLimit: 1000,
      corsAllowOrigin: "*",
      manageAccountLogRole: true,
    },
    monitorSchedule: "rate(5 minutes)",
    deletionProtection: true,
    tags: { environment: "production" },
  },
};
