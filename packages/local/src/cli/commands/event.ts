import { existsSync } from "node:fs";
import { join } from "node:path";
import { LOCAL_ACCOUNT_ID } from "../../identity.ts";
import {
  EVENT_TYPE_CHOICES,
  eventType,
  type GenerateOptions,
  generateEvent,
} from "../../sources/generate.ts";
import { readStack } from "../../stack/read-stack.ts";
import { chosenStackDir, nonNegative, pairs, STACK_DIR_FLAG, STAGE_FLAG } from "../args.ts";
import { defineCommand, UsageError } from "../command.ts";

/** The flags that shape a generated event (`pnpm event`, and `pnpm invoke --type`). */
export const EVENT_FLAGS = {
  bucket: { type: "string" },
  key: { type: "string" },
  size: { type: "string" },
  method: { type: "string" },
  path: { type: "string" },
  header: { type: "string", multiple: true },
  query: { type: "string", multiple: true },
  body: { type: "string" },
  "no-headers": { type: "boolean", default: false },
  "rule-arn": { type: "string" },
} as const;

/** The values of {@link EVENT_FLAGS}, as parsed. */
export interface EventFlagValues {
  readonly bucket?: string;
  readonly key?: string;
  readonly size?: string;
  readonly method?: string;
  readonly path?: string;
  readonly header?: ReadonlyArray<string>;
  readonly query?: ReadonlyArray<string>;
  readonly body?: string;
  readonly "no-headers"?: boolean;
  readonly "rule-arn"?: string;
}

/** The generator options the event flags give. */
export function eventOptions(values: EventFlagValues): GenerateOptions {
  const size = nonNegative(values.size, "--size");
  if (size !== undefined && !Number.isInteger(size))
    throw new UsageError(`--size must be a whole number ≥ 0, got ${values.size}`);
  return {
    s3: {
      ...(values.bucket ? { bucket: values.bucket } : {}),
      ...(values.key ? { key: values.key } : {}),
      ...(size === undefined ? {} : { size }),
    },
    apigw: {
      ...(values.method ? { method: values.method } : {}),
      ...(values.path ? { path: values.path } : {}),
      ...(values.body ? { body: values.body } : {}),
      headers: Object.fromEntries(pairs(values.header, "--header")),
      query: Object.fromEntries(pairs(values.query, "--query")),
      noHeaders: values["no-headers"] === true,
    },
    schedule: values["rule-arn"] ? { ruleArn: values["rule-arn"] } : {},
  };
}

/** `lambdaform event`: prints a sample event, like `sam local generate-event`. */
export const eventCommand = defineCommand({
  name: "event",
  summary: "print a sample event with the stack's defaults",
  usage: `event <event-type> [--stage dev] [--key K] [--bucket B] [--size N] [--method M] [--path P]
         [--header Name=Value]… [--query name=value]… [--body B] [--no-headers] [--rule-arn ARN]
         [--stack-dir <cdktf.out/stacks/…>]
Event types: ${EVENT_TYPE_CHOICES.join("; ")}`,
  options: { ...STAGE_FLAG, ...STACK_DIR_FLAG, ...EVENT_FLAGS },
  run({ values, positionals, root }) {
    const [type] = positionals;
    if (!type) throw new UsageError("event needs an event type.");
    const dir = chosenStackDir(root, values);
    const stack = existsSync(join(dir, "cdk.tf.json")) ? readStack(dir) : undefined;
    const generated = generateEvent(eventType(type), stack, LOCAL_ACCOUNT_ID, eventOptions(values));
    process.stdout.write(`${JSON.stringify(generated, null, 2)}\n`);
    return 0;
  },
});
