// The Import figures of issue 16 — the hook the CSV import (issue 13) fills in when it lands.
//
// What `measureImport` is to return (names as the issue lists them; targets in DESIGN.md):
//   import.rows                                  rows imported (a 500-row CSV on the full run)
//   import.makespan_over_ceiling                 the rate-limit ceiling's makespan ÷ measured (target ≥ 0.9)
//   import.interactive_wall_over_critical_path   a rep's course entered mid-import (target ≤ 1.5)
//   import.clickup_429s                          target 0
//   import.max_in_flight                         runs in flight at once (≤ the admission limit)
// The ceiling is `idealMakespan` of ./burst.ts over the import's runs. run.ts calls it on the
// parallel Worker after the burst, with the world and that Worker; until the import exists it
// answers null with the reason, and the results carry `import: null` and `not_measured.import`.

import type { BenchWorker, BenchWorld } from "./app.ts";

export interface ImportFigures {
  rows: number;
  makespan_over_ceiling: number | null;
  interactive_wall_over_critical_path: number | null;
  clickup_429s: number;
  max_in_flight: number;
}

export const IMPORT_NOT_MEASURED = "the CSV import (issue 13) has not landed";

export async function measureImport(_world: BenchWorld, _worker: BenchWorker, _opts: { rows: number; timeScale: number }): Promise<{ figures: ImportFigures | null; reason?: string }> {
  return { figures: null, reason: IMPORT_NOT_MEASURED };
}
