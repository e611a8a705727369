import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";

/**
 * Maps a job id to the coordinator that owns it, so `GET /api/jobs/:id` can find the course's
 * Durable Object. Sharded by the job id's first two hex digits (256 small objects).
 */
export class JobDirectory extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS jobs (job_id TEXT PRIMARY KEY, coordinator_key TEXT NOT NULL, created_at INTEGER NOT NULL)",
    );
  }

  register(jobId: string, coordinatorKey: string): void {
    this.ctx.storage.sql.exec(
      "INSERT OR IGNORE INTO jobs (job_id, coordinator_key, created_at) VALUES (?, ?, ?)",
      jobId,
      coordinatorKey,
      Date.now(),
    );
  }

  lookup(jobId: string): string | null {
    const rows = this.ctx.storage.sql
      .exec<{ coordinator_key: string }>("SELECT coordinator_key FROM jobs WHERE job_id = ?", jobId)
      .toArray();
    return rows[0]?.coordinator_key ?? null;
  }
}

export function jobDirectoryShard(jobId: string): string {
  return `jobs-${jobId.slice(0, 2).toLowerCase()}`;
}
