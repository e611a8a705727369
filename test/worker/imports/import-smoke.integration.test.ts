import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { API_KEY, call, eventually, withDb } from "../helpers.ts";

describe("import smoke", () => {
  it("imports three courses", async () => {
    const suffix = crypto.randomUUID().slice(0, 6);
    const csv = `course,state\nRichmond Country Club ${suffix},VA\nPine Valley Golf Club ${suffix},NJ\nNowhere ${suffix},Narnia\n`;
    const response = await call("/api/imports?filename=smoke.csv", { method: "POST", headers: { "x-api-key": API_KEY, "content-type": "text/csv" }, body: csv });
    const body = (await response.json()) as Record<string, unknown>;
    console.log(JSON.stringify(body));
    expect(response.status).toBe(202);
    const done = await eventually(async () => {
      const r = await call(`/api/imports/${String(body.import_id)}`, { headers: { "x-api-key": API_KEY } });
      const v = (await r.json()) as { status: string; progress: Record<string, number>; summary_task_id: string | null };
      return v.summary_task_id || ["succeeded", "partial", "failed"].includes(v.status) ? v : null;
    }, "import done", 180_000);
    console.log(JSON.stringify(done));
    void env;
    void withDb;
  }, 200_000);
});
