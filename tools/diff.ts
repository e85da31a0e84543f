// Compares two runs of the program the way `pulumi preview` compares a program with its state:
// by URN, and by inputs, leaving out the paths a resource asks to `ignoreChanges`; and, for a
// resource whose inputs changed, whether the provider updates it in place (`~`) or replaces it
// (`+-`), by the fields each provider's own schema says force a new resource (REPLACE_RULES).
import { isDeepStrictEqual } from "util";
import type { ProgramRun, Registered } from "./offline";

export interface RunDiff {
    readonly added: string[];
    readonly removed: string[];
    /** Every resource of both runs whose inputs differ: updated in place or replaced. */
    readonly changed: string[];
    /**
     * The part of `changed` a preview shows as a replacement (`+-`): a field that forces a new
     * resource changed. The rest of `changed` (see `updatedInPlace`) is updated in place (`~`).
     */
    readonly replaced: string[];
}

export function diffRuns(before: ProgramRun, after: ProgramRun): RunDiff {
    const old = new Map(before.resources.map((r) => [r.urn, r]));
    const now = new Map(after.resources.map((r) => [r.urn, r]));
    const added = [...now.keys()].filter((urn) => !old.has(urn));
    const removed = [...old.keys()].filter((urn) => !now.has(urn));
    const changed = [...now.values()].filter((r) => old.has(r.urn) && inputsChanged(old.get(r.urn)!, r));
    const providers = providersOf(after);
    const replaced = changed.filter((r) => replaceReasons(old.get(r.urn)!, r, providers).length > 0);
    return { added, removed, changed: changed.map((r) => r.urn), replaced: replaced.map((r) => r.urn) };
}

/** The resources of `changed` that are not replaced: updated in place. */
export function updatedInPlace(diff: RunDiff): string[] {
    const replaced = new Set(diff.replaced);
    return diff.changed.filter((urn) => !replaced.has(urn));
}

/**
 * The inputs of `after` as the engine compares them with `before`'s: at each path `after` asks to
 * ignore, the value `before` had (the one in the state). Without `before`, `after`'s own inputs.
 */
export function keptInputs(after: Registered, before?: Registered): Record<string, unknown> {
    if (!before) return after.raw;
    let inputs: unknown = after.raw;
    for (const path of after.ignoreChanges) inputs = withValueAt(inputs, parsePath(path), valueAt(before.raw, parsePath(path)));
    return inputs as Record<string, unknown>;
}

function inputsChanged(before: Registered, after: Registered): boolean {
    return !isDeepStrictEqual(before.raw, keptInputs(after, before));
}

// ---------------------------------------------------------------------------------------------
// Replacement.

/** Where the rules of a type come from, and which input paths force a new resource. */
export interface ReplaceRule {
    /** Input paths (`spec.template`, `metadata.name`); `"*"`: every input. A change at or under one replaces. */
    readonly paths: readonly string[];
    /** The provider source that says so. */
    readonly source: string;
    /** A provider option that turns the rule off (the Kubernetes provider's mutable ConfigMaps and Secrets). */
    readonly unlessProvider?: string;
}

const K8S_DIFF = "pulumi-kubernetes provider/pkg/provider/diff.go (forceNew, metadataForceNewProperties)";
const TF_AWS = "terraform-provider-aws";
const TF_MYSQL = "terraform-provider-mysql (hashicorp, archived), wrapped by @pulumi/mysql";
const TF_RANDOM = "terraform-provider-random, wrapped by @pulumi/random: every attribute has RequiresReplace";

/** Every Kubernetes object: renaming or moving it is a new object (`metadataForceNewProperties`). */
const KUBERNETES_METADATA: ReplaceRule = { paths: ["metadata.name", "metadata.namespace"], source: K8S_DIFF };
const LABEL_SELECTOR = "spec.selector";

/**
 * The fields that force a new resource, for the types this program registers, from each provider's
 * own schema. A type not listed is updated in place whatever changes (Kubernetes objects: but for
 * `metadata.name` and `metadata.namespace`). `deleteBeforeReplace` changes the order of a
 * replacement (delete first), not whether there is one; `ignoreChanges` paths never count.
 */
export const REPLACE_RULES: Readonly<Record<string, ReplaceRule>> = {
    // batch/v1 Job: completions, parallelism, selector and the pod template.
    "kubernetes:batch/v1:Job": {
        paths: ["spec.completions", "spec.parallelism", LABEL_SELECTOR, "spec.template"],
        source: `${K8S_DIFF}: var job`,
    },
    "kubernetes:apps/v1:Deployment": { paths: [LABEL_SELECTOR], source: `${K8S_DIFF}: var deployment` },
    "kubernetes:apps/v1:StatefulSet": {
        paths: ["spec.podManagementPolicy", "spec.revisionHistoryLimit", LABEL_SELECTOR, "spec.serviceName", "spec.volumeClaimTemplates"],
        source: `${K8S_DIFF}: var statefulSet`,
    },
    "kubernetes:core/v1:ConfigMap": {
        paths: ["data", "binaryData"],
        source: `${K8S_DIFF}: core ConfigMap; none with the provider's enableConfigMapMutable`,
        unlessProvider: "enableConfigMapMutable",
    },
    "kubernetes:core/v1:Secret": {
        paths: ["type", "stringData", "data"],
        source: `${K8S_DIFF}: core Secret; none with the provider's enableSecretMutable (provider_test.go, "Secret resources don't trigger a replace when mutable")`,
        unlessProvider: "enableSecretMutable",
    },
    "kubernetes:core/v1:Service": { paths: ["spec.clusterIP"], source: `${K8S_DIFF}: core Service` },
    // policy/v1 PodDisruptionBudgets are mutable (diff.go lists only policy/v1beta1's `.spec`).

    // Every Grant field is ForceNew and the resource has no Update.
    "mysql:index/grant:Grant": { paths: ["*"], source: `${TF_MYSQL} mysql/resource_grant.go (Update: nil, ForceNew on every field)` },
    "mysql:index/database:Database": { paths: ["name"], source: `${TF_MYSQL} mysql/resource_database.go` },
    "mysql:index/user:User": { paths: ["user", "host", "authPlugin", "tlsOption"], source: `${TF_MYSQL} mysql/resource_user.go` },

    "aws:rds/parameterGroup:ParameterGroup": {
        paths: ["name", "namePrefix", "family", "description"],
        source: `${TF_AWS} internal/service/rds/parameter_group.go`,
    },
    // Not `identifier`: since provider v5 a new identifier renames the instance in place
    // (terraform-provider-aws CHANGELOG 5.0.0, #31232); @pulumi/aws 7 wraps provider v6.
    "aws:rds/instance:Instance": {
        paths: [
            "availabilityZone",
            "characterSetName",
            "customIamInstanceProfile",
            "dbName",
            "engine",
            "kmsKeyId",
            "ncharCharacterSetName",
            "restoreToPointInTime",
            "snapshotIdentifier",
            "storageEncrypted",
            "timezone",
            "username",
        ],
        source: `${TF_AWS} internal/service/rds/instance.go (ForceNew)`,
    },
    "aws:secretsmanager/secret:Secret": { paths: ["name", "namePrefix"], source: `${TF_AWS} internal/service/secretsmanager/secret.go` },
    // A new value is a new version: PutSecretValue; Update only moves version stages.
    "aws:secretsmanager/secretVersion:SecretVersion": {
        paths: ["secretId", "secretString", "secretBinary"],
        source: `${TF_AWS} internal/service/secretsmanager/secret_version.go`,
    },
    "aws:iam/role:Role": { paths: ["name", "namePrefix", "path"], source: `${TF_AWS} internal/service/iam/role.go` },
    "aws:iam/rolePolicy:RolePolicy": { paths: ["name", "namePrefix", "role"], source: `${TF_AWS} internal/service/iam/role_policy.go` },
    "aws:s3/bucket:Bucket": { paths: ["bucket", "bucketPrefix"], source: `${TF_AWS} internal/service/s3/bucket.go` },

    "random:index/randomPassword:RandomPassword": { paths: ["*"], source: `${TF_RANDOM} (internal/provider/resource_password.go)` },
    "random:index/randomBytes:RandomBytes": { paths: ["*"], source: `${TF_RANDOM} (internal/provider/resource_bytes.go)` },
};

/** The rules of a type: its own, and for a Kubernetes object those of its metadata. */
export function replaceRulesOf(type: string): ReplaceRule[] {
    const own = REPLACE_RULES[type];
    const kubernetes = type.startsWith("kubernetes:") ? [KUBERNETES_METADATA] : [];
    return [...kubernetes, ...(own ? [own] : [])];
}

/**
 * The input paths whose change makes the provider replace `after` (the same resource, `before` in
 * the state); none: an update in place, or no change. `providers` maps a provider reference
 * (`<urn>::<id>`, as `Registered.provider`) to the provider resource, for its options.
 */
export function replaceReasons(before: Registered, after: Registered, providers: ReadonlyMap<string, Registered> = new Map()): string[] {
    const kept = keptInputs(after, before);
    const provider = providers.get(after.provider);
    const reasons: string[] = [];
    for (const rule of replaceRulesOf(after.type)) {
        if (rule.unlessProvider && isTrue(provider?.raw[rule.unlessProvider])) continue;
        if (rule.paths.includes("*")) {
            if (!isDeepStrictEqual(before.raw, kept)) reasons.push("*");
            continue;
        }
        for (const path of rule.paths) {
            const parsed = parsePath(path);
            if (!isDeepStrictEqual(valueAt(before.raw, parsed), valueAt(kept, parsed))) reasons.push(path);
        }
    }
    return reasons;
}

/** Provider options arrive as strings (`"true"`), as the engine passes them. */
function isTrue(value: unknown): boolean {
    return value === true || value === "true";
}

function providersOf(run: ProgramRun): Map<string, Registered> {
    const byUrn = new Map(run.resources.filter((r) => r.type.startsWith("pulumi:providers:")).map((r) => [r.urn, r]));
    const refs = new Map<string, Registered>();
    for (const r of run.resources) {
        if (!r.provider || refs.has(r.provider)) continue;
        const provider = byUrn.get(r.provider.slice(0, r.provider.lastIndexOf("::")));
        if (provider) refs.set(r.provider, provider);
    }
    return refs;
}

// ---------------------------------------------------------------------------------------------
// Paths.

/** `spec.template.spec.containers[0].image` -> ["spec", "template", "spec", "containers", 0, "image"]. */
export function parsePath(path: string): (string | number)[] {
    return path.split(/\.|(?=\[)/).map((part) => (part.startsWith("[") ? Number(part.slice(1, -1)) : part));
}

function valueAt(value: unknown, path: (string | number)[]): unknown {
    return path.reduce<any>((v, key) => (v === undefined || v === null ? undefined : v[key]), value);
}

function withValueAt(value: unknown, path: (string | number)[], replacement: unknown): unknown {
    if (path.length === 0) return replacement;
    const [key, ...rest] = path;
    const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
    if (copy[key] === undefined && rest.length > 0) return value;
    copy[key] = withValueAt(copy[key], rest, replacement);
    return copy;
}

/** The URNs' last part, `<type>::<name>`, for readable assertions. */
export function names(urns: readonly string[]): string[] {
    return urns.map((urn) => urn.split("::").slice(-2).join("::").replace(/^.*\$/, "")).sort();
}
