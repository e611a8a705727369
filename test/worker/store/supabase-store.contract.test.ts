import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createSupabaseStore } from "../../../src/store/supabase-store.ts";
import { StoreError, type DbFunction } from "../../../src/store/store.ts";

interface Captured {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** Records what supabase-js puts on the wire and answers like PostgREST would. */
function recordingFetch(reply: () => Response) {
  const requests: Captured[] = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    requests.push({
      method: request.method,
      url: request.url,
      headers: Object.fromEntries(request.headers),
      body: JSON.parse(await request.text()),
    });
    return reply();
  };
  return { requests, fetchImpl };
}

const SUPABASE_URL = "https://project-ref.supabase.co";
const SERVICE_KEY = "service-role-key-for-contract-test";
const FUNCTIONS: DbFunction[] = ["upsert_course_for_enrichment", "start_enrichment_run", "apply_enrichment", "fail_enrichment_run", "get_enrichment_run"];

describe("supabase-js store adapter (contract)", () => {
  it.each(FUNCTIONS)("%s → POST /rest/v1/rpc/<fn> with {payload} and the service role key", async (fn) => {
    const { requests, fetchImpl } = recordingFetch(() => Response.json({ ok: true }));
    const store = createSupabaseStore(SUPABASE_URL, SERVICE_KEY, fetchImpl);
    const payload = { run_id: "5b0c8f4e-7a43-4b8e-9a52-0d7c1f7e3f10", nested: { list: [1, 2] } };
    const result = await store.call(fn, payload, z.object({ ok: z.boolean() }));

    expect(result).toEqual({ ok: true });
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request!.method).toBe("POST");
    expect(request!.url).toBe(`${SUPABASE_URL}/rest/v1/rpc/${fn}`);
    expect(request!.body).toEqual({ payload });
    expect(request!.headers.apikey).toBe(SERVICE_KEY);
    expect(request!.headers.authorization).toBe(`Bearer ${SERVICE_KEY}`);
    expect(request!.headers["content-type"]).toMatch(/application\/json/);
    expect(store.roundTrips).toBe(1);
  });

  it("a PostgREST error for bad data is permanent; a 5xx is retryable; a wrong result shape is refused", async () => {
    const invalid = createSupabaseStore(SUPABASE_URL, SERVICE_KEY, recordingFetch(() =>
      Response.json({ code: "22023", message: "segment must be high-end, budget or both", details: null, hint: null }, { status: 400 }),
    ).fetchImpl);
    const failure = await invalid.call("apply_enrichment", {}, z.unknown()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(StoreError);
    expect(failure).toMatchObject({ retryable: false, sqlState: "22023", message: expect.stringContaining("segment") });

    const down = createSupabaseStore(SUPABASE_URL, SERVICE_KEY, recordingFetch(() =>
      Response.json({ code: "PGRST000", message: "Could not connect to the database" }, { status: 503 }),
    ).fetchImpl);
    expect(await down.call("apply_enrichment", {}, z.unknown()).catch((e: unknown) => e)).toMatchObject({ retryable: true });

    const odd = createSupabaseStore(SUPABASE_URL, SERVICE_KEY, recordingFetch(() => Response.json([1, 2, 3])).fetchImpl);
    expect(await odd.call("get_enrichment_run", {}, z.object({ run: z.unknown() })).catch((e: unknown) => e)).toMatchObject({
      retryable: false,
      message: expect.stringContaining("unexpected result shape"),
    });
  });
});
