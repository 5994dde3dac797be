import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "chai";
import { credentialsTreatedAsExpired, defaultProvider } from "../src/env-credentials.ts";
import { buildFunction } from "../src/index.ts";

/** A function package with two fake dependencies, one importing the other dynamically. */
function fixture(): string {
  const dir = mkdtempSync(join(tmpdir(), "lf-bundler-plugins-"));
  const files: Record<string, string> = {
    "package.json": '{ "name": "fixture", "type": "module" }',
    "src/handler.ts": [
      'import { defaultProvider } from "@aws-sdk/credential-provider-node";',
      'import { env } from "node:process";',
      'import { loadB } from "dep-a";',
      "export async function handler() {",
      "  return { credentials: await defaultProvider()(), b: await loadB(), region: env.AWS_REGION };",
      "}",
    ].join("\n"),
    "node_modules/dep-a/package.json": '{ "name": "dep-a", "type": "module", "module": "index.js" }',
    "node_modules/dep-a/index.js": 'export async function loadB() { return (await import("dep-b")).b; }',
    "node_modules/dep-b/package.json": '{ "name": "dep-b", "type": "module", "module": "index.js" }',
    "node_modules/dep-b/index.js": 'export const b = "from dep-b";',
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe("the function bundle's plugins", () => {
  let dir: string;
  let code: string;
  let handler: () => Promise<{ credentials: Record<string, unknown>; b: string; region: string }>;

  before(async function () {
    this.timeout(60_000);
    dir = fixture();
    await buildFunction(dir, join(dir, "dist"), { quiet: true, bundleOnly: true });
    code = readFileSync(join(dir, "dist", "index.mjs"), "utf8");
    ({ handler } = await import(pathToFileURL(join(dir, "dist", "index.mjs")).href));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  const invoke = async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: "AKID",
      AWS_SECRET_ACCESS_KEY: "secret",
      AWS_SESSION_TOKEN: "token",
      AWS_REGION: "eu-west-1",
    });
    try {
      return await handler();
    } finally {
      process.env = saved;
    }
  };

  it("bundles the environment's credentials in place of the SDK's default chain", async () => {
    const result = await invoke();
    expect(result.credentials).to.include({
      accessKeyId: "AKID",
      secretAccessKey: "secret",
      sessionToken: "token",
    });
    expect(result.region).to.equal("eu-west-1");
  });

  it("makes a dependency's dynamic import static, so no module is wrapped in a lazy initializer", async () => {
    expect(code).not.to.match(/import\("dep-b"\)|Promise\.resolve\(\)\.then\(/);
    expect((await invoke()).b).to.equal("from dep-b");
  });

  it("loads Node built-ins through require(), reading only the exports it uses", () => {
    // The one ES import left is the banner's node:module.
    expect(code.match(/\bfrom\s*["']node:[a-z_/]+["']/g)).to.deep.equal([`from'node:module'`]);
    expect(code).to.match(/\("node:process"\)/);
    expect(code).not.to.contain('"stdout"');
  });
});

describe("env-credentials", () => {
  const withEnv = async <T>(env: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> => {
    const saved = { ...process.env };
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    try {
      return await fn();
    } finally {
      process.env = saved;
    }
  };

  it("reads Lambda's variables, session token and expiry included, as fromEnv does", async () => {
    const credentials = await withEnv(
      {
        AWS_ACCESS_KEY_ID: "AKID",
        AWS_SECRET_ACCESS_KEY: "secret",
        AWS_SESSION_TOKEN: "token",
        AWS_CREDENTIAL_EXPIRATION: "2030-01-01T00:00:00Z",
      },
      () => defaultProvider()(),
    );
    expect(credentials).to.include({ accessKeyId: "AKID", secretAccessKey: "secret", sessionToken: "token" });
    expect(credentials.expiration?.toISOString()).to.equal("2030-01-01T00:00:00.000Z");
    expect(credentialsTreatedAsExpired(credentials)).to.equal(false);
  });

  it("fails naming the variables when the environment has no credentials, whatever AWS_PROFILE says", async () => {
    const error = await withEnv(
      { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_PROFILE: "dev" },
      () => defaultProvider()().catch((e: Error) => e),
    );
    expect(error).to.be.instanceOf(Error).with.property("name", "CredentialsProviderError");
    expect((error as Error).message).to.contain("AWS_ACCESS_KEY_ID");
  });
});
