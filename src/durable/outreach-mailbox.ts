import { DurableObject } from "cloudflare:workers";

export interface MailboxRequest {
  /** Who asks: one email of one sequence (the same holder asking again gets the same answer). */
  holder: string;
  /** Emails this mailbox may send per UTC day. */
  dailyCap: number;
  /** Least time between the end of one send and the start of the next. */
  spacingMs: number;
}

/** Send now (the mailbox is yours until you release it), ask again at `retryAt`, or the day is full. */
export type MailboxGrant = { granted: true; sentToday: number } | { granted: false; retryAt: number } | { granted: false; full: true; day: string; sentToday: number };

/** How long a holder may keep the mailbox before it is presumed gone (a crashed send). */
const LEASE_MS = 3 * 60_000;

const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * One per sender address: every sequence sending from the mailbox takes it in turn, so the daily
 * cap and the spacing hold however many sequences are due at once (mailbox providers block
 * bursts). One send at a time: the next holder is let in `spacingMs` after the previous one
 * released it with its send done, so the provider sees the spacing. Counted per UTC day;
 * persisted, so an evicted object forgets nothing.
 */
// It reads no binding: typed without env.ts, so it stays out of env.ts's import circle.
export class OutreachMailbox extends DurableObject<Record<string, never>> {
  constructor(ctx: DurableObjectState, env: Record<string, never>) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS sends (day TEXT PRIMARY KEY, count INTEGER NOT NULL)");
    // Holders already released: a retried release counts nothing twice.
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS released (holder TEXT PRIMARY KEY, at INTEGER NOT NULL)");
  }

  #sentOn(day: string): number {
    return this.ctx.storage.sql.exec<{ count: number }>("SELECT count FROM sends WHERE day = ?", day).toArray()[0]?.count ?? 0;
  }

  acquire(request: MailboxRequest): MailboxGrant {
    const now = Date.now();
    const kv = this.ctx.storage.kv;
    const lease = kv.get<{ holder: string; until: number }>("lease");
    const lastSentAt = kv.get<number>("last_sent_at") ?? 0;
    const day = utcDay(now);
    const sentToday = this.#sentOn(day);
    if (lease?.holder === request.holder && lease.until > now) return { granted: true, sentToday };
    if (lease && lease.until > now) return { granted: false, retryAt: Math.min(lease.until, now + Math.max(request.spacingMs, 1000)) };
    if (sentToday >= request.dailyCap) return { granted: false, full: true, day, sentToday };
    if (now < lastSentAt + request.spacingMs) return { granted: false, retryAt: lastSentAt + request.spacingMs };
    kv.put("lease", { holder: request.holder, until: now + LEASE_MS });
    return { granted: true, sentToday };
  }

  /** The holder is done: `sent` counts it towards the day and starts the spacing. */
  release(holder: string, sent: boolean): void {
    const kv = this.ctx.storage.kv;
    const sql = this.ctx.storage.sql;
    const lease = kv.get<{ holder: string; until: number }>("lease");
    const now = Date.now();
    if (sql.exec("SELECT 1 FROM released WHERE holder = ?", holder).toArray().length) return;
    sql.exec("INSERT INTO released (holder, at) VALUES (?, ?)", holder, now);
    sql.exec("DELETE FROM released WHERE at < ?", now - 7 * 86_400_000);
    if (sent) {
      this.ctx.storage.sql.exec("INSERT INTO sends (day, count) VALUES (?, 1) ON CONFLICT(day) DO UPDATE SET count = count + 1", utcDay(now));
      this.ctx.storage.sql.exec("DELETE FROM sends WHERE day < ?", utcDay(now - 7 * 86_400_000));
      kv.put("last_sent_at", now);
    }
    if (lease?.holder === holder) kv.delete("lease");
  }
}
