/**
 * `npm run crash-recovery`: kills the app in the middle of a run and starts it again, as a crash or a
 * redeploy would, and shows that the run still finishes without paying again for what was answered.
 *
 *   1. the provider emulators start in this process (they outlive the app, like real providers);
 *   2. the app starts as `npm start` does (embedded Postgres, wrangler dev with persisted local
 *      state) in its own process group, on a throwaway data folder;
 *   3. a rep's intake task starts a run; once at least two paid calls (Claude, Perplexity) are
 *      answered and more are in flight, the app's whole process group is killed (SIGKILL);
 *   4. the app starts again on the same data folder. Local Workflows do not resume a killed instance
 *      (it stays "running" with nothing running it), so the course's coordinator notices the missing
 *      progress (its overdue watchdog alarm fires at boot), terminates the instance and re-creates it
 *      for the same job; the new instance replays the answers recorded before the crash;
 *   5. it checks: the run and the course end enriched, the intake task says so, the lead tasks exist
 *      once each, and no paid request answered before the kill was sent again.
 *
 * Options: --watchdog-seconds N (RUN_WATCHDOG_SECONDS of the app, default 20), --time-scale X
 * (provider latency, default 0.15), --keep (keep the data folder). Prints one JSON line; exit 0 when
 * every check holds.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { CLICKUP_SEED } from "../sandbox/clickup/index.ts";
import { startSandbox } from "../sandbox/index.ts";
import { freePort, killGroup, startApp, until } from "./app-process.ts";
import { runClickUpSetup } from "./clickup-setup.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values: flags } = parseArgs({
  options: {
    "watchdog-seconds": { type: "string", default: "20" },
    "time-scale": { type: "string", default: "0.15" },
    keep: { type: "boolean", default: false },
  },
});
const watchdogSeconds = Number(flags["watchdog-seconds"]);
const COURSE = { name: "Richmond Country Club", state: "VA" };

function say(action: string, fields: Record<string, unknown> = {}): void {
  console.error(JSON.stringify({ timestamp: new Date().toISOString(), level: "INFO", component: "crash_recovery", action, ...fields }));
}

const paid = (r: { method: string; path: string }) => r.method === "POST";
const bodyHash = (body: unknown) => createHash("sha256").update(JSON.stringify(body)).digest("hex").slice(0, 16);

async function main(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), "golf-crash-"));
  const sandbox = await startSandbox({ latency: "realistic", timeScale: Number(flags["time-scale"]) });
  const [port, dbPort] = [await freePort(), await freePort()];
  const envFile = join(dataDir, "providers.env");
  writeFileSync(
    envFile,
    Object.entries({ ...sandbox.env, AGENT_API_KEY: "crash-recovery-key", RUN_WATCHDOG_SECONDS: String(watchdogSeconds), LOG_LEVEL: "warn" })
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join("\n") + "\n",
  );
  const appArgs = ["--port", String(port), "--db-port", String(dbPort), "--data-dir", dataDir, "--env-file", envFile];
  const databaseUrl = `postgres://postgres@127.0.0.1:${dbPort}/postgres`;
  let app = startApp(appArgs, { embeddedDatabase: true });
  const result: Record<string, unknown> = { data_dir: dataDir };
  let sql: postgres.Sql | undefined;
  try {
    await app.ready;
    say("app_started", { url: `http://127.0.0.1:${port}` });
    const lines: string[] = [];
    const setup = await runClickUpSetup({ env: { ...sandbox.env, CLICKUP_SPACE_ID: CLICKUP_SEED.intake.spaceId, APP_URL: `http://127.0.0.1:${port}`, DATABASE_URL: databaseUrl }, print: (l) => lines.push(l) });
    if (setup.exitCode !== 0) throw new Error(`clickup:setup failed:\n${lines.join("\n")}`);

    const clickup = sandbox.servers.clickup;
    const task = clickup.createTaskAsUser(CLICKUP_SEED.intake.listId, { name: `${COURSE.name}, ${COURSE.state}` });
    const taskId = String(task.id);
    const paidServers = [sandbox.servers.anthropic, sandbox.servers.perplexity];
    const answered = () => paidServers.flatMap((s) => s.recorder.list().filter((r) => paid(r) && r.status === 200));
    await until("two paid calls answered", 120_000, async () => answered().length >= 2);

    // The crash: the whole process group, with calls in flight.
    const killedAt = Date.now();
    killGroup(app.child);
    const before = answered().filter((r) => r.time + (r.duration_ms ?? 0) < killedAt - 50);
    const beforeHashes = new Set(before.map((r) => bodyHash(r.body)));
    say("app_killed", { paid_calls_answered: before.length });
    await new Promise((r) => setTimeout(r, 2_000));

    app = startApp(appArgs, { embeddedDatabase: true });
    await app.ready;
    const restartedAt = Date.now();
    say("app_restarted");
    sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    const course = await until("the run to finish after the restart", (watchdogSeconds * 3 + 120) * 1000, async () => {
      const rows = await sql!`select c.id, c.status, r.id as run_id, r.status as run_status from courses c join enrichment_runs r on r.course_id = c.id
                               where c.clickup_intake_task_id = ${taskId} order by r.created_at`;
      return rows.length && rows.every((r) => ["succeeded", "partial", "failed"].includes(String(r.run_status))) && clickup.workspace.commentsFor(taskId).length > 0 ? rows : null;
    });

    const after = answered().filter((r) => r.time >= killedAt);
    const repaid = after.filter((r) => beforeHashes.has(bodyHash(r.body)));
    const contacts = await sql`select full_name, clickup_task_id from contacts where course_id = ${String(course[0]!.id)}`;
    const leadNames = contacts.map((c) => String(c.full_name));
    const comments = clickup.workspace.commentsFor(taskId).map((c) => c.text);
    const job = (await (await fetch(`http://127.0.0.1:${port}/api/jobs/${String(course[0]!.run_id)}`, { headers: { "x-api-key": "crash-recovery-key" } })).json()) as { restarts?: number; status?: string };
    const checks = {
      one_run: course.length === 1,
      run_succeeded: course[0]!.run_status === "succeeded",
      course_enriched: course[0]!.status === "enriched",
      every_contact_has_one_lead_task: contacts.length > 0 && contacts.every((c) => c.clickup_task_id) && new Set(contacts.map((c) => c.clickup_task_id)).size === contacts.length,
      intake_task_written_back: comments.some((t) => t.startsWith(`Enriched ${COURSE.name}`)),
      no_answered_call_paid_again: repaid.length === 0,
    };
    Object.assign(result, {
      ok: Object.values(checks).every(Boolean),
      checks,
      paid_calls_answered_before_kill: before.length,
      paid_calls_after_restart: after.length,
      paid_again: repaid.map((r) => r.path),
      contacts: leadNames,
      run_status: course[0]!.run_status,
      // How it recovered: instances the coordinator's watchdog re-created for the job (local Workflows do not resume a killed instance).
      watchdog_restarts: job.restarts ?? null,
      recovered_after_restart_ms: Date.now() - restartedAt,
    });
  } catch (error) {
    Object.assign(result, { ok: false, error: error instanceof Error ? error.message : String(error) });
  } finally {
    await sql?.end({ timeout: 1 }).catch(() => {});
    killGroup(app.child);
    await sandbox.close();
    if (!flags.keep) rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(result));
  return result.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
