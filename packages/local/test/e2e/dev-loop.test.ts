import { spawn } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { synthesize, TERRAFORM_INSTALL_HINT } from "@lambdaform/infra";
import {
  findExecutable,
  findMotoPython,
  freePort,
  MOTO_INSTALL_HINT,
  requirePrerequisite,
  scratchDirs,
} from "@lambdaform/testkit";
import { expect } from "chai";
import { type DevStack, startDev } from "../../src/dev/dev.ts";
import { PauseMonitor } from "../../src/runtime/pause-monitor.ts";
import { deployedDataDir } from "../deployed-template.ts";
import { devTestOptions } from "../helpers.ts";
import { DebuggerClient } from "../inspector.ts";

const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
const CLI = fileURLToPath(new URL("../../bin/lambdaform.mjs", import.meta.url));

const until = async <T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

/** The generated position (0-based) of the first code mapped to a line of a source, as an IDE finds it. */
function generatedPosition(
  mapFile: string,
  source: RegExp,
  line: number,
): { lineNumber: number; columnNumber: number } {
  const map = new SourceMap(JSON.parse(readFileSync(mapFile, "utf8")));
  const bundle = readFileSync(mapFile.replace(/\.map$/, ""), "utf8").split("\n");
  for (let lineNumber = 0; lineNumber < bundle.length; lineNumber++) {
    const length = bundle[lineNumber]?.length ?? 0;
    for (let columnNumber = 0; columnNumber < length; columnNumber++) {
      const entry = map.findEntry(lineNumber, columnNumber) as {
        originalSource?: string;
        originalLine?: number;
      };
      if (entry.originalSource && source.test(entry.originalSource) && entry.originalLine === line - 1)
        return { lineNumber, columnNumber };
    }
  }
  throw new Error(`no code of line ${line} in ${mapFile}`);
}

// The dev loop on the real stack: hot reload, infra reload, a debugger, pnpm logs, the verbs.
describe("pnpm dev as a dev loop", function () {
  this.timeout(600_000);
  let dev: DevStack;
  let stackDir: string;
  let dataRoot: string;
  let hot: string;
  let infraDir: string;
  let monitor: PauseMonitor;
  let client: DebuggerClient;
  /** What the next infra "synth" does to the synthesized stack (tests set it). */
  let synth: () => void = () => {};
  const lines: string[] = [];
  const scratch = scratchDirs();
  const source = () => join(hot, "src", "answer-hello.ts");
  const original = readFileSync(join(REPO, "packages/functions/hello-api/src/answer-hello.ts"), "utf8");
  const withMessage = (message: string) =>
    original.replace('"Hello from AWS Lambda!"', JSON.stringify(message));
  const hello = async () => {
    const response = await fetch(`${dev.gateway.endpoint}/prod/hello`);
    return { status: response.status, body: (await response.json()) as { message?: string } };
  };
  const nextLine = (pattern: RegExp, from = lines.length) =>
    until(() => lines.slice(from).find((l) => pattern.test(l)));
  const cli = (args: string[]) =>
    spawn(process.execPath, [CLI, ...args, "--stack-dir", stackDir, "--data-dir", dataRoot], {
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    });

  before(async function () {
    requirePrerequisite(this, "Python 3 with moto's server", findMotoPython(), MOTO_INSTALL_HINT);
    requirePrerequisite(this, "terraform", findExecutable("terraform"), TERRAFORM_INSTALL_HINT);
    const outdir = scratch.make("lf-loop-synth-");
    synthesize({ outdir, stages: ["dev"], backend: { kind: "local" } });
    stackDir = join(outdir, "stacks", "lambdaform-dev");
    dataRoot = scratch.make("lf-loop-data-");
    // A copy of hello-api's sources inside its package (so its dependencies resolve), to edit.
    hot = join(REPO, "packages/functions/hello-api", `.hot-${process.pid}`);
    mkdirSync(hot, { recursive: true });
    cpSync(join(REPO, "packages/functions/hello-api/src"), join(hot, "src"), { recursive: true });
    cpSync(join(REPO, "packages/functions/hello-api/package.json"), join(hot, "package.json"));
    infraDir = scratch.make("lf-loop-infra-");
    monitor = new PauseMonitor(new Set(["hello-api"]), (line) => lines.push(line));
    client = new DebuggerClient();
    // Deployed already (a restart on a kept data directory): the first apply is dev.test.ts's.
    await deployedDataDir(stackDir, join(dataRoot, "dev", "dev"));
    dev = await startDev({
      ...devTestOptions(stackDir, join(dataRoot, "dev", "dev"), await freePort(), lines),
      // Requests come back to back here; the stage's 50 req/s would answer some with 429.
      hooks: { schedules: false, apiThrottling: false },
      pauses: monitor,
      root: REPO,
      watch: {
        packages: new Map([["lambdaform-dev-hello-api", hot]]),
        shared: [],
        infra: {
          dir: infraDir,
          synth: async () => {
            synth();
            return stackDir;
          },
        },
      },
    });
  });

  after(async () => {
    await dev?.stop();
    client?.close();
    monitor?.close();
    if (hot) rmSync(hot, { recursive: true, force: true });
    scratch.removeAll();
  });

  it("serves the new code after a save, and says reloaded hello-api in N ms (build M ms)", async () => {
    // Act
    const from = lines.length;
    writeFileSync(source(), withMessage("Hello from a save!"));
    // Assess
    expect(await nextLine(/^reloaded hello-api in \d+ ms \(build \d+ ms\)$/, from)).to.be.a("string");
    expect((await hello()).body.message).to.equal("Hello from a save!");
  });

  it("runs no invocation that starts after the reloaded line on the old code", async () => {
    // Prepare: requests one after another, each noting when it started.
    const seen: Array<{ at: number; message?: string }> = [];
    let reloadedAt = Number.POSITIVE_INFINITY;
    let running = true;
    const load = (async () => {
      while (running) {
        const at = performance.now();
        seen.push({ at, message: (await hello()).body.message });
      }
    })();
    // Act
    const from = lines.length;
    try {
      writeFileSync(source(), withMessage("Hello from the second save!"));
      await nextLine(/^reloaded hello-api/, from);
      reloadedAt = performance.now();
      // A few answers of requests that started after the line (however long the first one takes).
      const deadline = Date.now() + 10_000;
      while (seen.filter((s) => s.at > reloadedAt).length < 3 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      running = false;
      await load;
    }
    // Assess
    const after = seen.filter((s) => s.at > reloadedAt);
    expect(after.length).to.be.above(0);
    expect(after.filter((s) => s.message !== "Hello from the second save!")).to.deep.equal([]);
  });

  it("binds a breakpoint in the TypeScript, finishes the paused invocation on its own code across a reload, and stops its timeout meanwhile", async () => {
    // Prepare: a breakpoint on a statement of answer-hello.ts (where a debugger can stop).
    const line = original.split("\n").findIndex((l) => l.includes("const method = event.httpMethod")) + 1;
    const taskRoot = dev.current().runtime.function("hello-api").taskRoot;
    const position = generatedPosition(join(taskRoot, "index.mjs.map"), /answer-hello\.ts$/, line);
    await client.setBreakpointByUrl({
      urlRegex: `${taskRoot.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}/index\\.mjs$`,
      ...position,
    });
    // Act: a request stops at the breakpoint; meanwhile the code is saved again; after longer than
    // the function's 3 s timeout, the debugger lets it go.
    const paused = hello();
    const { sessionId, paused: at } = await client.nextPause(20_000);
    const from = lines.length;
    writeFileSync(source(), withMessage("Hello from the third save!"));
    await nextLine(/^reloaded hello-api/, from);
    await new Promise((resolve) => setTimeout(resolve, 3500));
    await client.resume(sessionId);
    // Assess: paused where the breakpoint is, in the TypeScript; the in-flight request ends on the
    // code it started with, with no timeout; new requests get the new code.
    const frame = at.callFrames[0]?.location;
    const map = new SourceMap(JSON.parse(readFileSync(join(taskRoot, "index.mjs.map"), "utf8")));
    const original_ = map.findEntry(frame?.lineNumber ?? 0, frame?.columnNumber ?? 0) as {
      originalSource?: string;
      originalLine?: number;
    };
    expect(original_.originalSource).to.match(/answer-hello\.ts$/);
    expect((original_.originalLine ?? -1) + 1).to.equal(line);
    expect(client.scripts.find((s) => s.url.includes(taskRoot))?.sourceMapURL).to.equal("index.mjs.map");
    const answer = await paused;
    expect(answer).to.deep.include({ status: 200 });
    expect(answer.body.message).to.equal("Hello from the second save!");
    expect(lines.some((l) => l.includes("Task timed out"))).to.equal(false);
    expect((await hello()).body.message).to.equal("Hello from the third save!");
  });

  it("keeps the last good code serving when a save does not build, naming the file and line", async () => {
    // Act
    const from = lines.length;
    writeFileSync(source(), `${withMessage("never served")}\nexport const broken = (;\n`);
    // Assess
    const failure = await nextLine(/^build of hello-api failed; the last good code keeps serving:/, from);
    expect(failure).to.match(/answer-hello\.ts:\d+:\d+: error: /);
    expect((await hello()).body.message).to.equal("Hello from the third save!");
    writeFileSync(source(), withMessage("Hello again!"));
    await nextLine(/^reloaded hello-api/, from);
    expect((await hello()).body.message).to.equal("Hello again!");
  });

  it("applies an infra edit live: a function's memory and a new variable, without a restart", async () => {
    // Prepare: the next synth gives hello-api 256 MB and a new variable.
    synth = () => {
      const file = join(stackDir, "cdk.tf.json");
      const json = JSON.parse(readFileSync(file, "utf8"));
      for (const fn of Object.values(json.resource.aws_lambda_function) as Array<Record<string, unknown>>)
        if (String(fn.function_name).endsWith("hello-api")) {
          fn.memory_size = 256;
          (fn.environment as { variables: Record<string, string> }).variables.GREETING = "hi";
        }
      writeFileSync(file, JSON.stringify(json));
    };
    // Act: an infra source is saved.
    const from = lines.length;
    writeFileSync(join(infraDir, "stages.ts"), "// edited\n");
    // Assess
    const applied = await nextLine(/^infra applied in [\d.]+ s: /, from);
    expect(applied).to.match(/0 added, 1 changed, 0 destroyed \(update hello-api\/function\)/);
    const fn = dev.current().runtime.function("hello-api");
    expect(fn.spec.memoryMb).to.equal(256);
    expect(fn.spec.environment.GREETING).to.equal("hi");
    // The hot-reloaded code stays: the zip did not change.
    expect((await hello()).body.message).to.equal("Hello again!");
  });

  it("keeps the stack up when an apply fails, and says why", async () => {
    synth = () => {
      const file = join(stackDir, "cdk.tf.json");
      const json = JSON.parse(readFileSync(file, "utf8"));
      for (const fn of Object.values(json.resource.aws_lambda_function) as Array<Record<string, unknown>>)
        if (String(fn.function_name).endsWith("hello-api")) fn.memory_size = 64;
      writeFileSync(file, JSON.stringify(json));
    };
    const from = lines.length;
    writeFileSync(join(infraDir, "stages.ts"), "// edited again\n");
    const failure = await nextLine(
      /^infra reload failed after [\d.]+ s; the running stack keeps serving:/,
      from,
    );
    expect(failure).to.match(/memory_size/);
    expect(await hello()).to.deep.include({ status: 200 });
    expect(dev.current().runtime.function("hello-api").spec.memoryMb).to.equal(256);
  });

  it("pnpm logs --follow prints an invocation's lines as they are written", async () => {
    // Prepare
    const child = cli(["logs", "hello-api", "--follow", "--since", "1m"]);
    const out: string[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(...chunk.toString().split("\n")));
    const err: string[] = [];
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk.toString()));
    try {
      await until(() => (err.join("").includes("using the local stack") ? true : undefined));
      // Act
      const sent = Date.now();
      expect((await hello()).status).to.equal(200);
      // Assess: the invocation's lines arrive, each with its time and stream: START to REPORT.
      const since = (l: string) => Date.parse(l.split("  ")[0] ?? "") >= sent - 5;
      const report = await until(() => out.find((l) => since(l) && l.includes("REPORT RequestId:")), 15_000);
      expect(report).to.match(
        /^\d{4}-\d\d-\d\dT[\d:.]+Z {2}\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32} {2}REPORT/,
      );
      const requestId = /REPORT RequestId: (\S+)/.exec(report)?.[1] ?? "";
      expect(out.some((l) => since(l) && l.includes(`START RequestId: ${requestId}`))).to.equal(true);
    } finally {
      child.kill("SIGINT");
    }
  });

  it("pnpm invoke goes to the running stack by default, and says so", async () => {
    const child = cli(["invoke", "hello-api", "--type", "apigw", "--no-build"]);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code, stderr).to.equal(0);
    expect(stderr).to.match(
      /using the local stack of `pnpm dev` for stage dev \(http:\/\/127\.0\.0\.1:\d+\)/,
    );
    expect(JSON.parse(JSON.parse(stdout).body).message).to.equal("Hello again!");
  });
});
