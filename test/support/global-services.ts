import "./worker-test-env.ts";

/** globalSetup of the workerd project: stops the services vitest.config.ts started. */
export default function setup(): () => Promise<void> {
  return async () => {
    await globalThis.__golfWorkerTestServices?.stop();
  };
}
