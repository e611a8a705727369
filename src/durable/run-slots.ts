import { DurableObject } from "cloudflare:workers";
import { configFor, type Env } from "../env.ts";
import { createLogger, type Logger } from "../lib/log.ts";
import type { SlotGrant, SlotPriority, SlotStats } from "../pipeline/jobs.types.ts";

/** How often the holders are checked against their coordinators (a slot whose run ended without a release). */
const AUDIT_EVERY_MS = 60_000;
/** A grant a coordinator did not take (it did not answer) is offered again after this long. */
const REDELIVER_MS = 5_000;

interface SlotRow extends Record<string, SqlStorageValue> {
  slot_id: string;
  /** reserved: handed to an import row on its way through the queue; bound: a run holds it. */
  state: "reserved" | "bound";
  priority: SlotPriority;
  import_id: string | null;
  job_id: string | null;
  coordinator_key: string | null;
  since: number;
  audited_at: number;
}

interface WaiterRow extends Record<string, SqlStorageValue> {
  job_id: string;
  coordinator_key: string;
  priority: SlotPriority;
  since: number;
  /** The slot granted while it waited, not yet taken by its coordinator. */
  granted_slot: string | null;
  offered_at: number | null;
}

/**
 * One object for the whole app: at most MAX_RUNS_IN_FLIGHT enrichment runs at once. A run is admitted
 * when its coordinator takes a slot (`acquire`); one that finds none waits here, outside any Workflow,
 * and is admitted (its coordinator called back) when a slot frees, interactive runs (a rep's intake
 * task, an API call) first. Imports never wait here: their rows wait in the database, and an import's
 * runner reserves only free slots no interactive run is waiting for (`reserve`), then sends that many
 * rows through the queue. A slot is released when its run ends; one nobody released (a lost message, a
 * run that ended without telling) is found by the lease and the audit and freed.
 */
export class RunSlots extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly log: Logger;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.log = createLogger(configFor(env).env.LOG_LEVEL, { component: "run_slots" }, configFor(env).secrets);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS slots (slot_id TEXT PRIMARY KEY, state TEXT NOT NULL, priority TEXT NOT NULL,
      import_id TEXT, job_id TEXT UNIQUE, coordinator_key TEXT, since INTEGER NOT NULL, audited_at INTEGER NOT NULL)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS waiters (job_id TEXT PRIMARY KEY, coordinator_key TEXT NOT NULL, priority TEXT NOT NULL,
      since INTEGER NOT NULL, granted_slot TEXT, offered_at INTEGER)`);
    // Imports that asked for slots and got fewer than they wanted: told when one frees.
    this.sql.exec("CREATE TABLE IF NOT EXISTS hungry_imports (import_id TEXT PRIMARY KEY, since INTEGER NOT NULL)");
  }

  private limit(): number {
    return configFor(this.env).env.MAX_RUNS_IN_FLIGHT;
  }

  /** A reservation no queue message bound to a run within the import row lease is freed (a lost message). */
  private leaseMs(): number {
    return configFor(this.env).env.IMPORT_ROW_LEASE_SECONDS * 1000;
  }

  private used(): number {
    return this.count("SELECT COUNT(*) AS n FROM slots");
  }

  private count(query: string): number {
    return this.sql.exec<{ n: number }>(query).one().n;
  }

  private waitingInteractive(): number {
    return this.count("SELECT COUNT(*) AS n FROM waiters WHERE granted_slot IS NULL AND priority = 'interactive'");
  }

  private waitingAny(): number {
    return this.count("SELECT COUNT(*) AS n FROM waiters WHERE granted_slot IS NULL");
  }

  private insertSlot(state: SlotRow["state"], priority: SlotPriority, fields: { import_id?: string; job_id?: string; coordinator_key?: string }): string {
    const slotId = `slot-${crypto.randomUUID()}`;
    const now = Date.now();
    this.sql.exec(
      "INSERT INTO slots (slot_id, state, priority, import_id, job_id, coordinator_key, since, audited_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      slotId, state, priority, fields.import_id ?? null, fields.job_id ?? null, fields.coordinator_key ?? null, now, now,
    );
    return slotId;
  }

  /** A run asks to start: a slot now, or a place in line (its coordinator is called back with `admitted`). */
  async acquire(request: { job_id: string; coordinator_key: string; priority: SlotPriority }): Promise<SlotGrant> {
    const held = this.sql.exec<SlotRow>("SELECT * FROM slots WHERE job_id = ?", request.job_id).toArray()[0];
    if (held) return { granted: true, slot_id: held.slot_id };
    const waiting = this.sql.exec<WaiterRow>("SELECT * FROM waiters WHERE job_id = ?", request.job_id).toArray()[0];
    if (waiting?.granted_slot) return { granted: true, slot_id: this.take(waiting) };
    // Ahead of this run: every waiter of its priority or higher (an interactive run passes import runs).
    const ahead = request.priority === "interactive" ? this.waitingInteractive() : this.waitingAny();
    if (!waiting && this.used() < this.limit() && ahead === 0) {
      return { granted: true, slot_id: this.insertSlot("bound", request.priority, { job_id: request.job_id, coordinator_key: request.coordinator_key }) };
    }
    if (!waiting) {
      this.sql.exec("INSERT INTO waiters (job_id, coordinator_key, priority, since) VALUES (?, ?, ?, ?)", request.job_id, request.coordinator_key, request.priority, Date.now());
      this.log.info("run_waiting_for_slot", { job_id: request.job_id, priority: request.priority, in_flight: this.used(), limit: this.limit() });
    }
    await this.ensureAlarm(Date.now() + AUDIT_EVERY_MS);
    const position = this.sql
      .exec<{ n: number }>(
        "SELECT COUNT(*) AS n FROM waiters WHERE granted_slot IS NULL AND (priority = 'interactive' OR ? = 'import') AND since <= ?",
        request.priority, waiting?.since ?? Date.now(),
      )
      .one().n;
    return { granted: false, position };
  }

  /** A waiter's granted slot, taken: it becomes the run's. */
  private take(waiter: WaiterRow): string {
    const slotId = waiter.granted_slot!;
    this.sql.exec("DELETE FROM waiters WHERE job_id = ?", waiter.job_id);
    return slotId;
  }

  /**
   * An import's runner asks for up to `max` slots for its rows. It gets only slots that are free with
   * no run waiting in line (interactive runs, follow-ups): the import never passes a waiting run.
   */
  async reserve(importId: string, max: number): Promise<string[]> {
    const free = this.waitingAny() > 0 ? 0 : Math.max(0, this.limit() - this.used());
    const count = Math.min(free, Math.max(0, max));
    const slots = Array.from({ length: count }, () => this.insertSlot("reserved", "import", { import_id: importId }));
    if (count < max) this.sql.exec("INSERT OR IGNORE INTO hungry_imports (import_id, since) VALUES (?, ?)", importId, Date.now());
    else this.sql.exec("DELETE FROM hungry_imports WHERE import_id = ?", importId);
    if (count > 0) await this.ensureAlarm(Date.now() + this.leaseMs());
    return slots;
  }

  /** An import row's run started with its reserved slot; false when the reservation is gone (it expired). */
  bind(slotId: string, jobId: string, coordinatorKey: string): boolean {
    const slot = this.sql.exec<SlotRow>("SELECT * FROM slots WHERE slot_id = ?", slotId).toArray()[0];
    if (!slot) return false;
    if (slot.state === "bound") return slot.job_id === jobId;
    this.sql.exec("UPDATE slots SET state = 'bound', job_id = ?, coordinator_key = ?, audited_at = ? WHERE slot_id = ?", jobId, coordinatorKey, Date.now(), slotId);
    return true;
  }

  /** A run ended (or a reservation was not used): its slot goes to the next in line. */
  async release(slotId: string): Promise<void> {
    const slot = this.sql.exec<SlotRow>("SELECT * FROM slots WHERE slot_id = ?", slotId).toArray()[0];
    if (!slot) return;
    this.sql.exec("DELETE FROM slots WHERE slot_id = ?", slotId);
    // A slot granted to a waiter that gave up (or never took it) is freed the same way.
    this.sql.exec("UPDATE waiters SET granted_slot = NULL, offered_at = NULL WHERE granted_slot = ?", slotId);
    await this.handOut();
  }

  /** A waiting run that no longer needs a slot (its job was finished otherwise). */
  async cancel(jobId: string): Promise<void> {
    const waiter = this.sql.exec<WaiterRow>("SELECT * FROM waiters WHERE job_id = ?", jobId).toArray()[0];
    this.sql.exec("DELETE FROM waiters WHERE job_id = ?", jobId);
    if (waiter?.granted_slot) await this.release(waiter.granted_slot);
  }

  /** Free slots go to waiting runs (interactive first, then oldest); what is left wakes the hungry imports. */
  private async handOut(): Promise<void> {
    let free = this.limit() - this.used();
    const waiters = this.sql
      .exec<WaiterRow>("SELECT * FROM waiters WHERE granted_slot IS NULL ORDER BY CASE priority WHEN 'interactive' THEN 0 ELSE 1 END, since")
      .toArray();
    let granted = 0;
    for (const waiter of waiters) {
      if (free <= 0) break;
      const slotId = this.insertSlot("bound", waiter.priority, { job_id: waiter.job_id, coordinator_key: waiter.coordinator_key });
      this.sql.exec("UPDATE waiters SET granted_slot = ?, offered_at = NULL WHERE job_id = ?", slotId, waiter.job_id);
      free--;
      granted++;
    }
    const hungry = free > 0 && this.count("SELECT COUNT(*) AS n FROM hungry_imports") > 0;
    // The coordinators and import runners are called from the alarm, never from inside a caller's request.
    if (granted > 0 || hungry) await this.ctx.storage.setAlarm(Date.now());
  }

  private async ensureAlarm(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    // Grants: the waiting run's coordinator starts it (false: it no longer waits, the slot goes on).
    for (const waiter of this.sql.exec<WaiterRow>("SELECT * FROM waiters WHERE granted_slot IS NOT NULL AND (offered_at IS NULL OR offered_at < ?)", now - REDELIVER_MS).toArray()) {
      this.sql.exec("UPDATE waiters SET offered_at = ? WHERE job_id = ?", now, waiter.job_id);
      try {
        const coordinator = this.env.COURSE_COORDINATOR.get(this.env.COURSE_COORDINATOR.idFromName(waiter.coordinator_key));
        const taken = await coordinator.admitted(waiter.job_id, waiter.granted_slot!);
        this.sql.exec("DELETE FROM waiters WHERE job_id = ?", waiter.job_id);
        if (!taken) await this.release(waiter.granted_slot!);
      } catch (error) {
        this.log.warn("slot_grant_undelivered", { job_id: waiter.job_id, error });
      }
    }
    // Reservations no queue message bound in time: the message was lost; the row is claimed again later.
    for (const slot of this.sql.exec<SlotRow>("SELECT * FROM slots WHERE state = 'reserved' AND since < ?", now - this.leaseMs()).toArray()) {
      this.log.warn("slot_reservation_expired", { slot_id: slot.slot_id, import_id: slot.import_id });
      this.sql.exec("DELETE FROM slots WHERE slot_id = ?", slot.slot_id);
    }
    // Bound slots whose run is over without a release (a coordinator that lost the call).
    for (const slot of this.sql.exec<SlotRow>("SELECT * FROM slots WHERE state = 'bound' AND audited_at < ?", now - AUDIT_EVERY_MS).toArray()) {
      try {
        const coordinator = this.env.COURSE_COORDINATOR.get(this.env.COURSE_COORDINATOR.idFromName(slot.coordinator_key!));
        const holds = await coordinator.holdsSlot(slot.job_id!, slot.slot_id);
        if (holds) this.sql.exec("UPDATE slots SET audited_at = ? WHERE slot_id = ?", now, slot.slot_id);
        else {
          this.log.warn("slot_reclaimed", { slot_id: slot.slot_id, job_id: slot.job_id });
          this.sql.exec("DELETE FROM slots WHERE slot_id = ?", slot.slot_id);
        }
      } catch (error) {
        this.log.warn("slot_audit_failed", { slot_id: slot.slot_id, error });
      }
    }
    // Free slots left: waiting runs first, then the imports that want more are told.
    let free = this.limit() - this.used();
    if (free > 0 && this.waitingAny() > 0) {
      await this.handOut();
      free = this.limit() - this.used();
    }
    if (free > 0 && this.waitingAny() === 0) {
      for (const { import_id } of this.sql.exec<{ import_id: string }>("SELECT import_id FROM hungry_imports ORDER BY since").toArray()) {
        this.sql.exec("DELETE FROM hungry_imports WHERE import_id = ?", import_id);
        try {
          await this.env.COURSE_IMPORT.get(this.env.COURSE_IMPORT.idFromName(import_id)).wake();
        } catch (error) {
          this.log.warn("import_wake_failed", { import_id, error });
        }
      }
    }
    const pendingGrants = this.count("SELECT COUNT(*) AS n FROM waiters WHERE granted_slot IS NOT NULL");
    if (pendingGrants > 0) await this.ctx.storage.setAlarm(Date.now() + REDELIVER_MS);
    else if (this.used() > 0 || this.waitingAny() > 0) await this.ctx.storage.setAlarm(Date.now() + AUDIT_EVERY_MS);
  }

  /** For the import API, the benchmark and tests. */
  stats(): SlotStats {
    const interactive = this.waitingInteractive();
    return {
      limit: this.limit(),
      in_flight: this.count("SELECT COUNT(*) AS n FROM slots WHERE state = 'bound'"),
      reserved: this.count("SELECT COUNT(*) AS n FROM slots WHERE state = 'reserved'"),
      waiting_interactive: interactive,
      waiting_import: this.waitingAny() - interactive,
    };
  }
}

/** The app's one RunSlots object. */
export function runSlots(env: Env): DurableObjectStub<RunSlots> {
  return env.RUN_SLOTS.get(env.RUN_SLOTS.idFromName("app"));
}
