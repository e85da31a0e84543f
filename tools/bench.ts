// How the program scales with the number of sites, offline (Pulumi mocks, no cloud, no engine).
//
//   npm run bench [-- --sizes 10,100,500,1000] [--floor typed,plain] [--no-add-check] [--out <file>] [--check]
//
// For each size N, in a fresh Node process per run (tools/bench/worker.ts):
//   - the whole program (tools/offline.ts with the stg config, sitesDir = N generated sites, tools/mocks.ts):
//     resources registered, wall time, GC pauses, peak RSS; per site = (value at N - value of an empty run) / N;
//   - the floor: a trivial program registering as many resources under the same mocks and settings,
//     per site the same way, and the program's cost per site as a multiple of the floor's;
// then, in this process, loadSites over 1,000 files (median of 5 runs); and, at N = 1000 (or the
// largest size), a second run with one site more, whose diff must be that site's resources, added,
// and the site index ConfigMap, changed. Prints the tables and the targets met or missed, and writes
// the results to out/bench/results.json (git-ignored) or --out. bench/baseline.json, the run docs/scale.md
// quotes, is written only when asked for by name: --out bench/baseline.json.
// This file is the command line; tools/bench/ the rest: run.ts the orchestration, worker.ts one
// measurement, stats.ts the figures, report.ts the tables and the results file, with the method as
// printed and written (METHOD); docs/scale.md reads the figures.
import * as path from "path";
import { commandLine, readCommandLine, UsageError } from "./cli";
import { ROOT } from "./offline";
import { type BenchOptions, type Floor, FLOORS } from "./bench/options";
import { runBench } from "./bench/run";

const USAGE = `usage: npm run bench [-- --sizes 10,100,500,1000] [--floor typed,plain] [--no-add-check] [--out <file>] [--check]

  --sizes         numbers of sites to run the program with (default 10,100,500,1000)
  --floor         the trivial programs to compare with, any of typed, plain, typed-batched,
                  plain-batched (default typed,plain): typed registers random.RandomPassword,
                  plain a bare pulumi.CustomResource; -batched yields to the event loop after
                  each site's worth of resources instead of building them all in one go
  --no-add-check  skip the second run at the largest size (adding one site: what changes)
  --out           where to write the results (default out/bench/results.json, git-ignored;
                  bench/baseline.json, which docs/scale.md quotes, only when named here)
  --check         exit 1 when a target is missed (without it, a missed target is reported
                  and the exit code is 0)`;

/** Under out/, which git ignores: a run never overwrites the committed baseline by default. */
export const DEFAULT_OUT = path.join(ROOT, "out", "bench", "results.json");

export function parseArgs(argv: readonly string[]): BenchOptions {
    const { values } = readCommandLine(argv, {
        sizes: { type: "string" },
        floor: { type: "string" },
        "no-add-check": { type: "boolean" },
        out: { type: "string" },
        check: { type: "boolean" },
    });
    const sizes = (values.sizes ?? "10,100,500,1000").split(",").map((s) => Number(s.trim()));
    if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 100000)) {
        throw new UsageError("--sizes takes numbers of sites from 1 to 100000, e.g. --sizes 10,100");
    }
    const floors = (values.floor ?? "typed,plain").split(",").map((s) => s.trim());
    const unknown = floors.filter((f) => !(FLOORS as readonly string[]).includes(f));
    if (unknown.length > 0) throw new UsageError(`--floor takes any of ${FLOORS.join(", ")} (not ${unknown.join(", ")})`);
    return {
        sizes: [...new Set(sizes)].sort((a, b) => a - b),
        floors: [...new Set(floors as Floor[])],
        addCheck: values["no-add-check"] !== true,
        out: values.out === undefined ? DEFAULT_OUT : path.resolve(values.out),
        check: values.check === true,
    };
}

async function main(argv: readonly string[]): Promise<number> {
    const line = commandLine({ tool: "bench", usage: USAGE }, argv, parseArgs);
    if ("exitCode" in line) return line.exitCode;
    return runBench(line.args);
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e: unknown) => {
            console.error(e instanceof Error ? e.message : e);
            process.exit(1);
        },
    );
}
