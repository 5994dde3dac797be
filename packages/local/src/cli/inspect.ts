import { open, url, waitForDebugger } from "node:inspector";
import { PauseMonitor } from "../runtime/pause-monitor.ts";
import { wholeNumber } from "./args.ts";
import { UsageError } from "./command.ts";

/** `--inspect[=<function>]` and `--inspect-port`, for `dev` and `invoke`. */
export const INSPECT_FLAGS = {
  inspect: { type: "string" },
  "inspect-port": { type: "string", default: "9229" },
} as const;

/** A bare `--inspect` (no function named) means every function. */
export const INSPECT_ALL = "*";

/**
 * Opens this process's inspector on 127.0.0.1 for a debugger (VS Code's `.vscode/launch.json`,
 * Chrome DevTools), and returns the monitor that stops the inspected functions' timeouts while a
 * debugger holds them paused. `wait` blocks until a debugger attaches (for `invoke`, which would
 * otherwise be over before anyone attached).
 */
export function startInspector(
  values: { readonly inspect?: string; readonly "inspect-port": string },
  options: { readonly wait: boolean; readonly log: (line: string) => void },
): PauseMonitor | undefined {
  if (values.inspect === undefined) return undefined;
  const port = wholeNumber(values["inspect-port"], "--inspect-port", 0);
  try {
    open(port, "127.0.0.1");
  } catch (error) {
    throw new UsageError(
      `cannot open the inspector on 127.0.0.1:${port} (${(error as Error).message}); choose another with --inspect-port`,
    );
  }
  const functions =
    values.inspect === INSPECT_ALL || values.inspect === "" ? undefined : new Set(values.inspect.split(","));
  options.log(
    `debugger: ${url()} — attach with VS Code ("Attach to lambdaform", .vscode/launch.json) or chrome://inspect; ` +
      `${functions ? [...functions].join(", ") : "every function"}: timeouts stop while paused`,
  );
  if (options.wait && !process.env.VSCODE_INSPECTOR_OPTIONS) {
    options.log("debugger: waiting for a debugger to attach…");
    waitForDebugger();
  }
  return new PauseMonitor(functions, options.log);
}
