export * from "./server.ts";
export * from "./recorder.ts";
export * from "./faults.ts";
export * from "./latency.ts";
