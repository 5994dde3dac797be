// `pnpm bench --peers`: serverless-offline 13 (with serverless 3, both MIT) serving the same
// hello-api bundle under the same load as the local stack, side by side. They are installed into a
// temporary directory for the run only; they are not dependencies of this repository.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@lambdaform/moto";
import { type LoadResult, loadAfterWarmup } from "./load.ts";

export const PEER_PACKAGES = ["serverless@3.40.0", "serverless-offline@13.10.1"];

export interface PeerResult {
  readonly name: string;
  readonly load: LoadResult;
  readonly rssMb: { before: number; after: number };
}

const SERVERLESS_YML = `service: peers
frameworkVersion: "3"
provider:
  name: aws
  runtime: nodejs20.x
  region: us-east-1
  stage: prod
functions:
  hello:
    handler: index.handler
    events:
      - http:
          path: hello
          method: get
plugins:
  - serverless-offline
`;

/** Resident memory of a process, from /proc (Linux). */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

function waitForReady(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(
      () => reject(new Error(`serverless offline was not ready within ${timeoutMs / 1000} s:\n${out}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("Server ready")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`serverless offline exited with ${code}:\n${out}`));
    });
  });
}

/** Installs the peers, then loads each mode of serverless-offline like the local stack's /hello. */
export async function benchPeers(
  root: string,
  requests: number,
  warmup: number,
  progress: (s: string) => void,
): Promise<PeerResult[]> {
  const dir = mkdtempSync(join(tmpdir(), "lf-bench-peers-"));
  try {
    progress(`peers: npm install ${PEER_PACKAGES.join(" ")} (into ${dir})`);
    writeFileSync(join(dir, "package.json"), '{ "name": "lambdaform-peers", "private": true }\n');
    const install = spawnSync(
      "npm",
      ["install", "--no-audit", "--no-fund", "--loglevel=error", ...PEER_PACKAGES],
      { cwd: dir, encoding: "utf8" },
    );
    if (install.status !== 0)
      throw new Error(
        `npm install of ${PEER_PACKAGES.join(", ")} failed (the npm registry must be reachable):\n${install.stderr}`,
      );
    copyFileSync(
      join(root, "packages", "functions", "hello-api", "dist", "index.mjs"),
      join(dir, "index.mjs"),
    );
    writeFileSync(join(dir, "serverless.yml"), SERVERLESS_YML);

    const results: PeerResult[] = [];
    for (const [name, flags] of [
      ["serverless-offline 13, default (worker threads)", []],
      ["serverless-offline 13, --useInProcess", ["--useInProcess"]],
    ] as const) {
      const httpPort = await freePort();
      const lambdaPort = await freePort();
      progress(`peers: ${name}`);
      const child = spawn(
        process.execPath,
        [
          join(dir, "node_modules", "serverless", "bin", "serverless.js"),
          "offline",
          "start",
          "--httpPort",
          String(httpPort),
          "--lambdaPort",
          String(lambdaPort),
          ...flags,
        ],
        {
          cwd: dir,
          stdio: ["ignore", "pipe", "pipe"],
          env: {
            ...process.env,
            SLS_TELEMETRY_DISABLED: "1",
            SLS_NOTIFICATIONS_MODE: "off",
            AWS_ACCESS_KEY_ID: "peers",
            AWS_SECRET_ACCESS_KEY: "peers",
          },
        },
      );
      try {
        await waitForReady(child, 60_000);
        // serverless-offline logs every request; keep draining so its output never blocks it.
        child.stdout?.resume();
        child.stderr?.resume();
        const url = `http://127.0.0.1:${httpPort}/prod/hello`;
        results.push({
          name,
          ...(await loadAfterWarmup(url, warmup, requests, () => rssMb(child.pid ?? 0))),
        });
      } finally {
        child.kill("SIGTERM");
      }
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
