// The admin dashboard in a real browser (Debian's chromium driven by playwright-core; no browser
// download) against the real Worker, database and emulators: sign in, the overview draws its
// charts from a run the sandbox enriched, a run opens into its steps, a routing rule added on the
// page assigns the next course's leads, and a template edit changes the preview. A screenshot of
// each page goes to test-results/.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLICKUP_SEED } from "../../sandbox/clickup/index.ts";
import { startSandbox, type Sandbox } from "../../sandbox/index.ts";
import { runClickUpSetup } from "../../scripts/clickup-setup.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { startWorker, type RunningWorker } from "../support/worker-harness.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ADMIN_KEY = "browser-admin-key";
const SHOTS = join(import.meta.dirname, "..", "..", "test-results");
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`\n${"!".repeat(78)}\n!! SKIPPING the dashboard browser test: no Chromium at ${CHROMIUM}.\n!! Install it with: apt-get install -y chromium   (or set CHROMIUM_PATH)\n${"!".repeat(78)}\n`);
}

async function until<T>(check: () => Promise<T | null | undefined | false> | T | null | undefined | false, what: string, withinMs = 150_000): Promise<T> {
  for (const deadline = Date.now() + withinMs; ; ) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

type Browser = import("playwright-core").Browser;
type Page = import("playwright-core").Page;

describe.skipIf(!hasChromium)("admin dashboard in a browser", () => {
  let database: TestDatabase;
  let sandbox: Sandbox;
  let worker: RunningWorker;
  let sql: postgres.Sql;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  /** Lead tasks of the course the intake task asked for, once it is enriched: [task id, assignees]. */
  async function enrichedLeads(intakeTaskId: string): Promise<{ id: string; assignees: number[] }[]> {
    const rows = await until(async () => {
      const found = await sql<{ clickup_task_id: string }[]>`
        select c.clickup_task_id from contacts c join courses k on k.id = c.course_id
        where k.clickup_intake_task_id = ${intakeTaskId} and k.status in ('enriched', 'partial') and c.clickup_task_id is not null`;
      return found.length ? found : null;
    }, `the course of intake task ${intakeTaskId} to be enriched with lead tasks`);
    return rows.map((r) => {
      const task = sandbox.servers.clickup.task(r.clickup_task_id) as { assignees?: (number | { id: number })[] };
      return { id: r.clickup_task_id, assignees: (task.assignees ?? []).map((a) => (typeof a === "number" ? a : Number(a.id))) };
    });
  }

  async function shot(name: string) {
    await page.screenshot({ path: join(SHOTS, `dashboard-${name}.png`), fullPage: true });
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    database = await createTestDatabase();
    sql = postgres(database.url, { max: 2, onnotice: () => {} });
    sandbox = await startSandbox({ latency: "none", clickup: { seed: "intake", webhooks: { retryDelayMs: 5, timeoutMs: 5_000 } } });
    worker = await startWorker({ ...sandbox.env, CLICKUP_INTAKE_LIST_ID: "", DATABASE_URL: database.url, AGENT_API_KEY: "browser-agent-key", ADMIN_API_KEY: ADMIN_KEY, HUNTER_VERIFY_POLL_MS: "5" });
    const env = { ...sandbox.env, CLICKUP_SPACE_ID: CLICKUP_SEED.intake.spaceId, APP_URL: worker.url.origin, DATABASE_URL: database.url };
    const lines: string[] = [];
    expect((await runClickUpSetup({ env, print: (line) => lines.push(line) })).exitCode, lines.join("\n")).toBe(0);
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("pageerror", (error) => pageErrors.push(String(error)));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await sql?.end();
    await worker?.close();
    await sandbox?.close();
    await database?.stop();
  });

  it("signs in, draws the overview from a seeded run, opens a run, routes the next lead by an edited rule, previews a template edit", async () => {
    // A course enriched the production way: a rep's intake task in the emulated ClickUp.
    const first = sandbox.servers.clickup.createTaskAsUser(CLICKUP_SEED.intake.listId, { name: "Richmond Country Club, VA" });
    const firstLeads = await enrichedLeads(String(first.id));
    expect(firstLeads.every((l) => l.assignees.length === 0)).toBe(true);

    // Sign in: nothing but the form before it.
    await page.goto(new URL("/admin", worker.url).href);
    await page.waitForSelector("#signin-form", { state: "visible" });
    expect(await page.locator("#view").innerText()).toBe("");
    await page.fill("#admin-key", "wrong");
    await page.press("#admin-key", "Enter");
    await page.waitForSelector("#signin-error:has-text('not right')");
    await shot("sign-in");
    await page.fill("#admin-key", ADMIN_KEY);
    await page.press("#admin-key", "Enter");

    // Overview: cards and two charts (uPlot canvases) from the run.
    await page.waitForSelector("#overview-cards");
    await page.waitForSelector("#chart-daily canvas");
    await page.waitForSelector("#chart-outcomes canvas");
    // The JSON behind the page (same session, from the page itself) and what the page shows agree.
    const overview = (await page.evaluate(() => fetch("/api/admin/overview?days=30").then((r) => r.json()))) as { totals: { courses_enriched: number; leads: number } };
    expect(overview.totals.courses_enriched).toBe(1);
    expect(await page.locator("#card-courses .value").innerText()).toBe(String(overview.totals.courses_enriched));
    expect(await page.locator("#card-leads .value").innerText()).toBe(String(overview.totals.leads));
    await shot("overview");
    await page.click("#range button[data-days='7']");
    await page.waitForSelector("#range button[data-days='7'][aria-pressed='true']");

    for (const [name, selector] of [["agents", "#agents-table"], ["quality", "#chart-confidence canvas"], ["outreach", "#view[data-view='outreach']"], ["sync", "#view[data-view='sync']"], ["freshness", "#view[data-view='freshness']"]] as const) {
      await page.click(`#nav a[href='#/${name}']`);
      await page.waitForSelector(selector);
      await shot(name);
    }

    // Runs → the run's steps and provider calls.
    await page.click("#nav a[href='#/runs']");
    await page.waitForSelector("#runs-table .run-link");
    await shot("runs");
    await page.click("#runs-table .run-link");
    await page.waitForSelector("#steps-table");
    const steps = await page.locator("#steps-table tbody tr").allInnerTexts();
    expect(steps.some((s) => s.startsWith("A1"))).toBe(true);
    expect(await page.locator("#calls-table tbody tr").count()).toBeGreaterThan(0);
    await shot("run");

    // A routing rule added on the page takes the next course's leads.
    // A member of the emulated workspace (ClickUp refuses an assignee who is not one).
    const assignee = CLICKUP_SEED.repUser.id;
    await page.click("#nav a[href='#/routing']");
    const form = page.locator("form.rule[data-rule-id='new']");
    await form.locator("input[name='priority']").fill("1");
    await form.locator("input[name='assignee']").fill(String(assignee));
    await form.locator("button[type='submit']").click();
    await page.waitForSelector("#routing-status:has-text('created')");
    await page.fill("#preview-rule input[name='state']", "NC");
    await page.click("#preview-rule button");
    await page.waitForSelector(`#preview-rule-result:has-text('${assignee}')`);
    await shot("routing");
    const second = sandbox.servers.clickup.createTaskAsUser(CLICKUP_SEED.intake.listId, { name: "Willow Creek Golf Club, NC" });
    const secondLeads = await enrichedLeads(String(second.id));
    expect(secondLeads.length).toBeGreaterThan(0);
    expect(secondLeads.every((l) => l.assignees.includes(assignee))).toBe(true);

    // A template edit changes the preview (rendered for a real contact), and saves.
    await page.click("#nav a[href='#/templates']");
    await page.waitForSelector("#preview-subject");
    await page.fill("#template-subject", "A fresh idea for {{course_name}}");
    await page.click("#template-preview-button");
    await page.waitForSelector("#preview-subject:has-text('A fresh idea for ')");
    const subject = await page.locator("#preview-subject").innerText();
    expect(subject).toMatch(/^A fresh idea for (Richmond Country Club|Willow Creek Golf Club)$/);
    await page.click("#template-save");
    await page.waitForSelector("#template-status:has-text('updated')");
    await shot("templates");

    // On a phone: the same page, no horizontal scroll of the page itself.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.click("#nav a[href='#/overview']");
    await page.waitForSelector("#chart-daily canvas");
    await shot("overview-phone");
    expect(pageErrors).toEqual([]);
  }, 400_000);
});
