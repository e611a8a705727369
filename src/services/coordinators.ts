import type { Env } from "../env.ts";
import { createInstanceOnce } from "../lib/workflow-instances.ts";
import { jobDirectoryShard } from "../durable/job-directory.ts";
import type { JobView, ResolveIntakeParams, TriggerInput, TriggerResult } from "../pipeline/jobs.types.ts";

/** Routes reach the per-course Durable Objects only through this service. */
export interface Coordinators {
  trigger(coordinatorKey: string, input: TriggerInput): Promise<TriggerResult>;
  getJob(jobId: string): Promise<JobView | null>;
  /** Starts the first hop of an intake task (ResolveIntakeTask); an instance id seen before is a duplicate. */
  resolveIntake(instanceId: string, params: ResolveIntakeParams): Promise<"accepted" | "duplicate">;
}

export function createCoordinators(env: Env): Coordinators {
  const coordinator = (key: string) => env.COURSE_COORDINATOR.get(env.COURSE_COORDINATOR.idFromName(key));
  return {
    trigger: (key, input) => coordinator(key).trigger(input, key),
    resolveIntake: (instanceId, params) => createInstanceOnce(env.RESOLVE_INTAKE_TASK, instanceId, params),
    async getJob(jobId) {
      const directory = env.JOB_DIRECTORY.get(env.JOB_DIRECTORY.idFromName(jobDirectoryShard(jobId)));
      const key = await directory.lookup(jobId);
      return key ? coordinator(key).getJob(jobId) : null;
    },
  };
}
