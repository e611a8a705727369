import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createPostgresStore } from "../../../src/store/postgres-store.ts";
import { CourseRecord } from "../../../src/store/records.ts";
import { StoreError } from "../../../src/store/store.ts";

describe("postgres.js store adapter (integration, real database from workerd)", () => {
  it("calls a database function and validates its result", async () => {
    const store = createPostgresStore(env.DATABASE_URL);
    const name = `Adapter ${crypto.randomUUID().slice(0, 8)} Golf Club`;
    const course = await store.call("upsert_course_for_enrichment", { course_name: name, state: "VA", source: "api" }, CourseRecord);
    expect(course).toMatchObject({ course_name: name, state: "VA", status: "pending_enrichment" });
    const again = await store.call("upsert_course_for_enrichment", { course_name: name.toUpperCase(), state: "VA" }, CourseRecord);
    expect(again.id).toBe(course.id);
    expect(store.roundTrips).toBe(2);
  });

  it("a database refusal is a permanent StoreError with its SQLSTATE; a wrong result shape is refused", async () => {
    const store = createPostgresStore(env.DATABASE_URL);
    const refused = await store.call("upsert_course_for_enrichment", { state: "VA" }, CourseRecord).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StoreError);
    expect(refused).toMatchObject({ retryable: false, sqlState: expect.stringMatching(/^22|^P0|^23/) });
    const shape = await store.call("upsert_course_for_enrichment", { course_name: "Shape Test GC", state: "VA" }, z.array(z.string())).catch((e: unknown) => e);
    expect(shape).toMatchObject({ retryable: false, message: expect.stringContaining("unexpected result shape") });
  });

  it("an unreachable database is a retryable StoreError", async () => {
    const store = createPostgresStore("postgres://postgres@127.0.0.1:1/none");
    const failure = await store.call("get_enrichment_run", { run_id: crypto.randomUUID() }, z.unknown()).catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: "StoreError", retryable: true });
  });
});
