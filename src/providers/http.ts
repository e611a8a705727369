import type { z } from "zod";
import { ProviderError, isRetryableStatus, parseRetryAfter } from "./provider-error.ts";

export interface ProviderRequest {
  provider: string;
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  /** Statuses that are answers, not failures (e.g. Hunter's 202 "still verifying"). */
  acceptStatuses?: number[];
}

export interface ProviderResponse<T> {
  status: number;
  data: T;
}

/**
 * The one fetch wrapper for every provider: a timeout on every call, the answer checked with zod,
 * 429/5xx/timeouts/garbled bodies mapped to a retryable ProviderError (with retry-after), other 4xx
 * to a permanent one. The provider's error text is kept short and never includes our credentials.
 */
export async function providerFetch<S extends z.ZodType>(request: ProviderRequest, schema: S): Promise<ProviderResponse<z.output<S>>> {
  const { provider } = request;
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method ?? "GET",
      headers: { accept: "application/json", ...request.headers },
      ...(request.body === undefined ? {} : { body: request.body }),
      signal: AbortSignal.timeout(request.timeoutMs ?? 30_000),
    });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    throw new ProviderError(provider, timedOut ? "timed out" : `network error: ${error instanceof Error ? error.message : String(error)}`, { retryable: true });
  }
  const text = await response.text();
  const accepted = response.ok || request.acceptStatuses?.includes(response.status);
  if (!accepted) {
    throw new ProviderError(provider, `HTTP ${response.status}: ${text.slice(0, 300)}`, {
      status: response.status,
      retryable: isRetryableStatus(response.status),
      retryAfterMs: parseRetryAfter(response.headers.get("retry-after")),
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ProviderError(provider, `HTTP ${response.status} with a body that is not JSON`, { status: response.status, retryable: true });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ProviderError(provider, `unexpected answer shape: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`, {
      status: response.status,
      retryable: false,
    });
  }
  return { status: response.status, data: parsed.data };
}
