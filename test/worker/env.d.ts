// The test bindings: the generated Env (worker-configuration.d.ts) plus what vitest.config.ts adds.
declare global {
  namespace Cloudflare {
    interface Env {
      DATABASE_URL: string;
      CALLBACK_SINK_URL: string;
      // vars and secrets (vitest.config.ts): strings the tests read and cast
      [variable: string]: unknown;
    }
  }
}

export {};
