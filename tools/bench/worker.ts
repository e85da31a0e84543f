// One measurement of `npm run bench` (tools/bench.ts), in a fresh Node process of its own, so its
// peak RSS is its own and the Pulumi runtime state (which is global to a process) is clean:
//
//   program   the whole program (tools/offline.ts, stg config, tools/mocks.ts) over a folder of sites;
//             with `added`, a second run over that folder (one site more) and the diff of the two
//   floor     a trivial program that registers `count` resources (typed or plain), run by the same
//             runner (tools/offline.ts) under the same mocks: the cost of the SDK alone
//
// Started by tools/bench/run.ts with an IPC channel: the job comes as argv[2] (JSON), the result goes
// back with process.send. Not meant to be run by hand.
import { PerformanceObserver } from "perf_hooks";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { SITE_INDEX_CONFIGMAP, SITE_INDEX_TYPE, SITE_TYPE } from "../../src/naming";
import { diffRuns } from "../diff";
import { mocks } from "../mocks";
import { type ProgramRun, configFor, runOffline } from "../offline";

export type FloorResource = "plain" | "typed";

export type WorkerJob =
    | { readonly kind: "program"; readonly sitesDir: string; readonly added?: { readonly sitesDir: string; readonly id: string } }
    | {
          readonly kind: "floor";
          readonly resource: FloorResource;
          readonly count: number;
          /** Yield to the event loop after every this many resources (a program that builds one site per turn); never when absent. */
          readonly yieldEvery?: number;
      };

/** What one run costs. Times in ms, memory in bytes. */
export interface Measure {
    readonly resources: number;
    /** process.hrtime around the run (METHOD.wall in tools/bench/report.ts says what it includes). */
    readonly wallMs: number;
    /** Sum of the GC pauses V8 reported during the run. */
    readonly gcMs: number;
    /** process.resourceUsage().maxRSS after the run: the peak of the whole process. */
    readonly peakRssBytes: number;
}

/** Adding one site: what a preview would show, against what it should. */
export interface AddCheck {
    readonly id: string;
    readonly added: number;
    readonly removed: number;
    /** Resources in both runs whose inputs differ, `replaced` among them. */
    readonly changed: number;
    /** Of those, what a preview would replace (tools/diff.ts, REPLACE_RULES): none, when adding a site. */
    readonly replaced: number;
    /** Resources of the new site (the Site component and everything under it). */
    readonly siteResources: number;
    /** Empty when the diff is exactly the new site's resources, plus objects of the site index (its ConfigMap among them) updated. */
    readonly unexpected: readonly string[];
    readonly wallMs: number;
}

export type WorkerResult = { readonly measure: Measure; readonly addCheck?: AddCheck } | { readonly error: string };

/** Sums the GC pauses from now until `stop`. */
function gcTimer(): { stop(): Promise<number> } {
    let total = 0;
    const observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) total += entry.duration;
    });
    observer.observe({ entryTypes: ["gc"] });
    return {
        async stop() {
            // Node delivers the entries from a later turn of the event loop: let the last ones arrive.
            await new Promise((resolve) => setTimeout(resolve, 100));
            for (const entry of observer.takeRecords()) total += entry.duration;
            observer.disconnect();
            return total;
        },
    };
}

function peakRssBytes(): number {
    return process.resourceUsage().maxRSS * 1024;
}

function elapsedMs(since: bigint): number {
    return Number(process.hrtime.bigint() - since) / 1e6;
}

async function runProgram(sitesDir: string): Promise<ProgramRun> {
    const { run, error } = await runOffline({ stack: "stg", config: configFor("stg", { sitesDir }), mocks });
    if (error) throw error;
    return run;
}

async function measureProgram(job: Extract<WorkerJob, { kind: "program" }>): Promise<WorkerResult> {
    const gc = gcTimer();
    const start = process.hrtime.bigint();
    const before = await runProgram(job.sitesDir);
    const wallMs = elapsedMs(start);
    const measure: Measure = { resources: before.resources.length, wallMs, gcMs: await gc.stop(), peakRssBytes: peakRssBytes() };
    if (!job.added) return { measure };

    const addStart = process.hrtime.bigint();
    const after = await runProgram(job.added.sitesDir);
    return { measure, addCheck: { ...checkAddedSite(before, after, job.added.id), wallMs: elapsedMs(addStart) } };
}

/** The diff of two runs must be the new site's resources, added, and objects of the site index (its ConfigMap at least), updated in place, none replaced. */
export function checkAddedSite(before: ProgramRun, after: ProgramRun, id: string): Omit<AddCheck, "wallMs"> {
    const diff = diffRuns(before, after);
    const site = after.resources.find((r) => r.type === SITE_TYPE && r.name === id);
    const siteResources = new Set<string>();
    if (site) {
        siteResources.add(site.urn);
        // Registrations are sorted by URN, not by parent: repeat until no new child turns up.
        for (let grew = true; grew;) {
            grew = false;
            for (const r of after.resources) {
                if (!siteResources.has(r.urn) && siteResources.has(r.parent)) {
                    siteResources.add(r.urn);
                    grew = true;
                }
            }
        }
    }
    const index = after.resources.find(
        (r) => r.type === "kubernetes:core/v1:ConfigMap" && r.inputs.metadata?.name === SITE_INDEX_CONFIGMAP,
    );
    const indexComponent = after.resources.find((r) => r.type === SITE_INDEX_TYPE);
    const indexObjects = new Set(after.resources.filter((r) => r.parent === indexComponent?.urn).map((r) => r.urn));
    const unexpected = [
        ...(site ? [] : [`no ${SITE_TYPE} named ${id} in the second run`]),
        ...diff.added.filter((urn) => !siteResources.has(urn)).map((urn) => `added, not the new site's: ${urn}`),
        ...[...siteResources].filter((urn) => !diff.added.includes(urn)).map((urn) => `the new site's, not added: ${urn}`),
        ...diff.removed.map((urn) => `removed: ${urn}`),
        // The site index and the settings Secret that takes the new site's settings, updated in place.
        ...diff.changed.filter((urn) => !indexObjects.has(urn)).map((urn) => `changed: ${urn}`),
        ...diff.replaced.map((urn) => `replaced: ${urn}`),
        ...(index && diff.changed.includes(index.urn) ? [] : [`the site index ConfigMap (${SITE_INDEX_CONFIGMAP}) did not change`]),
    ];
    return {
        id,
        added: diff.added.length,
        removed: diff.removed.length,
        changed: diff.changed.length,
        replaced: diff.replaced.length,
        siteResources: siteResources.size,
        unexpected,
    };
}

/** The least a custom resource can be: no declared outputs beyond its inputs. */
class PlainResource extends pulumi.CustomResource {
    constructor(name: string, props: pulumi.Inputs) {
        super("bench:index:Plain", name, props);
    }
}

/**
 * `count` resources with small inputs, run by the same runner as the program (tools/offline.ts:
 * same mocks, every registration recorded, same stack-trace settings).
 * plain: pulumi.CustomResource with two inputs (outputs: urn, id and those two);
 * typed: random.RandomPassword, a generated provider class like the program's (an Output per
 * declared property, fourteen of them). All constructed in one synchronous loop, like a program
 * that builds everything before it awaits anything, unless `yieldEvery` says otherwise.
 */
async function measureFloor(job: Extract<WorkerJob, { kind: "floor" }>): Promise<WorkerResult> {
    const program = async () => {
        for (let i = 0; i < job.count; i++) {
            if (job.resource === "typed") new random.RandomPassword(`r${i}`, { length: 32, special: false });
            else new PlainResource(`r${i}`, { length: 32, special: false });
            if (job.yieldEvery && (i + 1) % job.yieldEvery === 0) await new Promise((resolve) => setImmediate(resolve));
        }
        return {};
    };
    const gc = gcTimer();
    const start = process.hrtime.bigint();
    const { run, error } = await runOffline({ stack: "stg", config: {}, mocks, program });
    if (error) throw error;
    const wallMs = elapsedMs(start);
    return { measure: { resources: run.resources.length, wallMs, gcMs: await gc.stop(), peakRssBytes: peakRssBytes() } };
}

async function main(): Promise<void> {
    const job = JSON.parse(process.argv[2]) as WorkerJob;
    let result: WorkerResult;
    try {
        result = job.kind === "program" ? await measureProgram(job) : await measureFloor(job);
    } catch (e) {
        result = { error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
    }
    process.send!(result, () => process.disconnect());
}

if (require.main === module) void main();
