import type { z } from "zod";
import { AppError } from "../lib/errors.ts";

/** The database functions the app calls; each is `public.<name>(payload jsonb) returns jsonb`. */
export type DbFunction =
  | "upsert_course_for_enrichment"
  | "start_enrichment_run"
  | "apply_enrichment"
  | "fail_enrichment_run"
  | "get_enrichment_run"
  | "get_clickup_context"
  | "record_clickup_tasks"
  | "forget_clickup_task"
  | "note_run_problem"
  | "get_course_writeback"
  | "get_outreach_settings"
  | "start_outreach_sequence"
  | "claim_outreach_message"
  | "record_outreach_sent"
  | "record_outreach_event"
  | "get_outreach_sequence"
  | "get_contact_sequence"
  | "claim_webhook_token"
  | "plan_outreach_email"
  | "apply_correction"
  | "get_lead_for_correction"
  | "record_email_verification"
  | "record_lead_status"
  | "get_reconcile_watermarks"
  | "advance_reconcile_watermarks"
  | "replace_clickup_webhook"
  | "unknown_intake_tasks"
  | "lead_tasks_changed_since_sync"
  | "courses_awaiting_first_run"
  | "start_freshness_sweep"
  | "set_freshness_sweep_instance"
  | "next_freshness_courses"
  | "record_freshness_check"
  | "record_freshness_replacement"
  | "finish_freshness_followup"
  | "add_freshness_cost"
  | "finish_freshness_sweep"
  | "get_freshness_sweep"
  | "record_course_state_found"
  | "record_webhook_deliveries"
  | "get_webhook_health"
  // The admin dashboard (migrations/20261202000900_dashboard.sql)
  | "admin_overview"
  | "admin_agents"
  | "admin_quality"
  | "admin_runs"
  | "admin_run"
  | "admin_outreach"
  | "admin_sync"
  | "admin_freshness"
  | "admin_routing_rules"
  | "admin_save_routing_rule"
  | "admin_delete_routing_rule"
  | "admin_templates"
  | "admin_save_template"
  | "admin_preview_contact"
  // Admin alerts (src/store/alerts.ts)
  | "raise_alert"
  | "clear_alert"
  | "list_alerts"
  | "record_alert_delivery"
  | "get_alert_settings"
  | "create_course_import"
  | "add_course_import_rows"
  | "claim_course_import_rows"
  | "unclaim_course_import_row"
  | "set_course_import_row_job"
  | "fail_course_import_row"
  | "get_course_import"
  | "list_course_imports"
  | "finish_course_import";

/** Raised when the database itself refuses or fails; `retryable` says whether trying again can help. */
export class StoreError extends Error {
  readonly fn: DbFunction;
  readonly retryable: boolean;
  readonly sqlState: string | undefined;

  constructor(fn: DbFunction, message: string, opts: { retryable: boolean; sqlState?: string | undefined }) {
    super(`${fn}: ${message}`);
    this.name = "StoreError";
    this.fn = fn;
    this.retryable = opts.retryable;
    this.sqlState = opts.sqlState;
  }
}

/** The seam: "call this database function with this payload", result checked by a zod schema. */
export interface Store {
  readonly kind: "supabase" | "postgres";
  call<S extends z.ZodType>(fn: DbFunction, payload: unknown, schema: S): Promise<z.output<S>>;
  /** How many database round trips this store made (the benchmark reads it). */
  readonly roundTrips: number;
}

/** SQLSTATE classes that will fail the same way again: data exceptions, integrity, syntax/access. */
export function isPermanentSqlState(sqlState: string | undefined): boolean {
  return !!sqlState && /^(22|23|42|P0)/.test(sqlState);
}

export function parseResult<S extends z.ZodType>(fn: DbFunction, schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new StoreError(fn, `unexpected result shape: ${result.error.issues.map((i) => i.message).join("; ")}`, {
      retryable: false,
    });
  }
  return result.data;
}

export function storeNotConfigured(): AppError {
  return new AppError(
    "NOT_CONFIGURED",
    "The database is not configured: set DATABASE_URL, or SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY",
  );
}
