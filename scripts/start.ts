/**
 * `npm start`: the whole app on this machine, with no setup.
 *   1. the database: DATABASE_URL if set, else embedded PGlite (data kept in .data/pglite), migrated;
 *   2. with `--sandbox` (or GOLF_SANDBOX=1): the provider emulators, every *_BASE_URL pointed at them;
 *   3. `wrangler dev` (Worker, Durable Objects, Workflows) on http://127.0.0.1:$PORT (default 8787);
 *      in the sandbox, ClickUp and Mailgun are then set up as an admin would (clickup:setup, mailgun:setup);
 *   4. once, a short human summary from the Worker's /health: what is configured, what is missing, and
 *      the next command to run (scripts/startup-summary.ts).
 * Real provider keys come from `.dev.vars` as usual; a missing key disables that provider.
 * `--data-dir DIR` keeps the embedded database and the Worker's local state (Durable Objects,
 * Workflows) in DIR instead of .data/ and .wrangler/state; `--env-file FILE` adds variables over
 * .dev.vars (scripts/crash-recovery.ts uses both to run a throwaway copy of the app).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, parseEnv } from "node:util";
import { startEmbeddedPostgres } from "./embedded-db.ts";
import { migrate } from "./migrate.ts";
import { type DashboardSignIn, startupSummary } from "./startup-summary.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values: flags } = parseArgs({
  options: {
    sandbox: { type: "boolean", default: process.env.GOLF_SANDBOX === "1" },
    port: { type: "string", default: process.env.PORT ?? "8787" },
    "db-port": { type: "string", default: process.env.GOLF_DB_PORT ?? "54329" },
    // Emulated providers answer at once unless a time scale asks for the realistic latency shape.
    "time-scale": { type: "string", default: process.env.GOLF_SANDBOX_TIME_SCALE },
    "data-dir": { type: "string" },
    "env-file": { type: "string" },
  },
});

/** Fake route secrets for `--sandbox` demos (never used outside the sandbox). */
const SANDBOX_SECRETS = { AGENT_API_KEY: "sandbox-agent-key", SUPABASE_WEBHOOK_SECRET: "sandbox-supabase-secret", ADMIN_API_KEY: "sandbox-admin-key", CALLBACK_SIGNING_SECRET: "sandbox-callback-secret" } as const;

function pick(source: Record<string, string | undefined>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.flatMap((k) => (source[k] ? [[k, source[k]]] : [])));
}

function say(message: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ timestamp: new Date().toISOString(), level: "INFO", component: "start", action: message, ...fields }));
}

const stops: (() => Promise<void>)[] = [];
let wrangler: ChildProcess | undefined;
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    wrangler?.kill("SIGINT");
    for (const stop of stops.reverse()) await stop().catch(() => {});
  }
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

async function main(): Promise<void> {
  const vars: Record<string, string> = { ENVIRONMENT: "development" };

  let databaseUrl = process.env.DATABASE_URL;
  let sandboxEnv: Record<string, string> | undefined;
  if (databaseUrl) {
    say("database_external", { note: "DATABASE_URL is set; using that server" });
  } else {
    const dataDir = flags["data-dir"] ? join(flags["data-dir"], "pglite") : join(root, ".data", "pglite");
    mkdirSync(dataDir, { recursive: true });
    const embedded = await startEmbeddedPostgres({ dataDir, port: Number(flags["db-port"]) });
    stops.push(() => embedded.stop());
    databaseUrl = embedded.url;
    say("database_embedded", { url: databaseUrl, data_dir: dataDir });
  }
  const { applied } = await migrate(databaseUrl);
  say("migrations_applied", { applied });
  vars.DATABASE_URL = databaseUrl;

  if (flags.sandbox) {
    const sandboxModule = join(root, "sandbox", "index.ts");
    if (!existsSync(sandboxModule)) throw new Error("--sandbox asked for, but sandbox/index.ts is missing");
    const { startSandbox, sandboxOutreachEnv } = (await import(sandboxModule)) as typeof import("../sandbox/index.ts");
    const timeScale = flags["time-scale"] ? Number(flags["time-scale"]) : undefined;
    const sandbox = await startSandbox(timeScale ? { latency: "realistic", timeScale } : { latency: "none" });
    stops.push(() => sandbox.close());
    Object.assign(vars, sandbox.env);
    Object.assign(vars, sandboxOutreachEnv(`http://127.0.0.1:${flags.port}`));
    sandboxEnv = sandbox.env;
    // Demo secrets for the sandbox only, unless .dev.vars sets real ones.
    Object.assign(vars, SANDBOX_SECRETS);
    say("sandbox_started", { note: `provider emulators (test infrastructure) on loopback; the API key is ${SANDBOX_SECRETS.AGENT_API_KEY} unless .dev.vars sets AGENT_API_KEY`, base_urls: Object.fromEntries(Object.entries(sandbox.env).filter(([k]) => k.endsWith("_BASE_URL"))) });
  }

  // One env file for wrangler: the user's .dev.vars (real keys), then what this script computed.
  // Wrangler loads an --env-file as secrets, so none of these values is printed.
  const devVarsPath = join(root, ".dev.vars");
  const userVars = {
    ...(existsSync(devVarsPath) ? parseEnv(readFileSync(devVarsPath, "utf8")) : {}),
    ...(flags["env-file"] ? parseEnv(readFileSync(flags["env-file"], "utf8")) : {}),
  };
  const merged = flags.sandbox ? { ...vars, ...pick(userVars, ["AGENT_API_KEY", "SUPABASE_WEBHOOK_SECRET", "ADMIN_API_KEY", "CALLBACK_SIGNING_SECRET"]) } : { ...userVars, ...vars };
  const envFile = join(flags["data-dir"] ?? join(root, ".data"), "dev.env");
  mkdirSync(dirname(envFile), { recursive: true });
  writeFileSync(envFile, Object.entries(merged).map(([k, v]) => `${k}=${JSON.stringify(v ?? "")}`).join("\n") + "\n", { mode: 0o600 });

  // --test-scheduled: `npm run reconcile` starts the hourly job now through wrangler's /__scheduled route.
  const args = ["dev", "--test-scheduled", "--ip", "127.0.0.1", "--port", String(flags.port), "--show-interactive-dev-session=false", "--persist-to", flags["data-dir"] ? join(flags["data-dir"], "wrangler-state") : join(root, ".wrangler", "state"), "--env-file", envFile];
  wrangler = spawn(join(root, "node_modules", ".bin", "wrangler"), args, {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
    // Offline-friendly: no Request.cf download, no telemetry.
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
  });
  let summarized = false;
  wrangler.stdout?.on("data", (chunk: Buffer) => {
    const text = chunk.toString();
    process.stdout.write(text);
    if (/Ready on/i.test(text)) {
      const url = `http://127.0.0.1:${flags.port}`;
      say("listening", { url, health: `${url}/health` });
      const setUp = sandboxEnv
        ? setUpSandboxClickUp(sandboxEnv, databaseUrl ?? "").then(() => setUpSandboxMailgun(sandboxEnv!)).then(() => seedSandboxDemo(sandboxEnv!))
        : Promise.resolve();
      // The summary once (wrangler prints "Ready on" again after a reload), after the sandbox's setup.
      if (!summarized) {
        summarized = true;
        const dashboard = { signIn: flags.sandbox && !userVars.ADMIN_API_KEY ? SANDBOX_SECRETS.ADMIN_API_KEY : merged.ADMIN_API_KEY ? "ADMIN_API_KEY" : null };
        void setUp.catch(() => {}).then(() => printSummary(url, dashboard));
      }
    }
  });
  wrangler.on("exit", (code) => void shutdown(code ?? 1));
}

/** The human summary (scripts/startup-summary.ts), from the Worker's own /health, once it is ready (and, in the sandbox, set up). */
async function printSummary(url: string, dashboard: DashboardSignIn): Promise<void> {
  let body: unknown;
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(30_000) });
    body = await response.json();
  } catch (error) {
    body = { unreadable: error instanceof Error ? error.message : String(error) };
  }
  console.log(`\n${startupSummary(body, url, dashboard)}\n`);
}

/** In the sandbox, ClickUp is set up as an admin would (npm run clickup:setup), so the full loop works locally. */
async function setUpSandboxClickUp(env: Record<string, string>, databaseUrl: string): Promise<void> {
  const { runClickUpSetup } = await import("./clickup-setup.ts");
  const { CLICKUP_SEED } = await import("../sandbox/clickup/index.ts");
  const lines: string[] = [];
  const { exitCode } = await runClickUpSetup({
    env: { ...env, CLICKUP_SPACE_ID: CLICKUP_SEED.intake.spaceId, APP_URL: `http://127.0.0.1:${flags.port}`, DATABASE_URL: databaseUrl },
    print: (line) => lines.push(line),
  });
  say("sandbox_clickup_setup", {
    exit_code: exitCode,
    note: `as a rep: POST ${env.CLICKUP_BASE_URL}/__emulator/clickup/as-user {"action":"createTask","list_id":"${CLICKUP_SEED.intake.listId}","name":"Richmond Country Club, VA"} and watch the lead tasks appear`,
  });
}

/**
 * Demo data for the dashboard: three rep intake tasks in the emulated ClickUp, enriched by the real
 * pipeline like any other (a course enriched before is linked at once, so a restart adds nothing).
 */
async function seedSandboxDemo(env: Record<string, string>): Promise<void> {
  const { CLICKUP_SEED } = await import("../sandbox/clickup/index.ts");
  const names = ["Richmond Country Club, VA", "Willow Creek Golf Club, NC", "Stonebridge Golf Club, GA"];
  for (const name of names) {
    await fetch(`${env.CLICKUP_BASE_URL}/__emulator/clickup/as-user`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ action: "createTask", list_id: CLICKUP_SEED.intake.listId, name }),
    }).catch(() => undefined);
  }
  say("sandbox_demo_data", { note: `created intake tasks for ${names.join("; ")}: their runs fill the dashboard at http://127.0.0.1:${flags.port}/admin within a minute` });
}

/** And Mailgun as an admin would (npm run mailgun:setup): replies and events come back to the app. */
async function setUpSandboxMailgun(env: Record<string, string>): Promise<void> {
  const { runMailgunSetup } = await import("./mailgun-setup.ts");
  const lines: string[] = [];
  const { exitCode } = await runMailgunSetup({ env: { ...env, APP_URL: `http://127.0.0.1:${flags.port}` }, print: (line) => lines.push(line) });
  say("sandbox_mailgun_setup", {
    exit_code: exitCode,
    note: `as a rep: POST ${env.CLICKUP_BASE_URL}/__emulator/clickup/as-user {"action":"setStatus","task_id":"<a lead task>","status":"contacted"}; the email is at ${env.MAILGUN_BASE_URL}/__emulator/mailgun/messages; reply with POST ${env.MAILGUN_BASE_URL}/__emulator/mailgun/replies {"text":"Interested!"}`,
  });
}

main().catch((error: unknown) => {
  console.error(JSON.stringify({ timestamp: new Date().toISOString(), level: "ERROR", component: "start", action: "start_failed", error: error instanceof Error ? error.message : String(error) }));
  void shutdown(1);
});
