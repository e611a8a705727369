import type { AppConfig, WorkerBindings } from "./env.ts";
import type { Logger } from "./lib/log.ts";
import type { Coordinators } from "./services/coordinators.ts";

/** Hono generics shared by every sub-app: bindings plus the services injected by middleware. */
export interface AppEnvironment {
  Bindings: WorkerBindings;
  Variables: {
    config: AppConfig;
    log: Logger;
    requestId: string;
    coordinators: Coordinators;
    /** The exact request bytes, kept by middleware that must verify a signature over them. */
    rawBody: Uint8Array;
  };
}
