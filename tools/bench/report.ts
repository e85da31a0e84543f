// The report of a bench run (tools/bench.ts): the results document, as printed and as written to
// its JSON file, with the method each figure comes from.
import * as fs from "fs";
import * as os from "os";
import { BASELINE_RUNS, type BenchOptions, type Floor, LOADER_FILES, LOADER_RUNS } from "./options";
import { type Growth, type LoaderResult, type Row, MiB, TARGET_FACTOR, floorGrowth, growth, perSite, ratio, round, targets } from "./stats";
import type { AddCheck } from "./worker";

const FLOOR_LABELS: Record<Floor, string> = {
    typed: "random.RandomPassword, all built in one go",
    plain: "pulumi.CustomResource with two inputs, all built in one go",
    "typed-batched": "random.RandomPassword, one site's worth per turn of the event loop",
    "plain-batched": "pulumi.CustomResource with two inputs, one site's worth per turn of the event loop",
};

const METHOD = {
    isolation:
        "each figure comes from one run in its own fresh Node process (tools/bench/worker.ts, ts-node transpile-only); at each size " +
        "the program runs first, then each floor, so that a ratio compares runs made under the same load of the machine",
    wall:
        "process.hrtime.bigint() around one runOffline call (tools/offline.ts): mocks and config set, index.ts loaded and run " +
        "(in a fresh process this also loads and compiles the components and loads the provider SDKs), config parsed, " +
        "N site files read and validated, every resource constructed, every registration answered by the mocks and recorded, " +
        "outputs resolved. Not included: Node and ts-node start-up, writing the site files. The floor: the loop that constructs " +
        "the resources and the wait for every registration (its modules are loaded before)",
    perSite:
        "per site = (value at N - value of the empty run, 0 sites) / N, so the fixed costs (module loading, platform, release) cancel; " +
        `the empty run is the median of ${BASELINE_RUNS} runs, each in a fresh process; ` +
        "the floor's per site likewise = (floor at R(N) resources - floor at R(0)) / N, R(N) = the program's resources at N",
    marginal: "marginal ms/site = (wall at N - wall at the previous size) / (N - previous N): constant when time is linear in N",
    memory:
        "peak RSS = process.resourceUsage().maxRSS of the worker after the run: Node, ts-node, the SDKs, the live objects " +
        "and the garbage V8 had not collected yet",
    gc: "sum of the GC pauses reported to a PerformanceObserver during the run, as a share of the wall time",
    floor:
        "a trivial program registering R(N) resources, run by the same runner as the program (tools/offline.ts: setMocks, " +
        "no stack traces, every registration deserialized and recorded): typed = random.RandomPassword (a generated provider " +
        "class, an Output per declared property, like the program's resources); plain = a bare pulumi.CustomResource with two inputs",
    loader: `loadSites over ${LOADER_FILES} generated files in the bench process, ${LOADER_RUNS} runs in a row: first and median`,
    addOneSite:
        "at N = 1000 (or the largest size), a second run in the same worker with one site more, whose id sorts in the middle; " +
        "diffRuns (tools/diff.ts) of the two runs must be: added = the new Site and its children, removed = none, " +
        "changed = objects of the site index alone (its ConfigMap, and the settings Secret that takes the new site), updated in place, none replaced",
};

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** What the run measured, as the report takes it. */
export interface Measured {
    readonly program: readonly Row[];
    readonly floors: ReadonlyMap<Floor, readonly Row[]>;
    readonly addCheck?: AddCheck & { readonly sites: number };
}

export function summarize(options: BenchOptions, measured: Measured, loader: LoaderResult) {
    const programRows = perSite(measured.program);
    const floorRows = new Map([...measured.floors].map(([floor, rows]) => [floor, perSite(rows)]));
    const empty = measured.program[0].measure;
    const add = measured.addCheck;
    const cpus = os.cpus();
    return {
        machine: {
            node: process.version,
            platform: `${os.platform()} ${os.release()}`,
            arch: os.arch(),
            cpus: cpus.length,
            cpuModel: cpus[0]?.model ?? "unknown",
            memoryGiB: round(os.totalmem() / 1024 ** 3, 1),
            // Other work on the machine skews the figures: the 1-minute load average when the bench ended.
            loadAverage: round(os.loadavg()[0], 2),
            pulumiSdk: (JSON.parse(fs.readFileSync(require.resolve("@pulumi/pulumi/package.json"), "utf8")) as { version: string }).version,
            date: new Date().toISOString(),
        },
        method: METHOD,
        empty: { resources: empty.resources, wallMs: round(empty.wallMs, 0), peakRssMiB: round(empty.peakRssBytes / MiB, 1) },
        program: programRows,
        floor: Object.fromEntries(
            [...floorRows].map(([floor, rows]) => [
                floor,
                rows.map((f, i) => ({
                    ...f,
                    timeRatio: ratio(programRows[i].msPerSite, f.msPerSite),
                    memoryRatio: ratio(programRows[i].mibPerSite, f.mibPerSite),
                })),
            ]),
        ),
        loader,
        addOneSite: add
            ? {
                  sites: add.sites,
                  id: add.id,
                  added: add.added,
                  removed: add.removed,
                  changed: add.changed,
                  replaced: add.replaced,
                  siteResources: add.siteResources,
                  result: add.unexpected.length === 0 ? ("ok" as const) : add.unexpected,
              }
            : null,
        growth: {
            time: { program: growth(programRows, "msPerSite"), floors: floorGrowth(floorRows, "msPerSite") },
            memory: { program: growth(programRows, "mibPerSite"), floors: floorGrowth(floorRows, "mibPerSite") },
        },
        targets: targets(programRows, floorRows, loader, add),
        options: { sizes: options.sizes, floors: options.floors, addCheck: options.addCheck },
    };
}

export type Results = ReturnType<typeof summarize>;

/** One line of the targets: how the per-site cost grew, for the program and each floor. */
export function growthLine(key: "time" | "memory", program: Growth, floors: Record<string, Growth>): string {
    if (program.from === program.to) {
        return (
            `${key} per site: no growth factor, since ${program.to} sites is both the largest size and the smallest of 100 or more ` +
            "(give two such sizes, e.g. --sizes 100,1000)"
        );
    }
    const times = (x: number | null) => (x === null ? "n/a" : `${x}x`);
    const others = Object.entries(floors).map(([k, v]) => `, floor ${k} ${times(v.factor)}`);
    // ratio() has no value when the per-site figure at the smaller size is zero or less (noise on a small run).
    const undefinedRatio = [program, ...Object.values(floors)].some((g) => g.factor === null);
    const why = undefinedRatio ? ` (n/a: the per-site figure at ${program.from} sites is not above zero)` : "";
    return `${key} per site at ${program.to} sites / at ${program.from}: program ${times(program.factor)}${others.join("")}${why}`;
}

function table(header: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
    const cells = [header, ...rows.map((r) => r.map(String))];
    const widths = header.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
    const line = (r: readonly string[]) =>
        `| ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(" | ")} |`;
    const rule = `|${widths.map((w, c) => (c === 0 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`;
    return [line(cells[0]), rule, ...cells.slice(1).map(line)].join("\n");
}

export function print(results: Results): void {
    const m = results.machine;
    console.log(
        `\nwp-platform bench: Node ${m.node}, ${m.cpus} x ${m.cpuModel}, ${m.memoryGiB} GiB, load ${m.loadAverage}, @pulumi/pulumi ${m.pulumiSdk}, ${m.date}`,
    );
    const e = results.empty;
    console.log(
        `\nThe program, stg config, under Pulumi mocks. Empty run (0 sites): ${e.resources} resources, ${e.wallMs} ms, ${e.peakRssMiB} MiB.\n`,
    );
    console.log(
        table(
            ["sites", "resources", "per site", "wall", "ms/site", "marginal ms/site", "GC", "peak RSS MiB", "MiB/site"],
            results.program.map((r) => [
                r.sites,
                r.resources,
                r.resourcesPerSite,
                seconds(r.wallMs),
                r.msPerSite,
                r.marginalMsPerSite,
                `${r.gcPercent}%`,
                r.peakRssMiB,
                r.mibPerSite,
            ]),
        ),
    );
    for (const [floor, rows] of Object.entries(results.floor)) {
        console.log(`\nFloor ${floor} (${FLOOR_LABELS[floor as Floor]}), as many resources; the program per site as a multiple of it.\n`);
        console.log(
            table(
                [
                    "sites",
                    "resources",
                    "wall",
                    "ms/site",
                    "marginal ms/site",
                    "GC",
                    "peak RSS MiB",
                    "MiB/site",
                    "time x floor",
                    "memory x floor",
                ],
                rows.map((f) => [
                    f.sites,
                    f.resources,
                    seconds(f.wallMs),
                    f.msPerSite,
                    f.marginalMsPerSite,
                    `${f.gcPercent}%`,
                    f.peakRssMiB,
                    f.mibPerSite,
                    `${f.timeRatio}x`,
                    `${f.memoryRatio}x`,
                ]),
            ),
        );
    }
    const l = results.loader;
    console.log(`\nloadSites, ${l.files} files: median ${l.medianMs} ms of ${l.runs} runs (first ${l.firstMs} ms)`);
    const a = results.addOneSite;
    if (a === null) console.log("adding one site: not checked (--no-add-check)");
    else {
        const verdict = a.result === "ok" ? "ok" : `UNEXPECTED\n  ${a.result.join("\n  ")}`;
        console.log(
            `adding one site to ${a.sites} (${a.id}): added ${a.added}, removed ${a.removed}, ` +
                `updated in place ${a.changed - (a.replaced ?? 0)} (objects of the site index), replaced ${a.replaced ?? 0}; ` +
                `the new site has ${a.siteResources} resources: ${verdict}`,
        );
    }
    const times = (x: number | null) => (x === null ? "n/a" : `${x}x`);
    const verdict = (holds: boolean | null) => (holds === null ? "n/a" : holds ? "met" : "MISSED");
    const t = results.targets;
    console.log(`\nTargets (a factor holds within ${TARGET_FACTOR}x):`);
    console.log(`  resources per site: ${t.resourcesPerSite}`);
    for (const key of ["time", "memory"] as const) {
        const { program, floors } = results.growth[key];
        console.log(`  ${growthLine(key, program, floors)}`);
    }
    console.log(`  linear in N (the program's two factors above): ${verdict(t.linear.holds)}`);
    for (const [floor, f] of Object.entries(t.floor)) {
        console.log(
            `  per site vs floor ${floor} at ${f.sites} sites: time ${times(f.time)}, memory ${times(f.memory)}: ${verdict(f.holds)}`,
        );
    }
    console.log(
        `  loadSites, ${results.loader.files} files, under one second: ${verdict(t.loaderUnderOneSecond)} (${results.loader.medianMs} ms)`,
    );
    console.log(`  adding one site diffs that site (and the site index) only: ${verdict(t.addOneSiteDiffsThatSiteOnly)}`);
    console.log("\nMethod:");
    for (const [key, text] of Object.entries(results.method)) console.log(`  ${key}: ${text}`);
}

/** The JSON as Prettier writes it with the project's settings, so the committed file passes `npm run lint`. */
export async function asCommitted(file: string, json: string): Promise<string> {
    const prettier = await import("prettier");
    return prettier.format(json, { ...(await prettier.resolveConfig(file)), filepath: file });
}
