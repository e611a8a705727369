import { createApp } from "./app.ts";
import type { WorkerBindings } from "./env.ts";

export { CourseCoordinator } from "./durable/course-coordinator.ts";
export { JobDirectory } from "./durable/job-directory.ts";
export { ClickUpRateGate } from "./durable/clickup-rate-gate.ts";
export { EnrichCourse } from "./durable/enrich-course.ts";
export { ResolveIntakeTask } from "./durable/resolve-intake-task.ts";
export { OutreachMailbox } from "./durable/outreach-mailbox.ts";
export { OutreachSequence } from "./durable/outreach-sequence.ts";
export { OutreachEventEffects } from "./durable/outreach-event-effects.ts";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<WorkerBindings>;
