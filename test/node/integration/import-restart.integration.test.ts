// `npm run import` against the app as `npm start` runs it (embedded Postgres, wrangler dev with
// persisted state), killed mid-import (the whole process group, as a crash or a redeploy would) and
// started again on the same data: the CLI keeps following, the import ends with every row accounted
// for, no row runs twice, every contact has one lead task, the team gets one summary, and the rows
// that did not import are written beside the file.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { CLICKUP_SEED } from "../../../sandbox/clickup/index.ts";
import { startSandbox, type Sandbox } from "../../../sandbox/index.ts";
import { freePort, killGroup, startApp, until } from "../../../scripts/app-process.ts";
import { runClickUpSetup } from "../../../scripts/clickup-setup.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const API_KEY = "import-restart-key";
const tag = `rst${Math.random().toString(36).slice(2, 6)}`;
const WORLD = [["Richmond Country Club", "VA"], ["Willow Creek Golf Club", "NC"], ["Stonebridge Golf Club", "GA"]] as const;
const ROWS = 12;

describe("an import survives a crash of the app (integration)", () => {
  let sandbox: Sandbox | undefined;
  let app: ReturnType<typeof startApp> | undefined;
  let cli: ChildProcess | undefined;
  let sql: postgres.Sql | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), "golf-import-restart-"));

  afterAll(async () => {
    cli?.kill("SIGKILL");
    if (app) killGroup(app.child);
    await sql?.end({ timeout: 1 }).catch(() => {});
    await sandbox?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("loses and repeats nothing when the app is killed and started again mid-import", async () => {
    // Provider latency a tenth of real: runs take seconds, so the kill finds runs in flight and rows in line.
    sandbox = await startSandbox({ latency: "realistic", timeScale: 0.1 });
    const [port, dbPort] = [await freePort(), await freePort()];
    const envFile = join(dataDir, "app.env");
    const appEnv = {
      ...sandbox.env, AGENT_API_KEY: API_KEY, LOG_LEVEL: "warn",
      MAX_RUNS_IN_FLIGHT: "3", IMPORT_POLL_SECONDS: "0.5", IMPORT_ROW_LEASE_SECONDS: "15", RUN_WATCHDOG_SECONDS: "10",
    };
    writeFileSync(envFile, Object.entries(appEnv).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join("\n") + "\n");
    const appArgs = ["--port", String(port), "--db-port", String(dbPort), "--data-dir", join(dataDir, "state"), "--env-file", envFile];
    const url = `http://127.0.0.1:${port}`;
    const databaseUrl = `postgres://postgres@127.0.0.1:${dbPort}/postgres`;
    app = startApp(appArgs, { embeddedDatabase: true });
    await app.ready;
    const lines: string[] = [];
    const setup = await runClickUpSetup({ env: { ...sandbox.env, CLICKUP_SPACE_ID: CLICKUP_SEED.intake.spaceId, APP_URL: url, DATABASE_URL: databaseUrl }, print: (l) => lines.push(l) });
    expect(setup.exitCode, lines.join("\n")).toBe(0);

    const file = join(dataDir, "restart.csv");
    const rows = Array.from({ length: ROWS }, (_, i) => `${WORLD[i % WORLD.length]![0]} ${tag} ${i + 1},${WORLD[i % WORLD.length]![1]}`);
    writeFileSync(file, `course,state,notes\n${rows.join("\n")}\nNowhere ${tag},Atlantis,bad state\n`);
    let output = "";
    cli = spawn(process.execPath, [join(root, "scripts", "import.ts"), file, "--url", url, "--poll-ms", "500"], { cwd: root, env: { ...process.env, AGENT_API_KEY: API_KEY }, stdio: ["ignore", "pipe", "pipe"] });
    cli.stdout?.on("data", (c: Buffer) => (output += c.toString()));
    cli.stderr?.on("data", (c: Buffer) => (output += c.toString()));
    const cliExit = new Promise<number | null>((resolve) => cli!.on("exit", resolve));

    sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    const counts = () => sql!<{ done: number; waiting: number }[]>`
      select count(*) filter (where e.status in ('succeeded', 'partial', 'failed'))::int as done,
             count(*) filter (where r.outcome = 'admitted' and r.job_id is null)::int as waiting
      from course_import_rows r left join enrichment_runs e on e.id = r.job_id`;
    await until("two rows done and rows still in line", 240_000, async () => {
      const [c] = await counts();
      return c!.done >= 2 && c!.waiting >= 3 ? c : null;
    }, 100);
    await sql.end({ timeout: 1 });

    // The crash.
    killGroup(app.child);
    await new Promise((r) => setTimeout(r, 2_000));
    app = startApp(appArgs, { embeddedDatabase: true });
    await app.ready;
    sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });

    const code = await Promise.race([cliExit, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 480_000))]);
    expect(code, output.slice(-3000)).toBe(0);

    const importRows = await sql<{ line: number; outcome: string; course_id: string | null; job_id: string | null; status: string | null }[]>`
      select r.line, r.outcome, r.course_id, r.job_id, e.status from course_import_rows r left join enrichment_runs e on e.id = r.job_id order by r.line`;
    expect(importRows).toHaveLength(ROWS + 1);
    const admitted = importRows.filter((r) => r.outcome === "admitted");
    expect(admitted).toHaveLength(ROWS);
    // Every row ended (a run that lost a lookup to the crash may end partial, never stuck or missing).
    expect(admitted.filter((r) => r.status !== "succeeded" && r.status !== "partial"), JSON.stringify(admitted)).toEqual([]);
    // Nothing ran twice: one run per course, and one lead task per contact.
    const runs = await sql<{ course_id: string; n: number }[]>`select course_id, count(*)::int as n from enrichment_runs group by course_id`;
    expect(runs).toHaveLength(ROWS);
    expect(runs.every((r) => r.n === 1)).toBe(true);
    const contacts = await sql<{ full_name: string; clickup_task_id: string | null }[]>`select full_name, clickup_task_id from contacts where clickup_task_id is not null`;
    expect(contacts.length).toBeGreaterThan(ROWS);
    expect(new Set(contacts.map((c) => c.clickup_task_id)).size).toBe(contacts.length);
    const leadCreates = sandbox.servers.clickup.recorder.list().filter((r) => r.method === "POST" && /\/list\/[^/]+\/task$/.test(r.path) && r.status === 200 && !r.path.includes(`/list/${CLICKUP_SEED.intake.listId}/`));
    expect(leadCreates).toHaveLength(contacts.length);
    const [imp] = await sql<{ status: string; summary_task_id: string | null; finished_at: Date | null }[]>`select status, summary_task_id, finished_at from course_imports`;
    expect(imp).toMatchObject({ status: "partial" });
    expect(imp!.summary_task_id).toBeTruthy();
    const summaries = sandbox.servers.clickup.recorder.list().filter((r) => r.method === "POST" && r.path.includes(`/list/${CLICKUP_SEED.intake.listId}/task`) && r.status === 200);
    expect(summaries).toHaveLength(1);

    // What the CLI showed and wrote.
    expect(output).toMatch(/12 to enrich, 1 invalid/);
    expect(output).toMatch(/enriched/);
    const errorsFile = join(dataDir, "restart.errors.csv");
    expect(existsSync(errorsFile)).toBe(true);
    const errors = readFileSync(errorsFile, "utf8");
    expect(errors).toContain('"14","invalid","state ""Atlantis"" is not a US state name or two-letter code"');
  }, 900_000);
});
