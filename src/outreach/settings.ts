// The outreach settings a sequence runs with: the `settings` row 'outreach' (editable from the
// dashboard later) over the environment's defaults, over the product's defaults.
import { z } from "zod";
import type { ConfigVars } from "../env.ts";
import { DEFAULT_SEND_WINDOW, type SendWindow } from "./send-schedule.ts";

export const OUTREACH_SETTINGS_KEY = "outreach";

const Hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a time like 08:00");
const Address = z.string().trim().regex(/^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$/, "an email address");
const Sender = z.object({ email: Address, name: z.string().trim().min(1), signature: z.string().optional() });
export type Sender = z.infer<typeof Sender>;

/** What may be stored in settings 'outreach' (every key optional). */
export const StoredOutreachSettings = z
  .object({
    send_window: z.object({ start: Hhmm, end: Hhmm, days: z.array(z.number().int().min(1).max(7)).min(1), skip_holidays: z.boolean() }).partial(),
    /** Business days before emails 2 and 3, when the template row does not say. */
    delays_business_days: z.object({ "2": z.number().int().min(0).max(30), "3": z.number().int().min(0).max(30) }).partial(),
    daily_cap: z.number().int().positive(),
    spacing_seconds: z.number().int().min(0),
    default_sender: Sender,
    postal_address: z.string().trim().min(1),
    company_name: z.string().trim().min(1),
    reply_to: Address,
  })
  .partial();

export interface OutreachSettings {
  window: SendWindow;
  delays: { 2: number; 3: number };
  dailyCap: number;
  spacingMs: number;
  defaultSender: Sender | null;
  postalAddress: string | null;
  companyName: string;
  replyTo: string | null;
  /** Window always open, a business day = one minute (never in production). */
  demo: boolean;
}

/** "Ann Lee <ann@x.com>" or "ann@x.com" → a sender, or null. */
export function parseSender(value: string | undefined): Sender | null {
  if (!value) return null;
  const match = value.match(/^\s*(.*?)\s*<([^>]+)>\s*$/);
  const email = (match ? match[2] : value)?.trim() ?? "";
  const name = (match?.[1] ?? "").replace(/^"|"$/g, "").trim() || email.split("@")[0] || email;
  const parsed = Sender.safeParse({ email, name });
  return parsed.success ? parsed.data : null;
}

function windowFromEnv(value: string | undefined): Partial<SendWindow> {
  const match = value?.match(/^\s*(\d\d:\d\d)\s*-\s*(\d\d:\d\d)\s*$/);
  return match ? { start: match[1]!, end: match[2]! } : {};
}

/**
 * Merges the stored value over the environment. A stored value that does not parse is reported in
 * `problems` and ignored key by key, never a crash: the sequence still runs on the defaults.
 */
export function resolveOutreachSettings(env: ConfigVars, stored: unknown): { settings: OutreachSettings; problems: string[] } {
  const problems: string[] = [];
  let saved: z.infer<typeof StoredOutreachSettings> = {};
  if (stored !== null && stored !== undefined) {
    const parsed = StoredOutreachSettings.safeParse(stored);
    if (parsed.success) saved = parsed.data;
    else problems.push(`settings '${OUTREACH_SETTINGS_KEY}' ignored: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  const demoRequested = env.OUTREACH_DEMO_MODE === true;
  if (demoRequested && env.ENVIRONMENT === "production") problems.push("OUTREACH_DEMO_MODE is refused in production: real send windows apply");
  return {
    problems,
    settings: {
      window: { ...DEFAULT_SEND_WINDOW, ...windowFromEnv(env.OUTREACH_SEND_WINDOW), ...saved.send_window },
      delays: { 2: saved.delays_business_days?.["2"] ?? 3, 3: saved.delays_business_days?.["3"] ?? 4 },
      dailyCap: saved.daily_cap ?? env.OUTREACH_DAILY_CAP ?? 50,
      spacingMs: (saved.spacing_seconds ?? env.OUTREACH_SPACING_SECONDS ?? 60) * 1000,
      defaultSender: saved.default_sender ?? parseSender(env.OUTREACH_DEFAULT_SENDER),
      postalAddress: saved.postal_address ?? env.OUTREACH_POSTAL_ADDRESS ?? null,
      companyName: saved.company_name ?? env.OUTREACH_COMPANY_NAME ?? "Golf Outreach",
      replyTo: saved.reply_to ?? env.OUTREACH_REPLY_TO ?? (env.MAILGUN_DOMAIN ? `reply@${env.MAILGUN_DOMAIN}` : null),
      demo: demoRequested && env.ENVIRONMENT !== "production",
    },
  };
}

/** Why a sequence cannot start with this configuration, in words a rep can pass to an admin; null when it can. */
export function outreachConfigurationProblem(env: ConfigVars, settings: OutreachSettings, sender?: Sender | null): string | null {
  if (!env.MAILGUN_API_KEY || !env.MAILGUN_DOMAIN) return "email sending is not configured (an admin must set MAILGUN_API_KEY and MAILGUN_DOMAIN)";
  if (!settings.postalAddress) return "the company postal address is not configured (the law requires it in every email): an admin must set OUTREACH_POSTAL_ADDRESS or the outreach settings";
  if (!env.APP_URL || !env.UNSUBSCRIBE_SIGNING_SECRET) return "unsubscribe links cannot be made (an admin must set APP_URL and UNSUBSCRIBE_SIGNING_SECRET)";
  if (!settings.replyTo) return "no reply address is configured (OUTREACH_REPLY_TO)";
  if (sender === null) return "no sender mailbox: the task's assignee has no sender address and no default sender is configured (OUTREACH_DEFAULT_SENDER)";
  return null;
}
