import { createApp } from "./app.ts";
import type { Env } from "./env.ts";
import { onSchedule } from "./services/scheduled.ts";
import { onQueue } from "./services/queues.ts";

export { CourseCoordinator } from "./durable/course-coordinator.ts";
export { JobDirectory } from "./durable/job-directory.ts";
export { ClickUpRateGate } from "./durable/clickup-rate-gate.ts";
export { EnrichCourse } from "./durable/enrich-course.ts";
export { ResolveIntakeTask } from "./durable/resolve-intake-task.ts";
export { OutreachMailbox } from "./durable/outreach-mailbox.ts";
export { OutreachSequence } from "./durable/outreach-sequence.ts";
export { OutreachEventEffects } from "./durable/outreach-event-effects.ts";
export { ApplyCorrections } from "./durable/apply-corrections.ts";
export { Reconcile } from "./durable/reconcile.ts";
export { FreshnessSweep } from "./durable/freshness-sweep.ts";
export { AlertDelivery } from "./durable/alert-delivery.ts";
export { RunSlots } from "./durable/run-slots.ts";
export { CourseImportRunner } from "./durable/course-import.ts";
export { ImportSummary } from "./durable/import-summary.ts";
export { ClickUpDeliveryRetry } from "./durable/clickup-delivery.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  scheduled: (controller, env, ctx) => ctx.waitUntil(onSchedule(controller, env)),
  queue: (batch, env) => onQueue(batch, env),
} satisfies ExportedHandler<Env>;
