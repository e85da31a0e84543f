// Runs a Pulumi program (by default the whole program, index.ts) in this process under the Pulumi
// mock runtime, with a stack's config, and records every resource it registers with its inputs and
// options: what the tests, the offline render and the benchmark see of the program. No cloud, no
// cluster, no Pulumi CLI. The SDK internals this needs are in tools/sdk-internals.ts alone.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { readStackConfig } from "../src/stack-file";
import { compareText } from "../src/text";
import { type Registration, watchRegistrations } from "./sdk-internals";
import { ROOT } from "./stacks";

export { ROOT };
const PROJECT = "wp-platform";

export interface Registered extends Omit<Registration, "inputs"> {
    /** Inputs with secrets unwrapped. */
    readonly inputs: Record<string, any>;
    /** Inputs as serialized, secrets still wrapped: see `isSecret`. */
    readonly raw: Record<string, unknown>;
}

export interface ProgramRun {
    /** Every registered resource, sorted by URN. */
    readonly resources: readonly Registered[];
    /** The stack outputs (what the program returns), secrets unwrapped; in a preview, `pulumi.unknown` where not known yet. */
    readonly outputs: Record<string, any>;
    /** The stack outputs as the engine receives them: secrets still wrapped. */
    readonly rawOutputs: Record<string, unknown>;
    /** Names of the resource hooks the program registered. */
    readonly hooks: readonly string[];
    /** The one resource of this type and name; throws when there is none or several. */
    get(type: string, name: string): Registered;
    /** Resources of a type. */
    ofType(type: string): Registered[];
}

/** The config the Pulumi CLI would pass for `stack`, from Pulumi.<stack>.yaml, with overrides. */
export function configFor(stack: string, overrides: Record<string, unknown> = {}, root: string = ROOT): Record<string, string> {
    const config = readStackConfig(path.join(root, `Pulumi.${stack}.yaml`));
    for (const [key, value] of Object.entries(overrides)) {
        const full = `${PROJECT}:${key}`;
        if (value === undefined) delete config[full];
        else config[full] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return config;
}

export interface OfflineRunOptions {
    readonly stack: string;
    /** The config as the CLI passes it: "wp-platform:key" -> string. */
    readonly config: Record<string, string>;
    readonly mocks: pulumi.runtime.Mocks;
    readonly preview?: boolean;
    /**
     * The program: what it returns are the stack outputs. Default: index.ts, loaded anew, which
     * exports an async function that Pulumi calls for the outputs.
     */
    readonly program?: () => unknown;
}

/** Runs the program once; never throws: the program's error, if any, comes back beside what it registered. */
export async function runOffline(options: OfflineRunOptions): Promise<{ run: ProgramRun; error?: Error }> {
    const recorded: Registered[] = [];
    const hooks: string[] = [];
    await pulumi.runtime.setMocks(options.mocks, PROJECT, options.stack, options.preview ?? false);
    watchRegistrations(
        (r) => recorded.push({ ...r, inputs: reveal(r.inputs) as Record<string, any>, raw: r.inputs }),
        (name) => hooks.push(name),
    );
    pulumi.runtime.setAllConfig(options.config, []);

    let rawOutputs: Record<string, unknown> = {};
    let error: Error | undefined;
    // The SDK records a stack trace for every promise it makes (a debugging aid for leaked promises),
    // and ts-node's source-map support makes each one a source-map lookup: two thirds of a run went
    // there. During the run, no traces for promises and no mapping; the error messages stay whole.
    const traces = Error as { prepareStackTrace?: unknown; stackTraceLimit: number };
    const { prepareStackTrace, stackTraceLimit } = traces;
    traces.prepareStackTrace = undefined;
    traces.stackTraceLimit = 0;
    try {
        const result = await (options.program ?? loadIndex)();
        rawOutputs = await stackOutputs(result);
    } catch (e) {
        error = e as Error;
    } finally {
        traces.prepareStackTrace = prepareStackTrace;
        traces.stackTraceLimit = stackTraceLimit;
        // Waits until every registration has been answered, then closes the runtime's connections
        // (the callback server that a program with resource hooks starts included); the next run's
        // setMocks opens new ones.
        await pulumi.runtime.disconnect().catch((e: unknown) => (error ??= e as Error));
    }
    return { run: makeRun(recorded, hooks, rawOutputs), error };
}

/**
 * index.ts is the program: loading it anew runs it anew. The other project modules define classes
 * and functions and hold no state, so they stay loaded (and compiled) between runs. Loading it runs
 * the stack-level part; it exports an async function that builds the sites, which Pulumi calls and
 * takes what it returns as the stack outputs.
 */
async function loadIndex(): Promise<unknown> {
    const index = path.join(ROOT, "index.ts");
    delete require.cache[require.resolve(index)];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const main = require(index) as () => Promise<unknown>;
    return main();
}

/**
 * The stack outputs as the engine would receive them: serialized by the SDK, then read back. In a
 * preview, a value only known after deployment (a generated bucket name) is `pulumi.unknown`;
 * secrets stay wrapped.
 */
async function stackOutputs(result: unknown): Promise<Record<string, unknown>> {
    if (typeof result !== "object" || result === null) return {};
    const serialized = await pulumi.runtime.serializeProperties("outputs", result as pulumi.Inputs);
    return Object.fromEntries(
        Object.entries(serialized)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, pulumi.runtime.deserializeProperty(v, true)]),
    );
}

function makeRun(recorded: Registered[], hooks: string[], rawOutputs: Record<string, unknown>): ProgramRun {
    const resources = [...recorded].sort((a, b) => compareText(a.urn, b.urn));
    return {
        resources,
        hooks: [...hooks].sort(compareText),
        outputs: reveal(rawOutputs) as Record<string, any>,
        rawOutputs,
        get(type, name) {
            const found = resources.filter((r) => r.type === type && r.name === name);
            if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
            return found[0];
        },
        ofType(type) {
            return resources.filter((r) => r.type === type);
        },
    };
}

export function isSecret(value: unknown): boolean {
    return (
        typeof value === "object" &&
        value !== null &&
        (value as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig
    );
}

/** The value with every secret wrapper removed. */
export function reveal(value: unknown): unknown {
    if (isSecret(value)) return reveal((value as { value: unknown }).value);
    if (Array.isArray(value)) return value.map(reveal);
    if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)]));
    return value;
}

/** The value with every secret replaced by "[secret]": what a reader of state or a preview sees. */
export function redact(value: unknown): unknown {
    if (isSecret(value)) return "[secret]";
    if (Array.isArray(value)) return value.map(redact);
    if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v)]));
    return value;
}

/** A plain object: not `pulumi.unknown`, which must stay itself. */
function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !pulumi.isUnknown(value);
}
