import type { WorkerBindings } from "../../src/env.ts";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerBindings {
      DATABASE_URL: string;
      CALLBACK_SINK_URL: string;
    }
    interface GlobalProps {
      mainModule: typeof import("../../src/worker.ts");
      durableNamespaces: "CourseCoordinator" | "JobDirectory" | "ClickUpRateGate" | "OutreachMailbox";
    }
  }
}
