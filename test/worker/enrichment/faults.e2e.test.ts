import { env } from "cloudflare:workers";
import { introspectWorkflow } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { clearFaults, emulatorRequests, enrichAndWait, injectFault, type Provider } from "../helpers.ts";

const PROVIDERS: Provider[] = ["anthropic", "perplexity", "hunter", "jina"];

afterEach(async () => {
  for (const provider of PROVIDERS) await clearFaults(provider);
});

/** One transient failure per case, on the provider's main route; the run must retry through it. */
const CASES: { name: string; provider: Provider; fault: Record<string, unknown> }[] = [
  { name: "Anthropic 429 with retry-after", provider: "anthropic", fault: { route: "POST /v1/messages", kind: "rate_limit", retryAfter: 1, times: 1 } },
  { name: "Anthropic 529 overloaded", provider: "anthropic", fault: { route: "POST /v1/messages", kind: "error", status: 529, times: 1 } },
  { name: "Perplexity timeout", provider: "perplexity", fault: { route: "POST /v1/agent", kind: "timeout", times: 1 } },
  { name: "Perplexity 429", provider: "perplexity", fault: { route: "POST /v1/agent", kind: "rate_limit", retryAfter: 1, times: 1 } },
  { name: "Hunter 503", provider: "hunter", fault: { route: "GET /v2/*", kind: "error", status: 503, times: 1 } },
  { name: "Hunter garbled body", provider: "hunter", fault: { route: "GET /v2/*", kind: "malformed", times: 1 } },
  { name: "Jina 429", provider: "jina", fault: { route: "GET *", kind: "rate_limit", retryAfter: 1, times: 1 } },
  { name: "Jina timeout", provider: "jina", fault: { route: "GET *", kind: "timeout", times: 1 } },
];

describe("transient provider failures (integration)", () => {
  it.each(CASES)("$name: retried, and the run still succeeds", async ({ provider, fault }) => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    await workflows.modifyAll(async (m) => m.disableRetryDelays());
    const since = Date.now();
    await injectFault(provider, fault);
    const { output, job } = await enrichAndWait(workflows, { course_name: "Richmond Country Club", state: "VA", course_id: crypto.randomUUID() });
    expect(output.status, JSON.stringify(job)).toBe("succeeded");
    const faulted = (await emulatorRequests(provider, since)).filter((r) => r.fault);
    expect(faulted.length, "the fault was hit").toBe(1);
  });

  it("a step that fails after its provider calls resumes without paying for them again", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    // The final write fails twice after every paid call is done (as a crash between steps would), then succeeds.
    await workflows.modifyAll(async (m) => {
      await m.disableRetryDelays();
      await m.mockStepError({ name: "apply_enrichment" }, new Error("worker evicted"), 2);
    });
    const since = Date.now();
    const { output, job } = await enrichAndWait(workflows, { course_name: "Richmond Country Club", state: "VA", course_id: crypto.randomUUID() });
    expect(output.status).toBe("succeeded");
    // Every paid request reached its provider exactly once: as many requests as the job counts calls.
    const calls = (job.steps as { calls: number }[]).reduce((sum, s) => sum + s.calls, 0);
    let requests = 0;
    for (const provider of PROVIDERS) requests += (await emulatorRequests(provider, since)).filter((r) => !r.path.startsWith("/__emulator")).length;
    expect(requests).toBe(calls);
    const anthropic = (await emulatorRequests("anthropic", since)).filter((r) => r.path === "/v1/messages");
    expect(anthropic).toHaveLength(2); // A2 extraction and A6 course intel, once each
  });

  it("a provider that keeps failing on a non-critical call ends the run partial, with the failure in the job", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    await workflows.modifyAll(async (m) => m.disableRetryDelays());
    await injectFault("anthropic", { route: "POST /v1/messages", kind: "error", status: 500 });
    const { output, job } = await enrichAndWait(workflows, { course_name: "Richmond Country Club", state: "VA", course_id: crypto.randomUUID() });
    expect(output.status).toBe("partial");
    const a6 = (job.steps as { agent: string; status: string; error?: string }[]).find((s) => s.agent === "A6")!;
    expect(a6).toMatchObject({ status: "failed", error: expect.stringContaining("500") });
  });

  it("a critical provider that keeps failing ends the run failed with the reason", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    await workflows.modifyAll(async (m) => m.disableRetryDelays());
    await injectFault("perplexity", { route: "POST /v1/agent", kind: "error", status: 503 });
    const { output } = await enrichAndWait(workflows, { course_name: "Richmond Country Club", state: "VA", course_id: crypto.randomUUID() });
    expect(output).toMatchObject({ status: "failed", error: expect.stringContaining("503") });
  });
});
