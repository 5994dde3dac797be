#!/usr/bin/env node
// The lambdaform CLI: `pnpm invoke`, `pnpm event`, `pnpm dlq`.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
