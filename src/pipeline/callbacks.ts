/** The run's result POSTed to the callback URLs its requests gave, signed. */
import { hmacSha256Hex } from "../lib/crypto.ts";
import { callbackUrlProblem } from "../lib/callback-url.ts";
import type { PipelineRuntime } from "./pipeline.types.ts";

/**
 * Posts the result to each callback URL (signed with CALLBACK_SIGNING_SECRET, never the API key: a
 * receiver must not be able to call our API), retried; a dead callback never fails the run. Without
 * the secret nothing is sent (the API refuses a callback_url then, so this is only a secret removed mid-run).
 */
export async function deliverCallbacks(rt: PipelineRuntime, urls: string[], result: Record<string, unknown>): Promise<void> {
  const secret = rt.config.env.CALLBACK_SIGNING_SECRET;
  await Promise.all(
    urls.map(async (url, i) => {
      const problem = callbackUrlProblem(url, rt.config.env);
      if (problem || !secret) {
        rt.log.error("callback_refused", { job_id: rt.params.job_id, reason: problem ?? "CALLBACK_SIGNING_SECRET is not set: callbacks are not sent unsigned" });
        return;
      }
      try {
        await rt.step(`callback:${i + 1}`, async () => {
          const body = JSON.stringify(result);
          const response = await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json", "x-signature": await hmacSha256Hex(secret, body) },
            body,
            redirect: "manual",
            signal: AbortSignal.timeout(15_000),
          });
          if (!response.ok) throw new Error(`callback answered ${response.status}`);
          return response.status;
        });
      } catch (error) {
        rt.log.error("callback_failed", { job_id: rt.params.job_id, error: error instanceof Error ? error.message : String(error) });
      }
    }),
  );
}
