#!/usr/bin/env node
// The lambdaform CLI: `pnpm invoke`, `pnpm event`, `pnpm dlq`.
import { register } from "tsx/esm/api";

// The AWS SDK's notice about Node 20 is not the user's concern here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
register();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
