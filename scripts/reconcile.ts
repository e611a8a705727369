/**
 * `npm run reconcile [-- --url URL]`
 * Runs the hourly reconcile job now, on the running app: the cron handler through wrangler's
 * `--test-scheduled` convention, `GET <url>/__scheduled?cron=0+*+*+*+*` (what `wrangler dev
 * --test-scheduled` exposes; developers.cloudflare.com/workers/configuration/cron-triggers/#test-cron-triggers).
 * The URL is --url, else APP_URL, else http://127.0.0.1:8787. Without that route on a local app
 * (wrangler dev started without --test-scheduled) it asks wrangler dev's own trigger handler,
 * `/cdn-cgi/local/scheduled?cron=&time=` (Miniflare's, always on in wrangler dev 4.x; not in the
 * docs, and earlier versions named it /cdn-cgi/handler/scheduled). When neither answers (or it is
 * the deployed Worker, which has no such route) it says how to run the job instead. The job's
 * summary is the Worker's `reconcile_finished` log line.
 */
import { parseArgs } from "node:util";

const CRON = "0 * * * *";
const { values: flags } = parseArgs({ options: { url: { type: "string" }, help: { type: "boolean", default: false } } });
if (flags.help) {
  console.log("usage: npm run reconcile [-- --url http://127.0.0.1:8787]   (default: APP_URL, else http://127.0.0.1:8787)");
  process.exit(0);
}

const base = (flags.url ?? process.env.APP_URL ?? "http://127.0.0.1:8787").replace(/\/+$/, "");
const local = isLoopback(base);

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
    return host === "localhost" || host === "::1" || /^127\./.test(host);
  } catch {
    return false;
  }
}

function howTo(reason: string): string {
  const params = JSON.stringify({ scheduled_at: Date.now(), trigger: "manual" });
  const lines = [
    `reconcile not started: ${reason}`,
    "",
    "Run it one of these ways:",
    "  - locally: start the app (npm start) and run this again; with wrangler dev --test-scheduled the cron route is",
    `      curl "${local ? base : "http://127.0.0.1:8787"}/__scheduled?cron=${encodeURIComponent(CRON).replace(/%20/g, "+")}"`,
    "  - or start the Workflow itself (local dev session, or the deployed Worker without --local):",
    `      npx wrangler workflows trigger reconcile '${params}' --id manual-${Date.now()}${local ? ` --local --port ${new URL(base).port || "8787"}` : ""}`,
  ];
  return lines.join("\n");
}

async function main(): Promise<number> {
  const url = `${base}/__scheduled?cron=${encodeURIComponent(CRON).replace(/%20/g, "+")}`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    console.error(howTo(`no answer from ${base} (${cause}); is the app running (npm start)?`));
    return 1;
  }
  const text = await response.text();
  const note = "the Worker logs the summary as reconcile_finished (or reconcile_incomplete with the errors)";
  // wrangler's scheduled middleware answers 200 "Ran scheduled event"; without it the app's own 404 answers.
  if (response.ok && /ran scheduled event/i.test(text)) {
    console.log(JSON.stringify({ action: "reconcile_started", url, note }));
    return 0;
  }
  if (local) {
    // The tick's time names its job (cron-<time>), so this run is a new one and can be found.
    const time = Date.now();
    const fallback = `${base}/cdn-cgi/local/scheduled?cron=${encodeURIComponent(CRON).replace(/%20/g, "+")}&time=${time}`;
    const answer = await fetch(fallback, { signal: AbortSignal.timeout(30_000) }).catch(() => null);
    if (answer?.ok && (await answer.text()).trim() === "ok") {
      console.log(JSON.stringify({ action: "reconcile_started", url: fallback, instance_id: `cron-${time}`, note }));
      return 0;
    }
  }
  console.error(howTo(`${base} has no /__scheduled route (HTTP ${response.status})${local ? ": wrangler dev was started without --test-scheduled" : ": a deployed Worker has none"}`));
  return 1;
}

process.exitCode = await main();
