import { env } from "cloudflare:workers";
import { createExecutionContext, introspectWorkflow, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { API_KEY, call, enrich, getJob, postJson, uniqueCourseName, withDb } from "./helpers.ts";

describe("POST /api/enrich-course and GET /api/jobs/:id (integration)", () => {
  describe("happy", () => {
    it("accepts a course, runs the pipeline and reports the job; the course ends enriched in the database", async () => {
      await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
      const { response, json } = await enrich({ course_name: "Stonebridge Golf Club", state: "Georgia", course_id: crypto.randomUUID() });
      expect(response.status).toBe(202);
      expect(json).toMatchObject({ job_id: expect.any(String), status: "processing" });
      const jobId = String(json.job_id);

      const [instance] = await workflows.get();
      expect(instance).toBeDefined();
      await instance!.waitForStatus("complete");

      const job = await getJob(jobId);
      expect(job.response.status).toBe(200);
      expect(job.json).toMatchObject({ job_id: jobId, status: "succeeded", course_id: expect.any(String) });
      const steps = job.json.steps as { agent: string; status: string; duration_ms: number; cost_usd: number }[];
      expect(steps.map((s) => s.agent)).toEqual(expect.arrayContaining(["load_course", "mark_enriching", "A1", "A2", "A7", "A6", "apply_enrichment"]));
      for (const step of steps) {
        expect(step.status, step.agent).toBe("succeeded");
        expect(step.duration_ms).toBeGreaterThanOrEqual(0);
      }
      const paid = steps.filter((s) => ["A1", "A6", "A7"].includes(s.agent));
      for (const step of paid) expect(step.cost_usd, step.agent).toBeGreaterThan(0);
      expect(job.json.cost_usd).toBeCloseTo(steps.reduce((sum, s) => sum + s.cost_usd, 0), 6);

      const rows = await withDb((sql) => sql`
        select c.status, c.state, r.status as run_status
        from courses c join enrichment_runs r on r.course_id = c.id
        where r.id = ${jobId}`);
      expect(rows).toEqual([{ status: "enriched", state: "GA", run_status: "succeeded" }]);
    });

    it("returns the in-flight run's job id for a repeated request, and honours Idempotency-Key", async () => {
      await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
      const name = uniqueCourseName("Repeat");
      const first = await enrich({ course_name: name, state: "VA" }, { "idempotency-key": `k-${name}` });
      const again = await enrich({ course_name: `  ${name.toUpperCase()} `, state: "virginia" });
      const retried = await enrich({ course_name: name, state: "VA" }, { "idempotency-key": `k-${name}` });
      expect(first.response.status).toBe(202);
      expect(again.json.job_id).toBe(first.json.job_id);
      expect(again.json.outcome).toBe("joined");
      expect(retried.json).toMatchObject({ job_id: first.json.job_id, outcome: "duplicate" });
      for (const instance of await workflows.get()) await instance.waitForStatus("complete");
      expect(await workflows.get()).toHaveLength(1);
    });
  });

  describe("errors", () => {
    const headers = { "x-api-key": API_KEY };

    it("malformed JSON → 400 in the one error shape", async () => {
      const response = await postJson("/api/enrich-course", "{not json", headers);
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("BAD_REQUEST");
      expect(body.error.message).toMatch(/json/i);
    });

    it("schema violations → 400 with the zod issues in details", async () => {
      const response = await postJson("/api/enrich-course", { course_name: "", state: "Atlantis", course_id: "nope" }, headers);
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { code: string; details: { path: string; message: string }[] } };
      expect(body.error.code).toBe("BAD_REQUEST");
      const paths = body.error.details.map((d) => d.path).sort();
      expect(paths).toEqual(["course_id", "course_name", "state"]);
      expect(body.error.details.find((d) => d.path === "state")?.message).toMatch(/Atlantis/);
    });

    it("a body over 1 MB → 413", async () => {
      const big = JSON.stringify({ course_name: "x".repeat(1024 * 1024 + 10), state: "VA" });
      const response = await postJson("/api/enrich-course", big, headers);
      expect(response.status).toBe(413);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("PAYLOAD_TOO_LARGE");
    });

    it("a callback_url that is not https on an allowed host → 400, nothing started", async () => {
      await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
      for (const callback_url of ["http://example.com/hook", "https://169.254.169.254/latest", "https://evil.example/x", "notaurl"]) {
        const { response, json } = await enrich({ course_name: uniqueCourseName("Cb"), state: "VA", callback_url });
        expect(response.status, callback_url).toBe(400);
        expect(JSON.stringify(json)).toMatch(/callback_url|callbacks are disabled/);
      }
      expect(await workflows.get()).toHaveLength(0);
    });

    it("a callback_url without CALLBACK_SIGNING_SECRET → 503 saying so, nothing started (a callback is never sent unsigned, nor signed with the API key)", async () => {
      await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
      const app = createApp();
      const ctx = createExecutionContext();
      const body = JSON.stringify({ course_name: uniqueCourseName("Unsigned Cb"), state: "VA", callback_url: `${String(env.CALLBACK_SINK_URL)}/unsigned` });
      const response = await app.fetch(
        new Request("http://golf.test/api/enrich-course", { method: "POST", body, headers: { "x-api-key": API_KEY, "content-type": "application/json" } }),
        { ...env, CALLBACK_SIGNING_SECRET: "" },
        ctx,
      );
      await waitOnExecutionContext(ctx);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ error: { code: "NOT_CONFIGURED", message: expect.stringContaining("CALLBACK_SIGNING_SECRET") } });
      expect(await workflows.get()).toHaveLength(0);
    });

    it("unknown job → 404, a job id that is not a UUID → 400, unknown route → 404", async () => {
      const missing = await getJob(crypto.randomUUID());
      expect(missing.response.status).toBe(404);
      expect(missing.json).toMatchObject({ error: { code: "NOT_FOUND" } });
      const bad = await getJob("not-a-uuid");
      expect(bad.response.status).toBe(400);
      const route = await call("/nope");
      expect(route.status).toBe(404);
      expect(await route.json()).toMatchObject({ error: { code: "NOT_FOUND", message: expect.stringContaining("/nope") } });
    });
  });

  describe("security", () => {
    it("the API key is enforced on both routes", async () => {
      const body = { course_name: uniqueCourseName("Sec"), state: "VA" };
      expect((await postJson("/api/enrich-course", body)).status).toBe(401);
      expect((await postJson("/api/enrich-course", body, { "x-api-key": "wrong" })).status).toBe(401);
      expect((await postJson("/api/enrich-course", body, { "x-api-key": `${API_KEY}x` })).status).toBe(401);
      const jobs = await call(`/api/jobs/${crypto.randomUUID()}`);
      expect(jobs.status).toBe(401);
      expect(await jobs.json()).toMatchObject({ error: { code: "UNAUTHORIZED" } });
    });

    it("a route whose secret is not configured answers 503 with an explanation", async () => {
      const app = createApp();
      const ctx = createExecutionContext();
      const bindings = { ...env, AGENT_API_KEY: "" };
      const response = await app.fetch(
        new Request("http://golf.test/api/enrich-course", { method: "POST", body: "{}", headers: { "x-api-key": "anything" } }),
        bindings,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ error: { code: "NOT_CONFIGURED", message: expect.stringContaining("AGENT_API_KEY") } });
    });
  });
});
