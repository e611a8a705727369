import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import { z } from "zod";
import { AppError } from "../lib/errors.ts";

/** zod issues as `details`: where, what, and the code, without echoing the input back. */
export function issueDetails(error: { issues: readonly z.core.$ZodIssue[] }) {
  return error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message, code: issue.code }));
}

/** `@hono/zod-validator` with our error shape: a schema violation → 400 with the zod issues. */
export function validate<T extends z.ZodType, Target extends keyof ValidationTargets>(target: Target, schema: T) {
  return zValidator(target, schema, (result) => {
    if (!result.success) {
      throw new AppError("BAD_REQUEST", `invalid request ${target}`, issueDetails(result.error));
    }
  });
}

/** Parses bytes already read (e.g. after a signature check) as JSON, then against a schema. */
export function parseJsonBytes<T extends z.ZodType>(bytes: Uint8Array, schema: T): z.output<T> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new AppError("BAD_REQUEST", "request body is not valid JSON", [
      { path: "", message: error instanceof Error ? error.message : "malformed JSON", code: "invalid_json" },
    ]);
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new AppError("BAD_REQUEST", "invalid request json", issueDetails(result.error));
  return result.data;
}
