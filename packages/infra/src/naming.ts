import type { StageName } from "./config/stages.ts";

export const PROJECT = "lambdaform";

/**
 * The single naming helper: every resource name is `lambdaform-<stage>-<role>`.
 *
 * @example
 * const names = new Naming("dev");
 * names.of("hello-api"); // "lambdaform-dev-hello-api"
 * names.of("FileProcessingLog"); // "lambdaform-dev-FileProcessingLog"
 */
export class Naming {
  constructor(readonly stage: StageName) {}

  /** The stack of this stage. */
  get stack(): string {
    return `${PROJECT}-${this.stage}`;
  }

  of(role: string): string {
    return `${PROJECT}-${this.stage}-${role}`;
  }

  /** A lower-case prefix for names AWS makes unique (S3 buckets), ending with a dash. */
  prefix(role: string): string {
    return `${this.of(role).toLowerCase()}-`;
  }

  /** The log group Lambda writes a function's logs to. */
  lambdaLogGroup(functionName: string): string {
    return `/aws/lambda/${functionName}`;
  }
}
