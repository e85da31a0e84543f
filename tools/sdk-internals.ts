// The one place where the offline harness (tools/offline.ts) touches what @pulumi/pulumi does not
// publish. Everything else uses the SDK's public API (setMocks, setAllConfig, disconnect,
// serializeProperties, deserializeProperties).
//
// Why it is needed at all: a `pulumi.runtime.Mocks` object sees each resource's type, name and
// inputs, but not its options (parent, protect, retainOnDelete, ignoreChanges, dependsOn, hooks,
// provider), and those are what a preview shows and what tests of data safety assert. The public
// alternatives do not work under mocks: stack transforms need the engine (the mock runtime turns
// them off), and `registerStackTransformation` needs a root stack resource, which changes every URN
// the mock monitor computes. So the harness wraps the mock monitor's `registerResource` and reads
// the registration request, a generated protobuf class. The SDK's MockMonitor also has no
// `registerResourceHook` (SDK 3.248): a program that declares a resource hook would wait for an
// answer for ever, so the harness answers, as the engine would, and records the hook's name.
//
// Checked against @pulumi/pulumi 3.248 (runtime/mocks.js, proto/resource_pb.d.ts, proto/alias_pb.d.ts). When the SDK
// changes either, this file is what to adapt.
import * as pulumi from "@pulumi/pulumi";
import type { Alias } from "@pulumi/pulumi/proto/alias_pb";
import type { RegisterResourceHookRequest, RegisterResourceRequest } from "@pulumi/pulumi/proto/resource_pb";

/** What a registration request says of a resource, with its inputs as the SDK serialized them. */
export interface Registration {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** URN of the parent ("" for none). */
    readonly parent: string;
    readonly custom: boolean;
    /** Inputs deserialized: secrets wrapped (`pulumi.runtime.specialSigKey`), unknowns as `pulumi.unknown` in a preview. */
    readonly inputs: Record<string, unknown>;
    /** Provider reference, `<provider urn>::<id>`; "" for the default provider. */
    readonly provider: string;
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly deleteBeforeReplace: boolean;
    readonly ignoreChanges: readonly string[];
    readonly dependencies: readonly string[];
    /** Names of the resource hooks to run after the resource is deleted. */
    readonly afterDeleteHooks: readonly string[];
    /** The URNs its `aliases` name: the engine takes a resource in the state at one of them for this one. */
    readonly aliases: readonly string[];
}

type Callback = (error: unknown, response: unknown) => void;

/** The parts of the SDK's MockMonitor (runtime/mocks.js) the harness uses. */
interface MockMonitor {
    newUrn(parent: string, type: string, name: string): string;
    registerResource(req: RegisterResourceRequest, callback: Callback): unknown;
    registerResourceHook?(req: RegisterResourceHookRequest, callback: Callback): unknown;
}

/**
 * Calls `onResource` for every resource registered from now on, and `onHook` for every resource
 * hook, on the monitor that `pulumi.runtime.setMocks` installed. Call it after each `setMocks`:
 * each call installs a new monitor.
 */
export function watchRegistrations(onResource: (registration: Registration) => void, onHook: (name: string) => void): void {
    const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitor | undefined;
    if (!monitor || typeof monitor.newUrn !== "function") {
        throw new Error("watchRegistrations: no mock monitor (call pulumi.runtime.setMocks first)");
    }
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
        // An exception here would leave the SDK waiting for an answer for ever: answer with it instead.
        try {
            onResource(registration(monitor, req));
        } catch (e) {
            return callback(e, undefined);
        }
        return register(req, callback);
    };
    monitor.registerResourceHook = (req, callback) => {
        onHook(req.getName());
        callback(null, {});
    };
}

function registration(monitor: MockMonitor, req: RegisterResourceRequest): Registration {
    const object = req.getObject();
    return {
        urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
        type: req.getType(),
        name: req.getName(),
        parent: req.getParent(),
        custom: req.getCustom(),
        inputs: object ? (pulumi.runtime.deserializeProperties(object) as Record<string, unknown>) : {},
        provider: req.getProvider(),
        protect: Boolean(req.getProtect()),
        retainOnDelete: Boolean(req.getRetainondelete()),
        deleteBeforeReplace: Boolean(req.getDeletebeforereplace()),
        ignoreChanges: req.getIgnorechangesList(),
        dependencies: req.getDependenciesList(),
        afterDeleteHooks: req.getHooks()?.getAfterDeleteList() ?? [],
        aliases: req.getAliasesList().map((alias) => aliasUrn(monitor, req, alias)),
    };
}

/**
 * The URN an alias names, as the engine computes it (pkg/resource/urn.go): the spec's parent (or the
 * resource's own, or none), type and name, each defaulting to the resource's. Stack and project
 * are this run's: the program sets neither in an alias.
 */
function aliasUrn(monitor: MockMonitor, req: RegisterResourceRequest, alias: Alias): string {
    const spec = alias.getSpec();
    if (!spec) return alias.getUrn();
    const parent = spec.getNoparent() ? "" : spec.getParenturn() || req.getParent();
    return monitor.newUrn(parent, spec.getType() || req.getType(), spec.getName() || req.getName());
}
