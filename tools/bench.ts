// How the program scales with the number of sites, offline (Pulumi mocks, no cloud, no engine).
//
//   npm run bench [-- --sizes 10,100,500,1000] [--floor typed,plain] [--no-add-check] [--out <file>]
//
// For each size N, in a fresh Node process per run (tools/bench-worker.ts):
//   - the whole program (tools/offline.ts with the stg config, sitesDir = N generated sites, tools/mocks.ts):
//     resources registered, wall time, GC pauses, peak RSS; per site = (value at N - value of an empty run) / N;
//   - the floor: a trivial program registering as many resources under the same mocks and settings,
//     per site the same way, and the program's cost per site as a multiple of the floor's;
// then, in this process, loadSites over 1,000 files (median of 5 runs); and, at N = 1000 (or the
// largest size), a second run with one site more, whose diff must be that site's resources, added,
// and the site index ConfigMap, changed. Prints the tables and the targets met or missed, and writes
// the results to out/bench/results.json (git-ignored) or --out. bench/baseline.json, the run docs/scale.md
// quotes, is written only when asked for by name: --out bench/baseline.json.
// The method, as printed and written, is in METHOD below; docs/scale.md reads the figures.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadSites } from "../src/sites";
import { commandLine, readCommandLine, UsageError } from "./cli";
import { siteFile, writeSites } from "./generated-sites";
import type { AddCheck, FloorResource, Measure, WorkerJob, WorkerResult } from "./bench-worker";
import { ROOT, configFor } from "./offline";

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

const WORKER = path.join(__dirname, "bench-worker.ts");
/** Under out/, which git ignores: a run never overwrites the committed baseline by default. */
export const DEFAULT_OUT = path.join(ROOT, "out", "bench", "results.json");
const LOADER_FILES = 1000;
const LOADER_RUNS = 5;
const BASELINE_RUNS = 3;
/** A per-site cost holds its target within this factor: of the floor's, and of its own at 100 sites (linear). */
const TARGET_FACTOR = 1.5;
const MiB = 1024 * 1024;

const FLOORS = ["typed", "plain", "typed-batched", "plain-batched"] as const;
type Floor = (typeof FLOORS)[number];

const FLOOR_LABELS: Record<Floor, string> = {
    typed: "random.RandomPassword, all built in one go",
    plain: "pulumi.CustomResource with two inputs, all built in one go",
    "typed-batched": "random.RandomPassword, one site's worth per turn of the event loop",
    "plain-batched": "pulumi.CustomResource with two inputs, one site's worth per turn of the event loop",
};

const METHOD = {
    isolation:
        "each figure comes from one run in its own fresh Node process (tools/bench-worker.ts, ts-node transpile-only); at each size " +
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
        "changed = objects of the site index alone (its ConfigMap, and the settings Secret that takes the new site)",
};

interface Options {
    readonly sizes: readonly number[];
    readonly floors: readonly Floor[];
    readonly addCheck: boolean;
    readonly out: string;
    readonly check: boolean;
}

export function parseArgs(argv: readonly string[]): Options {
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

// ---------------------------------------------------------------------------------------------
// Sites: valid on the stg stack (hostnames under its allowed domain), with some variety.

const siteId = (i: number): string => `site-${String(i).padStart(5, "0")}`;

/** Site i: one in four has a second hostname, which is its canonical one; one in ten is pinned to green. */
function siteFor(i: number, id = siteId(i)): Record<string, unknown> {
    const host = (label: string) => `${label}.cloud2-stg.example.com`;
    if (i % 4 === 1) return siteFile(id, { hostnames: [host(id), host(`www-${id}`)], canonicalHostname: host(`www-${id}`) });
    if (i % 10 === 3) return siteFile(id, { service: "green" });
    return siteFile(id);
}

function siteFiles(n: number): Record<string, Record<string, unknown>> {
    const files: Record<string, Record<string, unknown>> = {};
    for (let i = 0; i < n; i++) files[`${siteId(i)}.yaml`] = siteFor(i);
    return files;
}

// ---------------------------------------------------------------------------------------------
// Runs.

function runWorker(job: WorkerJob): Promise<{ measure: Measure; addCheck?: AddCheck }> {
    return new Promise((resolve, reject) => {
        const args = [...process.execArgv, "--require", require.resolve("ts-node/register/transpile-only"), WORKER, JSON.stringify(job)];
        const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "inherit", "inherit", "ipc"] });
        let result: WorkerResult | undefined;
        child.on("message", (message) => (result = message as WorkerResult));
        child.on("error", reject);
        child.on("exit", (code, signal) => {
            const what = `bench worker ${JSON.stringify(job)}`;
            if (result === undefined) reject(new Error(`${what} exited (${signal ?? code}) without a result`));
            else if ("error" in result) reject(new Error(`${what} failed:\n${result.error}`));
            else resolve(result);
        });
    });
}

function progress(text: string): void {
    process.stderr.write(`bench: ${text}\n`);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * The empty run, which every per-site figure subtracts: cheap, and at small sizes its noise would
 * be the figure, so it runs BASELINE_RUNS times (each in a fresh process) and counts the median.
 */
async function baseline(job: WorkerJob): Promise<Measure> {
    const runs: Measure[] = [];
    for (let i = 0; i < BASELINE_RUNS; i++) runs.push((await runWorker(job)).measure);
    return {
        resources: runs[0].resources,
        wallMs: median(runs.map((r) => r.wallMs)),
        gcMs: median(runs.map((r) => r.gcMs)),
        peakRssBytes: median(runs.map((r) => r.peakRssBytes)),
    };
}

interface Row {
    readonly sites: number;
    readonly measure: Measure;
}

/**
 * At 0 sites and at each size: the program, then each floor at as many resources, one after the
 * other, so that a ratio compares runs made under the same load of the machine. At `addCheckAt`,
 * the program's worker also makes the second run, with one site more.
 */
async function measure(options: Options, addCheckAt: number | undefined, tempDirs: string[]) {
    const program: Row[] = [];
    const floors = new Map<Floor, Row[]>(options.floors.map((floor) => [floor, []]));
    let addCheck: (AddCheck & { sites: number }) | undefined;
    for (const sites of [0, ...options.sizes]) {
        const files = siteFiles(sites);
        const sitesDir = writeSites(files);
        tempDirs.push(sitesDir);
        let added: { sitesDir: string; id: string } | undefined;
        if (sites === addCheckAt) {
            const middle = Math.floor(sites / 2);
            const id = `${siteId(middle)}-new`;
            added = { sitesDir: writeSites({ ...files, [`${id}.yaml`]: siteFor(middle, id) }), id };
            tempDirs.push(added.sitesDir);
        }
        const result =
            sites === 0
                ? { measure: await baseline({ kind: "program", sitesDir }) }
                : await runWorker({ kind: "program", sitesDir, added });
        const resources = result.measure.resources;
        program.push({ sites, measure: result.measure });
        progress(`program, ${sites} sites: ${resources} resources, ${seconds(result.measure.wallMs)}`);
        if (result.addCheck) {
            addCheck = { ...result.addCheck, sites };
            progress(`program, ${sites} + 1 sites: ${addCheck.unexpected.length === 0 ? "ok" : "UNEXPECTED"}, ${seconds(addCheck.wallMs)}`);
        }

        // A batched floor builds one site's worth of resources per turn of the event loop.
        const perSite = sites === 0 ? undefined : Math.max(1, Math.round((resources - program[0].measure.resources) / sites));
        for (const floor of options.floors) {
            const [resource, batched] = floor.split("-") as [FloorResource, string | undefined];
            const job: WorkerJob = { kind: "floor", resource, count: resources, yieldEvery: batched ? perSite : undefined };
            const measure = sites === 0 ? await baseline(job) : (await runWorker(job)).measure;
            floors.get(floor)!.push({ sites, measure });
            progress(`floor ${floor}, ${resources} resources: ${seconds(measure.wallMs)}`);
        }
    }
    return { program, floors, addCheck };
}

function median(xs: readonly number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function measureLoader(tempDirs: string[]) {
    const dir = writeSites(siteFiles(LOADER_FILES));
    tempDirs.push(dir);
    const allowedDomains = JSON.parse(configFor("stg")["wp-platform:allowedDomains"] ?? "[]") as string[];
    const runs: number[] = [];
    for (let i = 0; i < LOADER_RUNS; i++) {
        const start = process.hrtime.bigint();
        const specs = loadSites(dir, { allowedDomains });
        runs.push(Number(process.hrtime.bigint() - start) / 1e6);
        if (specs.length !== LOADER_FILES) throw new Error(`loadSites returned ${specs.length} sites of ${LOADER_FILES}`);
    }
    progress(`loadSites, ${LOADER_FILES} files: median ${median(runs).toFixed(0)} ms`);
    return {
        files: LOADER_FILES,
        runs: LOADER_RUNS,
        firstMs: round(runs[0], 1),
        medianMs: round(median(runs), 1),
        allMs: runs.map((r) => round(r, 1)),
    };
}

// ---------------------------------------------------------------------------------------------
// Figures.

function round(x: number, digits: number): number {
    const f = 10 ** digits;
    return Math.round(x * f) / f;
}

const ratio = (a: number, b: number): number | null => (b > 0 ? round(a / b, 2) : null);

/** Per size: the totals, and per site the difference to the empty run divided by the number of sites. */
function perSite(rows: readonly Row[]) {
    const [base, ...sized] = rows;
    return sized.map(({ sites, measure }, i) => {
        const prev = i === 0 ? base : sized[i - 1];
        return {
            sites,
            resources: measure.resources,
            resourcesPerSite: round((measure.resources - base.measure.resources) / sites, 2),
            wallMs: round(measure.wallMs, 0),
            msPerSite: round((measure.wallMs - base.measure.wallMs) / sites, 2),
            marginalMsPerSite: round((measure.wallMs - prev.measure.wallMs) / (sites - prev.sites), 2),
            gcPercent: round((100 * measure.gcMs) / measure.wallMs, 1),
            peakRssMiB: round(measure.peakRssBytes / MiB, 1),
            mibPerSite: round((measure.peakRssBytes - base.measure.peakRssBytes) / MiB / sites, 3),
        };
    });
}

type PerSite = ReturnType<typeof perSite>[number];

export interface Growth {
    readonly from: number;
    readonly to: number;
    readonly factor: number | null;
}

/** The per-site cost at the largest size over that at the smallest size of at least 100 sites. */
function growth(rows: readonly PerSite[], key: "msPerSite" | "mibPerSite"): Growth {
    const ref = rows.find((r) => r.sites >= 100) ?? rows[0];
    const last = rows[rows.length - 1];
    return { from: ref.sites, to: last.sites, factor: ref === last ? null : ratio(last[key], ref[key]) };
}

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

function floorGrowth(floors: Map<Floor, PerSite[]>, key: "msPerSite" | "mibPerSite"): Record<string, Growth> {
    return Object.fromEntries([...floors].map(([floor, rows]) => [floor, growth(rows, key)]));
}

/** The issue's targets, against what was measured. A factor within TARGET_FACTOR holds. */
function targets(programRows: readonly PerSite[], floorRows: Map<Floor, PerSite[]>, loader: Loader, add: AddCheck | undefined) {
    const last = programRows[programRows.length - 1];
    const within = (x: number | null) => (x === null ? null : x <= TARGET_FACTOR);
    const time = growth(programRows, "msPerSite");
    const memory = growth(programRows, "mibPerSite");
    return {
        resourcesPerSite: last.resourcesPerSite,
        linear: {
            time: time.factor,
            memory: memory.factor,
            holds: time.factor === null ? null : within(time.factor) && within(memory.factor),
        },
        floor: Object.fromEntries(
            [...floorRows].map(([floor, rows]) => {
                const f = rows[rows.length - 1];
                const [t, m] = [ratio(last.msPerSite, f.msPerSite), ratio(last.mibPerSite, f.mibPerSite)];
                return [floor, { sites: f.sites, time: t, memory: m, holds: within(t) === true && within(m) === true }];
            }),
        ),
        loaderUnderOneSecond: loader.medianMs < 1000,
        addOneSiteDiffsThatSiteOnly: add ? add.unexpected.length === 0 : null,
    };
}

function summarize(options: Options, measured: Awaited<ReturnType<typeof measure>>, loader: Loader) {
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

/** The targets not met, by name; a target that could not be measured (n/a) is not counted. */
export function missedTargets(t: Results["targets"]): string[] {
    const missed: string[] = [];
    if (t.linear.holds === false) missed.push(`linear in N (time x${t.linear.time}, memory x${t.linear.memory})`);
    for (const [floor, f] of Object.entries(t.floor)) {
        if (!f.holds) missed.push(`per site within ${TARGET_FACTOR}x of floor ${floor} (time x${f.time}, memory x${f.memory})`);
    }
    if (!t.loaderUnderOneSecond) missed.push("loadSites of 1,000 files under one second");
    if (t.addOneSiteDiffsThatSiteOnly === false) missed.push("adding one site diffs that site and the site index only");
    return missed;
}

type Loader = ReturnType<typeof measureLoader>;
type Results = ReturnType<typeof summarize>;

function table(header: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
    const cells = [header, ...rows.map((r) => r.map(String))];
    const widths = header.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
    const line = (r: readonly string[]) =>
        `| ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(" | ")} |`;
    const rule = `|${widths.map((w, c) => (c === 0 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`;
    return [line(cells[0]), rule, ...cells.slice(1).map(line)].join("\n");
}

function print(results: Results): void {
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
            `adding one site to ${a.sites} (${a.id}): added ${a.added}, removed ${a.removed}, changed ${a.changed} (objects of the site index); ` +
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
async function asCommitted(file: string, json: string): Promise<string> {
    const prettier = await import("prettier");
    return prettier.format(json, { ...(await prettier.resolveConfig(file)), filepath: file });
}

async function main(argv: readonly string[]): Promise<number> {
    const line = commandLine({ tool: "bench", usage: USAGE }, argv, parseArgs);
    if ("exitCode" in line) return line.exitCode;
    const options = line.args;
    const started = Date.now();
    const tempDirs: string[] = [];
    try {
        const loader = measureLoader(tempDirs);
        const addCheckAt = options.addCheck ? (options.sizes.includes(1000) ? 1000 : options.sizes[options.sizes.length - 1]) : undefined;
        const measured = await measure(options, addCheckAt, tempDirs);
        const results = summarize(options, measured, loader);
        print(results);
        const missed = missedTargets(results.targets);
        fs.mkdirSync(path.dirname(options.out), { recursive: true });
        fs.writeFileSync(options.out, await asCommitted(options.out, `${JSON.stringify({ ...results, missed }, null, 2)}\n`));
        const took = Math.round((Date.now() - started) / 1000);
        console.log(`\nwritten: ${path.relative(process.cwd(), options.out) || options.out} (the bench took ${took} s)`);
        if (missed.length === 0) {
            console.log("every target met");
            return 0;
        }
        console.log(`${missed.length} target${missed.length === 1 ? "" : "s"} MISSED:\n  ${missed.join("\n  ")}`);
        return options.check ? 1 : 0;
    } finally {
        for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
    }
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
