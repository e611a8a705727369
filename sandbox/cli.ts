// Starts every provider emulator and prints one JSON line with the environment for the app:
//   npx node sandbox/cli.ts [--time-scale 0.05] [--latency realistic|none] [--strict-keys]
// Stops on SIGINT/SIGTERM.

import { parseArgs } from "node:util";
import { startSandbox } from "./index.ts";

const { values } = parseArgs({
  options: {
    "time-scale": { type: "string" },
    latency: { type: "string" },
    "strict-keys": { type: "boolean", default: false },
    host: { type: "string" },
  },
});

const latency = values.latency;
if (latency !== undefined && latency !== "none" && latency !== "realistic") {
  console.error(`--latency must be "none" or "realistic", got "${latency}"`);
  process.exit(2);
}
const timeScale = values["time-scale"] !== undefined ? Number(values["time-scale"]) : undefined;
if (timeScale !== undefined && (!Number.isFinite(timeScale) || timeScale < 0)) {
  console.error(`--time-scale must be a non-negative number, got "${values["time-scale"]}"`);
  process.exit(2);
}

const sandbox = await startSandbox({
  ...(latency ? { latency } : {}),
  ...(timeScale !== undefined ? { timeScale } : {}),
  strictKeys: values["strict-keys"],
  ...(values.host ? { host: values.host } : {}),
});
const effective = latency ?? (timeScale !== undefined ? "realistic" : "none");
console.log(JSON.stringify({ event: "sandbox_started", latency: effective, time_scale: timeScale ?? 1, env: sandbox.env }));

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  void sandbox.close().then(() => {
    console.error(JSON.stringify({ event: "sandbox_stopped", signal }));
    process.exit(0);
  });
};
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
