export { NO_PROVIDERS, type RunningWorker, startWorker } from "../../scripts/local-worker.ts";
