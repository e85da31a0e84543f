// What a bench run measures: the options the command line (tools/bench.ts) gives the run (run.ts),
// and the fixed counts of runs that the method (report.ts) names.

export const FLOORS = ["typed", "plain", "typed-batched", "plain-batched"] as const;
export type Floor = (typeof FLOORS)[number];

export interface BenchOptions {
    readonly sizes: readonly number[];
    readonly floors: readonly Floor[];
    readonly addCheck: boolean;
    readonly out: string;
    readonly check: boolean;
}

/** loadSites is timed over this many files, this many times in a row. */
export const LOADER_FILES = 1000;
export const LOADER_RUNS = 5;
/** Runs of the empty program (and floors), each in a fresh process, whose median every per-site figure subtracts. */
export const BASELINE_RUNS = 3;
