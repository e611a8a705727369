import { configFor, type Env } from "../env.ts";
import { createLogger } from "../lib/log.ts";
import { onImportQueue } from "./imports.ts";

/** The Worker's queue handler: every queue it consumes is an import queue (its rows, and their dead letters). */
export async function onQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const config = configFor(env);
  const log = createLogger(config.env.LOG_LEVEL, { component: "import_queue", queue: batch.queue }, config.secrets);
  await onImportQueue(batch, env, config, log);
}
