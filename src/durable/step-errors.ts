import { NonRetryableError } from "cloudflare:workflows";
import { PermanentError } from "../lib/errors.ts";
import { ProviderError } from "../providers/provider-error.ts";
import { StoreError } from "../store/index.ts";

/** Errors that will fail the same way again stop a Workflow step's retries at once. */
export function asStepError(error: unknown): Error {
  if (error instanceof StoreError && !error.retryable) return new NonRetryableError(error.message);
  if (error instanceof ProviderError && !error.retryable) return new NonRetryableError(error.message);
  if (error instanceof PermanentError) return new NonRetryableError(error.message);
  return error instanceof Error ? error : new Error(String(error));
}
