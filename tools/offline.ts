// Runs the whole program (index.ts) in this process under the Pulumi mock runtime, with a stack's
// config, and records every resource it registers with its inputs and options: what the tests,
// the offline render and the benchmark see of the program. No cloud, no cluster, no Pulumi CLI.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { readStackConfig } from "../src/stack-file";
import { compareText } from "../src/text";
import { ROOT } from "./stacks";

// The SDK's runtime state, for its callback server: internal, not in its public types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { getStore } = require("@pulumi/pulumi/runtime/state") as { getStore(): { callbacks?: { shutdown(): void } } };

export { ROOT };
const PROJECT = "wp-platform";

export interface Registered {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** URN of the parent ("" for none). */
    readonly parent: string;
    readonly custom: boolean;
    /** Inputs with secrets unwrapped. */
    readonly inputs: Record<string, any>;
    /** Inputs as serialized, secrets still wrapped: see `isSecret`. */
    readonly raw: Record<string, unknown>;
    readonly provider: string;
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly deleteBeforeReplace: boolean;
    readonly ignoreChanges: readonly string[];
    readonly dependencies: readonly string[];
    /** Names of the resource hooks to run after the resource is deleted. */
    readonly afterDeleteHooks: readonly string[];
}

export interface ProgramRun {
    /** Every registered resource, sorted by URN. */
    readonly resources: readonly Registered[];
    /** The stack outputs (index.ts exports), resolved. */
    readonly outputs: Record<string, any>;
    /** Names of the resource hooks the program registered. */
    readonly hooks: readonly string[];
    /** The one resource of this type and name; throws when there is none or several. */
    get(type: string, name: string): Registered;
    /** Resources of a type. */
    ofType(type: string): Registered[];
}

/** The config the Pulumi CLI would pass for `stack`, from Pulumi.<stack>.yaml, with overrides. */
export function configFor(stack: string, overrides: Record<string, unknown> = {}): Record<string, string> {
    const config = readStackConfig(path.join(ROOT, `Pulumi.${stack}.yaml`));
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
}

/** Runs the program once; never throws: the program's error, if any, comes back beside what it registered. */
export async function runOffline(options: OfflineRunOptions): Promise<{ run: ProgramRun; error?: Error }> {
    const recorded: Registered[] = [];
    const hooks: string[] = [];
    await pulumi.runtime.setMocks(options.mocks, PROJECT, options.stack, options.preview ?? false);
    record(recorded, hooks);
    pulumi.runtime.setAllConfig(options.config, []);
    // index.ts is the program: loading it anew runs it anew. The other project modules define
    // classes and functions and hold no state, so they stay loaded (and compiled) between runs.
    delete require.cache[require.resolve(path.join(ROOT, "index.ts"))];

    let outputs: Record<string, any> = {};
    let error: Error | undefined;
    // The SDK records a stack trace for every promise it makes (a debugging aid for leaked promises),
    // and ts-node's source-map support makes each one a source-map lookup: two thirds of a run went
    // there. During the run, no traces for promises and no mapping; the error messages stay whole.
    const traces = Error as { prepareStackTrace?: unknown; stackTraceLimit: number };
    const { prepareStackTrace, stackTraceLimit } = traces;
    traces.prepareStackTrace = undefined;
    traces.stackTraceLimit = 0;
    try {
        // A require, not an import: loading index.ts runs the stack-level part of the program, once
        // per run. It exports an async function that builds the sites; Pulumi calls it and takes what
        // it returns as the stack outputs, and so does this.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const main = require(path.join(ROOT, "index.ts")) as () => Promise<Record<string, unknown>>;
        const program = await main();
        outputs = await resolveOutputs(program);
        await waitForRegistrations();
    } catch (e) {
        error = e as Error;
    } finally {
        traces.prepareStackTrace = prepareStackTrace;
        traces.stackTraceLimit = stackTraceLimit;
        // A program with resource hooks starts the SDK's callback server (a local gRPC server); the
        // next run starts its own, so this one stops.
        getStore().callbacks?.shutdown();
    }
    return { run: makeRun(recorded, hooks, outputs), error };
}

function makeRun(recorded: Registered[], hooks: string[], outputs: Record<string, any>): ProgramRun {
    const resources = [...recorded].sort((a, b) => compareText(a.urn, b.urn));
    return {
        resources,
        hooks: [...hooks].sort(),
        outputs,
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

/** Wraps the mock monitor so every registration request is recorded with its options. */
function record(into: Registered[], hooks: string[]): void {
    const monitor = pulumi.runtime.getMonitor() as any;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: any) => {
        // An exception here would leave the SDK waiting for an answer for ever: answer with it instead.
        try {
            recordRegistration(req);
        } catch (e) {
            return callback(e, undefined);
        }
        return register(req, callback);
    };
    const recordRegistration = (req: any): void => {
        const raw = pulumi.runtime.deserializeProperties(req.getObject()) as Record<string, unknown>;
        into.push({
            urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
            type: req.getType(),
            name: req.getName(),
            parent: req.getParent(),
            custom: req.getCustom(),
            inputs: reveal(raw) as Record<string, any>,
            raw,
            provider: req.getProvider(),
            protect: Boolean(req.getProtect()),
            retainOnDelete: Boolean(req.getRetainondelete()),
            deleteBeforeReplace: Boolean(req.getDeletebeforereplace()),
            ignoreChanges: req.getIgnorechangesList(),
            dependencies: req.getDependenciesList(),
            afterDeleteHooks: req.getHooks()?.getAfterDeleteList() ?? [],
        });
    };
    // The SDK's mock monitor knows no resource hooks; the engine would record the name, so do we.
    monitor.registerResourceHook = (req: any, callback: any) => {
        hooks.push(req.getName());
        callback(null, {});
    };
}

/** Every registration the program started has been answered (`waitForRPCs` is internal to the SDK). */
function waitForRegistrations(): Promise<void> {
    return (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
}

async function resolveOutputs(program: Record<string, unknown>): Promise<Record<string, any>> {
    const entries = await Promise.all(
        Object.entries(program).map(async ([key, value]) => [key, await settled(pulumi.output(value))] as const),
    );
    return Object.fromEntries(entries);
}

/**
 * A stack output's value. In a preview `apply` never runs on a value only known after deployment (a
 * generated bucket name), so waiting on `apply` would wait forever: such a value reads `undefined` here, or
 * `pulumi.unknown` inside an object.
 */
function settled(output: pulumi.Output<unknown>): Promise<unknown> {
    // `promise(withUnknowns)` is the SDK's own accessor of an Output's value (internal: not in its types).
    return (output as unknown as { promise(withUnknowns: boolean): Promise<unknown> }).promise(true);
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
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)]));
    }
    return value;
}

/** The value with every secret replaced by "[secret]": what a reader of state or a preview sees. */
export function redact(value: unknown): unknown {
    if (isSecret(value)) return "[secret]";
    if (Array.isArray(value)) return value.map(redact);
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v)]));
    }
    return value;
}
