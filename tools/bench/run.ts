// A bench run (tools/bench.ts): the generated sites, the workers (worker.ts, a fresh Node process
// per measurement) in the order that keeps ratios fair, loadSites in this process, then the report
// (report.ts) printed and written.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { loadSites } from "../../src/sites";
import { siteFile, writeSites } from "../generated-sites";
import { ROOT, configFor } from "../offline";
import { BASELINE_RUNS, type BenchOptions, type Floor, LOADER_FILES, LOADER_RUNS } from "./options";
import { asCommitted, type Measured, print, seconds, summarize } from "./report";
import { type LoaderResult, type Row, median, missedTargets, round } from "./stats";
import type { AddCheck, FloorResource, Measure, WorkerJob, WorkerResult } from "./worker";

const WORKER = path.join(__dirname, "worker.ts");

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

/**
 * At 0 sites and at each size: the program, then each floor at as many resources, one after the
 * other, so that a ratio compares runs made under the same load of the machine. At `addCheckAt`,
 * the program's worker also makes the second run, with one site more.
 */
async function measure(options: BenchOptions, addCheckAt: number | undefined, tempDirs: string[]): Promise<Measured> {
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

function measureLoader(tempDirs: string[]): LoaderResult {
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

/** Runs the bench, prints and writes its results; the exit code: 1 only for a missed target with --check. */
export async function runBench(options: BenchOptions): Promise<number> {
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
