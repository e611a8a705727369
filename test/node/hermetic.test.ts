import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { experimental_readRawConfig, unstable_getVarsForDev } from "wrangler";
import { hermeticWranglerConfig, startWorker, WRANGLER_CONFIG, type RunningWorker } from "../../scripts/local-worker.ts";

/**
 * Tests and the benchmark never read the checkout's local configuration. With a hostile `.dev.vars`
 * and `.env` in the repo root (where wrangler looks for them, beside wrangler.toml), the Worker that
 * `startWorker` runs (the node integration tests, the benchmark, `npm run enrich`) and the workerd
 * project (vitest.config.ts) see exactly the configuration their caller gives.
 *
 * The hostile files exist only while this file runs: a developer's own `.dev.vars`/`.env` is moved
 * aside (into the git-ignored .wrangler/, never deleted) and put back byte for byte in afterAll, even
 * when a test fails; a run that was killed is repaired by the next one. Node test files run in
 * parallel, so other files see the hostile files too: that is the point, none of them may care.
 */

const ROOT = dirname(WRANGLER_CONFIG);
const MARKER = "# Hostile local configuration written by test/node/hermetic.test.ts: no test may ever see it.";
const LOCAL_FILES = [".dev.vars", ".env"] as const;
type LocalFile = (typeof LOCAL_FILES)[number];

/** Every value contains "hostile" (test/worker/hermetic.test.ts relies on it). */
const HOSTILE = `${MARKER}
AGENT_API_KEY=hostile
CLICKUP_WEBHOOK_SECRET=hostile
SUPABASE_WEBHOOK_SECRET=hostile
CLICKUP_API_TOKEN=pk_hostile
DATABASE_URL=postgres://hostile:hostile@127.0.0.1:9/hostile
SUPABASE_URL=https://hostile.invalid
SUPABASE_SERVICE_ROLE_KEY=hostile
ANTHROPIC_API_KEY=hostile
HUNTER_API_KEY=hostile
CLICKUP_BASE_URL=http://127.0.0.1:9/hostile
HUNTER_BASE_URL=http://127.0.0.1:9/hostile
LOG_LEVEL=hostile-debug
ENVIRONMENT=hostile-production
SPEND_CAP_USD=hostile
PIPELINE_MODE=hostile-sequential
HERMETIC_CANARY=hostile
VITE_HERMETIC_CANARY=hostile
`;

/** What a test gives the Worker; everything else is the harness's defaults and NO_PROVIDERS. */
const GIVEN = { AGENT_API_KEY: "given-agent-key", CLICKUP_WEBHOOK_SECRET: "given-clickup-secret", CLICKUP_API_TOKEN: "pk_given" };

/**
 * Moves a directory's `.dev.vars`/`.env` aside (renamed into `<root>/.wrangler/`, git-ignored, so a
 * developer's keys are never deleted nor left where `git add` would see them) and restores them.
 * Only files carrying MARKER are ever deleted.
 */
class LocalFiles {
  private readonly root: string;
  private readonly aside: string;
  private readonly saved = new Map<LocalFile, { bytes: Buffer; mode: number }>();

  constructor(root: string) {
    this.root = root;
    this.aside = join(root, ".wrangler", "moved-aside-by-hermetic-test");
  }

  private path(name: LocalFile): string {
    return join(this.root, name);
  }

  private asidePath(name: LocalFile): string {
    return join(this.aside, name);
  }

  private isOurs(name: LocalFile): boolean {
    return existsSync(this.path(name)) && readFileSync(this.path(name), "utf8").startsWith(MARKER);
  }

  /** Repairs what a killed run left: our file removed, the developer's put back. */
  repair(): void {
    for (const name of LOCAL_FILES) {
      if (this.isOurs(name)) rmSync(this.path(name));
      if (existsSync(this.asidePath(name))) {
        if (existsSync(this.path(name))) {
          throw new Error(`both ${this.path(name)} and ${this.asidePath(name)} exist (an interrupted hermetic test run?): keep the one you want, delete the other`);
        }
        renameSync(this.asidePath(name), this.path(name));
      }
    }
  }

  /** Moves the developer's files aside (after repairing a killed run). */
  moveAside(): void {
    this.repair();
    for (const name of LOCAL_FILES) {
      if (!existsSync(this.path(name))) continue;
      this.saved.set(name, { bytes: readFileSync(this.path(name)), mode: statSync(this.path(name)).mode & 0o777 });
      mkdirSync(this.aside, { recursive: true });
      renameSync(this.path(name), this.asidePath(name));
    }
  }

  write(name: LocalFile, content: string): void {
    if (existsSync(this.path(name)) && !this.isOurs(name)) throw new Error(`${this.path(name)} appeared meanwhile; not overwriting it`);
    writeFileSync(this.path(name), content);
  }

  remove(name: LocalFile): void {
    if (this.isOurs(name)) rmSync(this.path(name));
  }

  /** Idempotent and synchronous (it also runs on process exit): our files go, the developer's come back byte for byte. */
  restore(): void {
    for (const name of LOCAL_FILES) {
      this.remove(name);
      const saved = this.saved.get(name);
      if (existsSync(this.asidePath(name)) && !existsSync(this.path(name))) renameSync(this.asidePath(name), this.path(name));
      if (saved && !existsSync(this.path(name))) writeFileSync(this.path(name), saved.bytes, { mode: saved.mode });
    }
    if (existsSync(this.aside) && readdirSync(this.aside).length === 0) rmdirSync(this.aside);
  }
}

function snapshot(root: string): Record<string, { bytes: string; mode: number } | null> {
  return Object.fromEntries(
    LOCAL_FILES.map((name) => {
      const path = join(root, name);
      return [name, existsSync(path) ? { bytes: readFileSync(path).toString("base64"), mode: statSync(path).mode & 0o777 } : null];
    }),
  );
}

async function post(worker: RunningWorker, path: string, headers: Record<string, string>, body = "{}"): Promise<number> {
  const response = await fetch(new URL(path, worker.url), { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  await response.body?.cancel();
  return response.status;
}

const sign = (secret: string, body: string) => createHmac("sha256", secret).update(body).digest("hex");

/** The Worker runs on GIVEN (plus the harness defaults), and on nothing of the hostile files. */
async function expectGivenConfiguration(worker: RunningWorker): Promise<void> {
  const response = await fetch(new URL("/health", worker.url));
  expect(response.status).toBe(200);
  const text = await response.text();
  expect(text).not.toContain("hostile");
  const health = JSON.parse(text) as { environment: string; providers: Record<string, { configured: boolean; base_url?: string }>; routes: Record<string, string>; invalid_configuration?: unknown };
  expect(health.environment).toBe("test");
  expect(health.invalid_configuration).toBeUndefined();
  expect(health.providers.clickup).toEqual({ configured: true, base_url: "http://127.0.0.1:9" });
  for (const name of ["anthropic", "hunter", "database"]) expect(health.providers[name]?.configured, name).toBe(false);
  expect(health.routes).toEqual({
    "POST /webhooks/clickup": "enabled",
    "POST /webhooks/supabase": "disabled: SUPABASE_WEBHOOK_SECRET is not set",
    "POST /api/enrich-course": "enabled",
    "GET /api/jobs/:job_id": "enabled",
    "POST /webhooks/mailgun/*": "disabled: MAILGUN_WEBHOOK_SIGNING_KEY is not set",
    "GET|POST /unsubscribe/:token": "disabled: UNSUBSCRIBE_SIGNING_SECRET is not set",
  });

  // The given key passes authentication (the empty body then fails validation); the hostile one does not.
  expect(await post(worker, "/api/enrich-course", { "x-api-key": GIVEN.AGENT_API_KEY })).toBe(400);
  expect(await post(worker, "/api/enrich-course", { "x-api-key": "hostile" })).toBe(401);
  expect(await post(worker, "/webhooks/clickup", { "x-signature": sign(GIVEN.CLICKUP_WEBHOOK_SECRET, "{}") })).toBe(400);
  expect(await post(worker, "/webhooks/clickup", { "x-signature": sign("hostile", "{}") })).toBe(401);
  expect(await post(worker, "/webhooks/supabase", { authorization: "Bearer hostile" })).toBe(503);
}

function runWorkerProjectTest(): Promise<{ code: number | null; output: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("VITEST")));
  const child = spawn(process.execPath, [join(ROOT, "node_modules", "vitest", "vitest.mjs"), "run", "--project", "worker", "test/worker/hermetic.test.ts"], {
    cwd: ROOT,
    env: { ...env, FORCE_COLOR: "0", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill("SIGTERM"), 170_000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe("LocalFiles (the guard of a developer's .dev.vars/.env)", () => {
  it("moves a developer's file aside and puts it back byte for byte, and repairs a killed run", () => {
    const root = mkdtempSync(join(tmpdir(), "golf-hermetic-"));
    try {
      const developer = Buffer.from([0x41, 0x3d, 0x22, 0xe2, 0x82, 0xac, 0xff, 0x22, 0x0d, 0x0a]);
      writeFileSync(join(root, ".dev.vars"), developer, { mode: 0o600 });
      const before = snapshot(root);

      const files = new LocalFiles(root);
      files.moveAside();
      files.write(".dev.vars", HOSTILE);
      files.write(".env", HOSTILE);
      expect(readFileSync(join(root, ".dev.vars"), "utf8")).toBe(HOSTILE);
      files.restore();
      files.restore();
      expect(snapshot(root)).toEqual(before);
      expect(existsSync(join(root, ".wrangler", "moved-aside-by-hermetic-test"))).toBe(false);

      // Killed mid-run: the developer's file aside, ours in its place. The next run repairs it.
      const killed = new LocalFiles(root);
      killed.moveAside();
      killed.write(".dev.vars", HOSTILE);
      const next = new LocalFiles(root);
      next.moveAside();
      expect(existsSync(join(root, ".dev.vars"))).toBe(false);
      next.restore();
      expect(snapshot(root)).toEqual(before);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("tests and the benchmark ignore the checkout's .dev.vars and .env (hermetic)", () => {
  const files = new LocalFiles(ROOT);
  let before: ReturnType<typeof snapshot>;
  const restore = () => files.restore();

  beforeAll(() => {
    process.once("exit", restore);
    files.repair();
    before = snapshot(ROOT);
    files.moveAside();
    files.write(".dev.vars", HOSTILE);
    files.write(".env", HOSTILE);
  });

  afterAll(() => {
    restore();
    process.off("exit", restore);
  });

  it("control: wrangler itself would read the hostile .dev.vars beside wrangler.toml", () => {
    const vars = unstable_getVarsForDev(WRANGLER_CONFIG, undefined, {}, undefined, true);
    expect(vars.AGENT_API_KEY).toEqual({ type: "secret_text", value: "hostile" });
  });

  it("the generated config is wrangler.toml with `main` absolute, beside an empty .dev.vars, and wrangler reads no secret for it", () => {
    const config = hermeticWranglerConfig();
    try {
      const generated = JSON.parse(readFileSync(config.configPath, "utf8")) as Record<string, unknown>;
      const { rawConfig } = experimental_readRawConfig({ config: WRANGLER_CONFIG });
      const { env: _environments, ...expected } = rawConfig as Record<string, unknown>;
      expect(generated).toEqual({ ...expected, main: join(ROOT, String(expected.main)) });
      expect(readdirSync(dirname(config.configPath)).sort()).toEqual([".dev.vars", "wrangler.json"]);
      expect(Object.keys(unstable_getVarsForDev(config.configPath, undefined, {}, undefined, true))).toEqual([]);
    } finally {
      config.remove();
    }
    expect(existsSync(config.configPath)).toBe(false);
  });

  it("startWorker runs on the secrets it is given, never on the hostile .dev.vars", async () => {
    const worker = await startWorker(GIVEN);
    try {
      await expectGivenConfiguration(worker);
    } finally {
      await worker.close();
    }
  }, 60_000);

  it("the workerd project (vitest.config.ts) sees vitest.config.ts's bindings, never the hostile .dev.vars or .env", async () => {
    const { code, output } = await runWorkerProjectTest();
    expect(output, output).toMatch(/Tests\s+2 passed/);
    expect(code, output).toBe(0);
    expect(output).not.toMatch(/Using secrets defined in \.(dev\.vars|env)\b/);
  }, 180_000);

  it("with only a hostile .env (and CLOUDFLARE_INCLUDE_PROCESS_ENV=true) startWorker still runs on what it is given", async () => {
    files.remove(".dev.vars");
    const changed = { CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: "true", CLOUDFLARE_INCLUDE_PROCESS_ENV: "true", SUPABASE_WEBHOOK_SECRET: "hostile-from-process-env" };
    const saved = Object.fromEntries(Object.keys(changed).map((name) => [name, process.env[name]]));
    Object.assign(process.env, changed);
    try {
      // Control: for the checkout's wrangler.toml, wrangler would now take .env, and all of process.env.
      const vars = unstable_getVarsForDev(WRANGLER_CONFIG, undefined, {}, undefined, true);
      expect(vars.AGENT_API_KEY).toEqual({ type: "secret_text", value: "hostile" });
      expect(vars.SUPABASE_WEBHOOK_SECRET).toEqual({ type: "secret_text", value: "hostile-from-process-env" });
      const worker = await startWorker(GIVEN);
      try {
        await expectGivenConfiguration(worker);
      } finally {
        await worker.close();
      }
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  }, 60_000);

  it("afterwards the checkout's .dev.vars and .env are exactly as before", () => {
    files.restore();
    expect(snapshot(ROOT)).toEqual(before);
  });
});
