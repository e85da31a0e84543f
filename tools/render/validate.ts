// Validation of rendered Kubernetes objects against the API schema that kubernetes-models models,
// with unknown fields as errors.
//
// kubernetes-models ships each kind's OpenAPI schema pre-compiled by ajv into a validate function
// (no JSON schema to edit), and the Kubernetes schemas leave `additionalProperties` open, so those
// functions accept `spec.replicaz`. What the compiled code does reveal is which fields the schema
// knows: it reads every property its schema names (`data.replicas === undefined`, ...) and every
// key of a map it validates (labels, resources.requests). The object is validated through proxies
// that record those reads; a key of a validated object that the validator never read is a field
// the schema does not have. An object the validator reads nothing of is free-form in the schema
// (`x-kubernetes-preserve-unknown-fields`, RawExtension) or already reported (wrong type).
import { compareText } from "../../src/text";
import { type Path, dotted, isPlainObject, segments } from "./values";

/**
 * The Kubernetes API version whose schema kubernetes-models 4.5.1 models (its README badge, "1.27.1",
 * is stale): its schemas have the fields Kubernetes 1.33 added (`Lifecycle.stopSignal`,
 * `PodStatus.observedGeneration`, networking.k8s.io/v1 ServiceCIDR) and none of those 1.34 added
 * (`EnvVarSource.fileKeyRef`, `Container.restartPolicyRules`, `PodSpec.hostnameOverride`). The
 * package records no patch version. test/render.test.ts checks the installed package is this one.
 */
export const KUBERNETES_VERSION = "1.33";
export const KUBERNETES_MODELS_VERSION = "4.5.1";

/** One Kubernetes object to validate. */
export interface ObjectToValidate {
    readonly apiVersion: string;
    readonly kind: string;
    /** metadata.name, or how the render names an object without one. */
    readonly name: string;
    /** The file it is rendered to, relative to the render's folder. */
    readonly file: string;
    readonly object: Record<string, unknown>;
    /** JSON pointers of `<computed>` and `[secret]` markers: values whose type the render cannot know. */
    readonly markers: ReadonlySet<string>;
}

type ValidateMethod = (this: unknown) => void;

/** What ajv reports of an error (its ErrorObject; ajv is not a dependency of the project). */
interface ErrorObject {
    readonly instancePath: string;
    readonly keyword: string;
    readonly params: Record<string, unknown>;
    readonly message?: string;
}

const models = new Map<string, ValidateMethod | undefined>();

/** The validate method of the kubernetes-models class of `apiVersion`/`kind`, if the package has one. */
function modelValidate(apiVersion: string, kind: string): ValidateMethod | undefined {
    const key = `${apiVersion}/${kind}`;
    if (models.has(key)) return models.get(key);
    let found: ValidateMethod | undefined;
    // The package's paths are the API's: kubernetes-models/v1/Pod, kubernetes-models/apps/v1/Deployment.
    if (/^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(apiVersion) && /^[A-Z][A-Za-z0-9]*$/.test(kind)) {
        try {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const ctor = (require(`kubernetes-models/${apiVersion}/${kind}`) as Record<string, unknown>)[kind] as
                { apiVersion?: string; kind?: string; prototype: { validate: ValidateMethod } } | undefined;
            if (ctor && ctor.apiVersion === apiVersion && ctor.kind === kind) found = ctor.prototype.validate;
        } catch {
            found = undefined;
        }
    }
    models.set(key, found);
    return found;
}

/** The problems of one object, each `<file>: <Kind> <name>: <field path>: <what is wrong>`; empty when valid. */
export function validateObject(target: ObjectToValidate): string[] {
    const where = `${target.file}: ${target.kind} ${target.name}`;
    const validate = modelValidate(target.apiVersion, target.kind);
    if (!validate)
        return [
            `${where}: no schema for ${target.apiVersion} ${target.kind} in Kubernetes ${KUBERNETES_VERSION} (kubernetes-models ${KUBERNETES_MODELS_VERSION})`,
        ];

    const nodes: TrackedNode[] = [];
    const tracked = track(target.object, [], nodes);
    let errors: ErrorObject[] = [];
    try {
        validate.call(tracked);
    } catch (e) {
        const found = (e as { errors?: ErrorObject[] }).errors;
        if (!Array.isArray(found)) throw e;
        errors = found;
    }

    const problems = new Map<string, string>();
    const add = (path: Path, message: string) => problems.set(`${dotted(path)}: ${message}`, `${where}: ${dotted(path)}: ${message}`);
    for (const error of errors) {
        // A marker stands for a value the render does not know (or does not show): its type is not the render's to judge.
        if (target.markers.has(error.instancePath)) continue;
        const path = segments(error.instancePath).map((s) => (/^[0-9]+$/.test(s) ? Number(s) : s));
        add(...describe(path, error));
    }
    for (const node of nodes) {
        if (node.read.size === 0) continue;
        for (const key of node.keys)
            if (!node.read.has(key)) add([...node.path, key], `unknown field: not in the Kubernetes ${KUBERNETES_VERSION} schema`);
    }
    return [...problems.entries()].sort(([a], [b]) => compareText(a, b)).map(([, problem]) => problem);
}

function describe(path: Path, error: ErrorObject): [Path, string] {
    const params = error.params;
    switch (error.keyword) {
        case "required":
            return [[...path, String(params.missingProperty)], "required field missing"];
        case "enum":
            return [path, `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`];
        case "type":
            return [path, `must be ${String(params.type)}`];
        default:
            return [path, error.message ?? error.keyword];
    }
}

interface TrackedNode {
    readonly path: Path;
    readonly keys: readonly string[];
    /** The keys the validator read. */
    readonly read: Set<string>;
}

/** A copy of `value` whose objects record the keys read from them. */
function track(value: unknown, path: Path, nodes: TrackedNode[]): unknown {
    if (Array.isArray(value)) return value.map((v, i) => track(v, [...path, i], nodes));
    if (!isPlainObject(value)) return value;
    const node: TrackedNode = { path, keys: Object.keys(value), read: new Set() };
    nodes.push(node);
    const copy = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, track(v, [...path, k], nodes)]));
    return new Proxy(copy, {
        get(target, key, receiver) {
            if (typeof key === "string") node.read.add(key);
            return Reflect.get(target, key, receiver);
        },
    });
}
