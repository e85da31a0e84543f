// What every check of the pack shares: the shapes of a check and of what it examines, the resource
// types, and readers of untyped JSON (props as @pulumi/policy hands them, policy documents).
//
// A resource check takes `(type, props, where)`, as the pack's `validateResource` gets `args.type`,
// `args.props`, and `args.name` with `args.opts.parent`; it returns its violations as strings. A
// stack check takes every resource of the stack (with the URNs each depends on, and its parent), as
// `validateStack` gets them.
//
// Checks find what they examine by resource type, and join resources by what the program sets on
// them (dependencies, tags, labels, the parent component's type) or by the naming functions of
// src/naming.ts, never by parsing a Pulumi name: a renamed child is still examined.

/** A resource's properties: inputs for a resource check, outputs (or inputs in tests) for a stack check. */
export type Props = Record<string, unknown>;

/** One resource as a stack check sees it. */
export interface StackResource {
    readonly type: string;
    /** The resource's name (the last part of its URN). */
    readonly name: string;
    readonly urn: string;
    readonly props: Props;
    /** URNs of the resources it depends on (its inputs' resources and dependsOn). */
    readonly dependencies: readonly string[];
    /** URN of its parent resource, if it has one. */
    readonly parent?: string;
}

/** Where a resource sits, as a resource check sees it: `args.name` and `args.opts.parent` in the pack. */
export interface ResourceWhere {
    /** The resource's Pulumi name: for messages only, never to decide what a check examines. */
    readonly name?: string;
    /** URN of its parent resource (a component). */
    readonly parent?: string;
}

/** Settings of the stack checks; in the pack, policy config (`pulumi preview --policy-pack-config`). */
export interface StackOptions {
    /** Namespace of the ingress controller, the only namespace that may reach the WordPress pods. */
    readonly ingressControllerNamespace: string;
}

export const DEFAULT_STACK_OPTIONS: StackOptions = { ingressControllerNamespace: "ingress-nginx" };

export interface ResourceCheck {
    /** Also the policy's name in the pack. */
    readonly name: string;
    readonly description: string;
    /** The resource types it examines; it reports nothing on others. */
    readonly types: readonly string[];
    check(type: string, props: Props, where?: ResourceWhere): string[];
}

export interface StackCheck {
    readonly name: string;
    readonly description: string;
    /** The resource types it examines. */
    readonly types: readonly string[];
    /** The options it reads: in the pack, the policy's config schema. */
    readonly options?: readonly (keyof StackOptions)[];
    check(resources: readonly StackResource[], options: StackOptions): string[];
}

// ---------------------------------------------------------------------------------------------
// Reading untyped JSON.

export type Json = Record<string, unknown>;

/** The type and name of a URN (`urn:pulumi:<stack>::<project>::<parent types>$<type>::<name>`). */
export function urnParts(urn: string): { type: string; name: string } | undefined {
    const match = /^urn:pulumi:[^:]*::[^:]*::(?:.*\$)?([^$]+?)::(.*)$/.exec(urn);
    return match ? { type: match[1], name: match[2] } : undefined;
}

export function asObject(value: unknown): Json | undefined {
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

export function asList(value: unknown): unknown[] {
    if (Array.isArray(value)) return value;
    return value === undefined || value === null ? [] : [value];
}

export function at(value: unknown, ...path: string[]): unknown {
    let current = value;
    for (const key of path) {
        const o = asObject(current);
        if (!o) return undefined;
        current = o[key];
    }
    return current;
}

export function isNonEmpty(value: unknown): boolean {
    if (value === undefined || value === null) return false;
    if (typeof value === "string") return value.length > 0;
    if (Array.isArray(value)) return value.length > 0;
    if (typeof value === "object") return Object.keys(value).length > 0;
    return true;
}

/**
 * A property read for linking resources only (a bucket's name, a group's name): during a preview it
 * may be unknown, and the @pulumi/policy proxy throws on reading one. Links by dependency still work.
 */
export function peek(props: Props, key: string): unknown {
    try {
        return props[key];
    } catch {
        return undefined;
    }
}

export function show(value: unknown): string {
    return JSON.stringify(value) ?? String(value);
}

// ---------------------------------------------------------------------------------------------
// Types.

export const TYPES = {
    rdsInstance: "aws:rds/instance:Instance",
    rdsParameterGroup: "aws:rds/parameterGroup:ParameterGroup",
    bucket: "aws:s3/bucket:Bucket",
    bucketPublicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    bucketEncryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    bucketVersioning: "aws:s3/bucketVersioning:BucketVersioning",
    bucketLifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    iamRole: "aws:iam/role:Role",
    iamRolePolicy: "aws:iam/rolePolicy:RolePolicy",
    iamPolicy: "aws:iam/policy:Policy",
    iamUserPolicy: "aws:iam/userPolicy:UserPolicy",
    iamGroupPolicy: "aws:iam/groupPolicy:GroupPolicy",
    secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
    k8sSecret: "kubernetes:core/v1:Secret",
    mysqlUser: "mysql:index/user:User",
    mysqlProvider: "pulumi:providers:mysql",
    pod: "kubernetes:core/v1:Pod",
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    daemonSet: "kubernetes:apps/v1:DaemonSet",
    replicaSet: "kubernetes:apps/v1:ReplicaSet",
    job: "kubernetes:batch/v1:Job",
    cronJob: "kubernetes:batch/v1:CronJob",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    replicationGroup: "aws:elasticache/replicationGroup:ReplicationGroup",
} as const;

/** A statement list of an IAM or bucket policy document (a JSON string, or an object). */
export function statements(document: unknown): { statements: Json[]; error?: string } {
    let doc = document;
    if (typeof document === "string") {
        try {
            doc = JSON.parse(document);
        } catch {
            return { statements: [], error: "is not valid JSON" };
        }
    }
    const o = asObject(doc);
    if (!o) return { statements: [], error: "is not a policy document" };
    return {
        statements: asList(o.Statement)
            .map(asObject)
            .filter((s): s is Json => s !== undefined),
    };
}

export function isAllow(statement: Json): boolean {
    // AWS requires Effect; anything but an explicit Deny is read as granting.
    return statement.Effect !== "Deny";
}

export function strings(value: unknown): string[] {
    return asList(value).filter((v): v is string => typeof v === "string");
}
export function escapeRegExp(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
