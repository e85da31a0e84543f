// The platform's security baseline as plain checks over resource properties, and the same checks
// shaped as @pulumi/policy policies. Nothing here runs on import and nothing here constructs the
// PolicyPack (policy/index.ts does: constructing one starts a gRPC server and can exit the process),
// so tests import this module and run the checks over the resources the program registers.
//
// A resource check takes `(type, props, name)`, as the pack's `validateResource` gets `args.type`,
// `args.props` and `args.name`, and returns its violations as strings. A stack check takes every
// resource of the stack (with the URNs each depends on), as `validateStack` gets them.
//
// What the pack sees: `validateResource` gets a resource's inputs before it is created or updated;
// `validateStack` gets every resource's outputs at the end of the run. During `pulumi preview` an
// input computed from another resource (an ARN, a bucket name) is unknown, and @pulumi/policy reports
// a check that reads one as advisory ("can't run during preview"); `pulumi up` registers a resource
// only once its inputs are known, so every check is enforced there.
import type { Policies, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

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
    check(type: string, props: Props, name?: string): string[];
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

type Json = Record<string, unknown>;

function asObject(value: unknown): Json | undefined {
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function asList(value: unknown): unknown[] {
    if (Array.isArray(value)) return value;
    return value === undefined || value === null ? [] : [value];
}

function at(value: unknown, ...path: string[]): unknown {
    let current = value;
    for (const key of path) {
        const o = asObject(current);
        if (!o) return undefined;
        current = o[key];
    }
    return current;
}

function isNonEmpty(value: unknown): boolean {
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
function peek(props: Props, key: string): unknown {
    try {
        return props[key];
    } catch {
        return undefined;
    }
}

function show(value: unknown): string {
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
} as const;

// ---------------------------------------------------------------------------------------------
// RDS.

export const rdsInstanceHardened: ResourceCheck = {
    name: "rds-instance-hardened",
    description:
        "RDS instances are encrypted, private, backed up for 7 days or more, take minor version upgrades, " +
        "export logs to CloudWatch, and leave a named final snapshot when deleted.",
    types: [TYPES.rdsInstance],
    check(_type, props) {
        const violations: string[] = [];
        if (props.storageEncrypted !== true) violations.push(`storageEncrypted must be true (is ${show(props.storageEncrypted)})`);
        // AWS's default is private, so an absent value is fine; an explicit true is not.
        if (props.publiclyAccessible === true)
            violations.push("publiclyAccessible must be false: the database is reached from inside the VPC only");
        const retention = props.backupRetentionPeriod;
        if (typeof retention !== "number" || retention < 7) {
            violations.push(`backupRetentionPeriod must be at least 7 days (is ${show(retention)})`);
        }
        if (props.autoMinorVersionUpgrade === false)
            violations.push("autoMinorVersionUpgrade must be true: minor versions carry security fixes");
        if (!isNonEmpty(props.enabledCloudwatchLogsExports)) {
            violations.push("enabledCloudwatchLogsExports must name at least one log (such as error, slowquery)");
        }
        if (props.skipFinalSnapshot === true)
            violations.push("skipFinalSnapshot must be false: deleting the instance must leave a snapshot");
        if (typeof props.finalSnapshotIdentifier !== "string" || props.finalSnapshotIdentifier === "") {
            violations.push("finalSnapshotIdentifier must be set: without it RDS cannot take the final snapshot");
        }
        return violations;
    },
};

const TLS_PARAMETER = "require_secure_transport";
const TLS_ENGINES = new Set(["mysql", "mariadb"]);

export const rdsRequireSecureTransport: StackCheck = {
    name: "rds-require-secure-transport",
    description: `Every MySQL or MariaDB RDS instance uses a parameter group of the stack that sets ${TLS_PARAMETER} to 1 (ON).`,
    types: [TYPES.rdsInstance, TYPES.rdsParameterGroup],
    check(resources) {
        const violations: string[] = [];
        const groups = resources.filter((r) => r.type === TYPES.rdsParameterGroup);
        for (const instance of resources.filter((r) => r.type === TYPES.rdsInstance)) {
            const engine = peek(instance.props, "engine");
            if (typeof engine === "string" && !TLS_ENGINES.has(engine)) continue;
            const groupName = peek(instance.props, "parameterGroupName");
            const group = groups.find(
                (g) => instance.dependencies.includes(g.urn) || (groupName !== undefined && peek(g.props, "name") === groupName),
            );
            if (!group) {
                violations.push(
                    `${instance.name}: uses no parameter group of this stack (parameterGroupName ${show(groupName)}); ` +
                        `the default group does not set ${TLS_PARAMETER}`,
                );
                continue;
            }
            const parameter = asList(group.props.parameters)
                .map(asObject)
                .find((p) => p?.name === TLS_PARAMETER);
            const value = String(parameter?.value ?? "").toUpperCase();
            if (value !== "1" && value !== "ON") {
                violations.push(
                    `${group.name}: the parameter group of ${instance.name} must set ${TLS_PARAMETER} to 1 ` +
                        `(is ${parameter ? show(parameter.value) : "unset, so OFF"}): clients could connect without TLS`,
                );
            }
        }
        return violations;
    },
};

// ---------------------------------------------------------------------------------------------
// S3.

const PUBLIC_ACCESS_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;
const SSE_ALGORITHMS = new Set(["AES256", "aws:kms", "aws:kms:dsse"]);

/** A statement list of an IAM or bucket policy document (a JSON string, or an object). */
function statements(document: unknown): { statements: Json[]; error?: string } {
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

function isAllow(statement: Json): boolean {
    // AWS requires Effect; anything but an explicit Deny is read as granting.
    return statement.Effect !== "Deny";
}

function strings(value: unknown): string[] {
    return asList(value).filter((v): v is string => typeof v === "string");
}

function deniesPlainHttp(statement: Json): boolean {
    const principal = statement.Principal;
    const everyone = principal === "*" || strings(at(principal, "AWS")).includes("*");
    const actions = strings(statement.Action).map((a) => a.toLowerCase());
    const allActions = actions.includes("s3:*") || actions.includes("*");
    const resources = strings(statement.Resource);
    const coversBucket = resources.some((r) => /^arn:[^:]+:s3:::[^/]+$/.test(r));
    const coversObjects = resources.some((r) => /^arn:[^:]+:s3:::[^/]+\/\*$/.test(r));
    const secureTransport = at(statement.Condition, "Bool", "aws:SecureTransport");
    const withoutTls = asList(secureTransport).some((v) => v === false || v === "false");
    return statement.Effect === "Deny" && everyone && allActions && coversBucket && coversObjects && withoutTls;
}

/** A lifecycle rule that applies to the whole bucket (no prefix, tag or `and` filter). */
function coversWholeBucket(rule: Json): boolean {
    const filter = asObject(rule.filter);
    return !rule.prefix && !filter?.prefix && !filter?.tag && !filter?.and;
}

export const s3BucketHardened: StackCheck = {
    name: "s3-bucket-hardened",
    description:
        "Every S3 bucket blocks public access, is encrypted by default, is versioned, denies requests without TLS, " +
        "and expires noncurrent versions and incomplete multipart uploads.",
    types: [
        TYPES.bucket,
        TYPES.bucketPublicAccessBlock,
        TYPES.bucketEncryption,
        TYPES.bucketVersioning,
        TYPES.bucketLifecycle,
        TYPES.bucketPolicy,
    ],
    check(resources) {
        const violations: string[] = [];
        for (const bucket of resources.filter((r) => r.type === TYPES.bucket)) {
            const names: unknown[] = [peek(bucket.props, "bucket"), peek(bucket.props, "id")].filter((n) => n !== undefined);
            // The program configures a bucket with separate aws.s3.Bucket* resources (inline settings
            // are deprecated in provider v7): those that depend on it, or name it.
            const of = (type: string) =>
                resources.filter(
                    (r) => r.type === type && (r.dependencies.includes(bucket.urn) || names.includes(peek(r.props, "bucket"))),
                );
            const problem = (message: string) => violations.push(`${bucket.name}: ${message}`);

            const blocks = of(TYPES.bucketPublicAccessBlock);
            if (blocks.length === 0) problem("has no BucketPublicAccessBlock");
            for (const block of blocks) {
                const off = PUBLIC_ACCESS_FLAGS.filter((flag) => block.props[flag] !== true);
                if (off.length > 0) problem(`public access block ${block.name} must set ${off.join(", ")} to true`);
            }

            const encrypted = of(TYPES.bucketEncryption).some((e) =>
                asList(e.props.rules).some((rule) =>
                    SSE_ALGORITHMS.has(String(at(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm"))),
                ),
            );
            if (!encrypted)
                problem("has no default encryption (BucketServerSideEncryptionConfiguration with sseAlgorithm aws:kms or AES256)");

            const versioned = of(TYPES.bucketVersioning).some((v) => at(v.props, "versioningConfiguration", "status") === "Enabled");
            if (!versioned) problem("versioning must be Enabled (BucketVersioning), so a deleted or overwritten file can be recovered");

            const policies = of(TYPES.bucketPolicy);
            const tlsOnly = policies.some((p) => statements(p.props.policy).statements.some(deniesPlainHttp));
            if (!tlsOnly) {
                problem(
                    'has no bucket policy denying requests without TLS (Effect Deny, Principal "*", Action "s3:*" on the bucket ' +
                        'and its objects, Condition Bool aws:SecureTransport "false")',
                );
            }
            if (policies.length > 1)
                problem(`has ${policies.length} BucketPolicy resources; a bucket has one policy, and they overwrite each other`);

            const rules = of(TYPES.bucketLifecycle)
                .flatMap((l) => asList(l.props.rules).map(asObject))
                .filter((r): r is Json => r !== undefined && r.status === "Enabled" && coversWholeBucket(r));
            if (!rules.some((r) => Number(at(r, "noncurrentVersionExpiration", "noncurrentDays")) > 0)) {
                problem("has no enabled lifecycle rule expiring noncurrent versions (noncurrentVersionExpiration) over the whole bucket");
            }
            if (!rules.some((r) => Number(at(r, "abortIncompleteMultipartUpload", "daysAfterInitiation")) > 0)) {
                problem(
                    "has no enabled lifecycle rule aborting incomplete multipart uploads (abortIncompleteMultipartUpload) over the whole bucket",
                );
            }
        }
        return violations;
    },
};

// ---------------------------------------------------------------------------------------------
// IAM.

/** The policy documents of an IAM resource, each with a label for messages. */
function iamDocuments(type: string, props: Props): { label: string; document: unknown }[] {
    switch (type) {
        case TYPES.iamRole:
            return [
                { label: "assumeRolePolicy", document: props.assumeRolePolicy },
                ...asList(props.inlinePolicies).map((p, i) => ({ label: `inlinePolicies[${i}].policy`, document: at(p, "policy") })),
            ];
        case TYPES.iamRolePolicy:
        case TYPES.iamPolicy:
        case TYPES.iamUserPolicy:
        case TYPES.iamGroupPolicy:
            return [{ label: "policy", document: props.policy }];
        default:
            return [];
    }
}

export const iamNoWildcards: ResourceCheck = {
    name: "iam-no-wildcards",
    description: 'IAM policies grant no "*" or "service:*" action and no "*" resource, and trust no "*" principal.',
    types: [TYPES.iamRole, TYPES.iamRolePolicy, TYPES.iamPolicy, TYPES.iamUserPolicy, TYPES.iamGroupPolicy],
    check(type, props) {
        const violations: string[] = [];
        for (const { label, document } of iamDocuments(type, props)) {
            if (document === undefined) continue;
            const parsed = statements(document);
            if (parsed.error) violations.push(`${label} ${parsed.error}`);
            parsed.statements.forEach((statement, i) => {
                if (!isAllow(statement)) return;
                const where = `${label}: Allow statement ${statement.Sid ? show(statement.Sid) : i}`;
                for (const action of strings(statement.Action)) {
                    if (action === "*" || /^[A-Za-z0-9-]+:\*$/.test(action))
                        violations.push(`${where} grants every action of ${show(action)}`);
                }
                if (statement.NotAction !== undefined) violations.push(`${where} uses NotAction: it grants every other action`);
                if (strings(statement.Resource).includes("*")) violations.push(`${where} applies to every resource ("*")`);
                if (statement.NotResource !== undefined) violations.push(`${where} uses NotResource: it applies to every other resource`);
                const principal = statement.Principal;
                if (principal === "*" || strings(at(principal, "AWS")).includes("*"))
                    violations.push(`${where} trusts every principal ("*")`);
            });
        }
        return violations;
    },
};

const SITE_ROLE_POLICY = /^([a-z0-9-]+)\/role-policy$/;
const LIST_ACTIONS = new Set(["s3:listbucket", "s3:listbucketversions"]);
const PREFIX_CONDITIONS = ["StringLike", "StringEquals"];

function escapeRegExp(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export const siteRoleOwnPrefix: ResourceCheck = {
    name: "site-role-own-prefix",
    description:
        "A site's role policy (`<id>/role-policy`) reaches only the site's prefix `sites/<id>/` of the bucket: object ARNs end " +
        "with `/sites/<id>/*`, and listing the bucket carries an s3:prefix condition within that prefix.",
    types: [TYPES.iamRolePolicy],
    check(type, props, name) {
        const match = name === undefined ? null : SITE_ROLE_POLICY.exec(name);
        if (type !== TYPES.iamRolePolicy || !match) return [];
        const id = match[1];
        const prefix = `sites/${id}/`;
        const objectArn = new RegExp(`^arn:[^:]+:s3:::[^/*?]+/${escapeRegExp(prefix)}\\*$`);
        const violations: string[] = [];
        const parsed = statements(props.policy);
        if (parsed.error) violations.push(`policy ${parsed.error}`);
        parsed.statements.forEach((statement, i) => {
            if (!isAllow(statement)) return;
            const where = `Allow statement ${statement.Sid ? show(statement.Sid) : i}`;
            const actions = strings(statement.Action).map((a) => a.toLowerCase());
            for (const action of actions.filter((a) => !a.startsWith("s3:"))) {
                violations.push(`${where} grants ${action}: a site role reaches its S3 prefix and nothing else`);
            }
            if (statement.NotAction !== undefined || statement.NotResource !== undefined) {
                violations.push(`${where} uses NotAction or NotResource, which reach beyond ${prefix}`);
            }
            for (const resource of strings(statement.Resource)) {
                if (/^arn:[^:]+:s3:::[^/]+\/.*$/.test(resource)) {
                    if (!objectArn.test(resource))
                        violations.push(`${where} reaches objects ${show(resource)} outside ${prefix}* of the bucket`);
                } else if (/^arn:[^:]+:s3:::[^/*?]+$/.test(resource)) {
                    const beyondListing = actions.filter((a) => !LIST_ACTIONS.has(a));
                    if (beyondListing.length > 0) {
                        violations.push(
                            `${where} grants ${beyondListing.join(", ")} on the whole bucket ${show(resource)}; only listing is allowed there`,
                        );
                    }
                    const prefixes = PREFIX_CONDITIONS.flatMap((op) => strings(at(statement.Condition, op, "s3:prefix")));
                    if (prefixes.length === 0 || !prefixes.every((p) => p.startsWith(prefix))) {
                        violations.push(
                            `${where} lists the bucket ${show(resource)} without an s3:prefix condition limited to ${prefix} ` +
                                `(has ${show(prefixes)})`,
                        );
                    }
                } else {
                    violations.push(`${where} applies to ${show(resource)}, which is not the site's prefix of the bucket`);
                }
            }
        });
        return violations;
    },
};

// ---------------------------------------------------------------------------------------------
// Secrets.

export interface SecretFields {
    /** Properties holding secret values. */
    readonly fields: readonly string[];
    /** "each": every field is set; "any": at least one is (a Secret has stringData or data); "optional": none need be. */
    readonly required: "each" | "any" | "optional";
}

/** Where each type keeps its secret values. */
export const SECRET_FIELDS: Readonly<Record<string, SecretFields>> = {
    [TYPES.secretVersion]: { fields: ["secretString", "secretBinary"], required: "any" },
    [TYPES.k8sSecret]: { fields: ["stringData", "data"], required: "any" },
    [TYPES.mysqlUser]: { fields: ["plaintextPassword"], required: "each" },
    [TYPES.mysqlProvider]: { fields: ["password"], required: "each" },
    // RDS may manage the master password itself (manageMasterUserPassword): then there is none.
    [TYPES.rdsInstance]: { fields: ["password"], required: "optional" },
};

/**
 * The pack's half of the secrets rule. `validateResource` gets props with every secret already
 * unwrapped (@pulumi/policy hands policies plain values), so it cannot tell a secret from plain text:
 * it checks only that the secret values are there. Whether they are Pulumi secrets is checked by the
 * tests (`unmarkedSecrets` over the serialized inputs), where the secret wrappers are visible.
 */
export const secretsPresent: ResourceCheck = {
    name: "secrets-present",
    description:
        "Secret values (Secrets Manager secretString, Kubernetes Secret data, MySQL passwords) are set; " +
        "that they are Pulumi secrets is checked by the project's tests.",
    types: Object.keys(SECRET_FIELDS),
    check(type, props) {
        const spec = SECRET_FIELDS[type];
        if (!spec) return [];
        const set = spec.fields.filter((f) => isNonEmpty(props[f]));
        if (spec.required === "each")
            return spec.fields.filter((f) => !set.includes(f)).map((f) => `${f} must be set (a non-empty secret)`);
        if (spec.required === "any" && set.length === 0) return [`one of ${spec.fields.join(", ")} must be set (a non-empty secret)`];
        return [];
    },
};

/**
 * The tests' half: every secret field present in `raw` (inputs as serialized, secret wrappers kept)
 * is a Pulumi secret, as a whole or in every value it holds.
 */
export function unmarkedSecrets(type: string, raw: Props, isSecret: (value: unknown) => boolean): string[] {
    const spec = SECRET_FIELDS[type];
    if (!spec) return [];
    const allSecret = (value: unknown): boolean => {
        if (isSecret(value)) return true;
        if (Array.isArray(value)) return value.every(allSecret);
        const o = asObject(value);
        return o !== undefined && Object.values(o).every(allSecret);
    };
    return spec.fields
        .filter((f) => raw[f] !== undefined && raw[f] !== null && !allSecret(raw[f]))
        .map((f) => `${f} is not a Pulumi secret: its value would be stored in plain text in the state`);
}

// ---------------------------------------------------------------------------------------------
// Pods.

/** The pod spec of a workload, by where each kind keeps it. */
function podSpecOf(type: string, props: Props): Json | undefined {
    switch (type) {
        case TYPES.pod:
            return asObject(props.spec);
        case TYPES.deployment:
        case TYPES.statefulSet:
        case TYPES.daemonSet:
        case TYPES.replicaSet:
        case TYPES.job:
            return asObject(at(props, "spec", "template", "spec"));
        case TYPES.cronJob:
            return asObject(at(props, "spec", "jobTemplate", "spec", "template", "spec"));
        default:
            return undefined;
    }
}

const WORKLOAD_TYPES = [TYPES.pod, TYPES.deployment, TYPES.statefulSet, TYPES.daemonSet, TYPES.replicaSet, TYPES.job, TYPES.cronJob];

function containersOf(spec: Json): { kind: string; container: Json }[] {
    return (["containers", "initContainers", "ephemeralContainers"] as const).flatMap((kind) =>
        asList(spec[kind])
            .map(asObject)
            .filter((c): c is Json => c !== undefined)
            .map((container) => ({ kind, container })),
    );
}

function containerLabel(kind: string, container: Json): string {
    const noun = kind === "containers" ? "container" : kind === "initContainers" ? "init container" : "ephemeral container";
    return `${noun} ${show(container.name)}`;
}

// The volume types the restricted Pod Security Standard allows.
const RESTRICTED_VOLUMES = new Set([
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
]);
const SECCOMP_PROFILES = new Set(["RuntimeDefault", "Localhost"]);

export const podSecurityRestricted: ResourceCheck = {
    name: "pod-security-restricted",
    description:
        'Pods meet the Kubernetes "restricted" Pod Security Standard: non-root, no privilege escalation, all capabilities ' +
        "dropped, RuntimeDefault seccomp, nothing privileged, no host namespaces, ports or paths.",
    types: WORKLOAD_TYPES,
    check(type, props) {
        const spec = podSpecOf(type, props);
        if (!spec) return WORKLOAD_TYPES.includes(type as (typeof WORKLOAD_TYPES)[number]) ? ["has no pod spec"] : [];
        const violations: string[] = [];
        for (const field of ["hostNetwork", "hostPID", "hostIPC"]) {
            if (spec[field] === true) violations.push(`${field} must not be true: the pod would share the node's namespace`);
        }
        for (const volume of asList(spec.volumes).map(asObject)) {
            const kind = Object.keys(volume ?? {}).find((k) => k !== "name");
            if (kind && !RESTRICTED_VOLUMES.has(kind))
                violations.push(`volume ${show(volume?.name)} is of type ${kind}, not allowed by the restricted standard`);
        }
        const pod = asObject(spec.securityContext) ?? {};
        const podSeccomp = at(pod, "seccompProfile", "type");
        if (podSeccomp !== undefined && !SECCOMP_PROFILES.has(String(podSeccomp))) {
            violations.push(`the pod's seccompProfile must be RuntimeDefault (is ${show(podSeccomp)})`);
        }
        if (pod.runAsUser === 0) violations.push("the pod's runAsUser must not be 0 (root)");
        const containers = containersOf(spec);
        if (containers.length === 0) violations.push("has no containers");
        for (const { kind, container } of containers) {
            const label = containerLabel(kind, container);
            const sc = asObject(container.securityContext) ?? {};
            if (sc.privileged === true) violations.push(`${label} must not be privileged`);
            if (sc.allowPrivilegeEscalation !== false) violations.push(`${label} must set allowPrivilegeEscalation to false`);
            const drop = strings(at(sc, "capabilities", "drop"));
            if (!drop.includes("ALL")) violations.push(`${label} must drop ALL capabilities (drops ${show(drop)})`);
            const added = strings(at(sc, "capabilities", "add")).filter((c) => c !== "NET_BIND_SERVICE");
            if (added.length > 0) violations.push(`${label} must not add capabilities ${added.join(", ")}`);
            const nonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
            if (nonRoot !== true) violations.push(`${label} must run as non-root (runAsNonRoot true on the pod or the container)`);
            if (sc.runAsUser === 0) violations.push(`${label} must not set runAsUser 0 (root)`);
            const seccomp = at(sc, "seccompProfile", "type") ?? podSeccomp;
            if (!SECCOMP_PROFILES.has(String(seccomp))) {
                violations.push(`${label} must use the RuntimeDefault seccomp profile (on the pod or the container; is ${show(seccomp)})`);
            }
            for (const port of asList(container.ports).map(asObject)) {
                if (port?.hostPort !== undefined && port.hostPort !== 0)
                    violations.push(`${label} must not use hostPort ${show(port.hostPort)}`);
            }
        }
        return violations;
    },
};

const IMAGE_BY_DIGEST = /^([^\s@]+)@sha256:[0-9a-f]{64}$/;

export const imagesByDigest: ResourceCheck = {
    name: "images-by-digest",
    description: "Every container image is pinned by digest (`<repository>@sha256:<64 hex>`), never by a tag such as latest.",
    types: WORKLOAD_TYPES,
    check(type, props) {
        const spec = podSpecOf(type, props);
        if (!spec) return [];
        const violations: string[] = [];
        for (const { kind, container } of containersOf(spec)) {
            const image = container.image;
            const match = typeof image === "string" ? IMAGE_BY_DIGEST.exec(image) : null;
            const label = containerLabel(kind, container);
            if (!match) {
                violations.push(`${label} image ${show(image)} is not pinned by digest (<repository>@sha256:<64 hex>)`);
            } else if (match[1].slice(match[1].lastIndexOf("/") + 1).includes(":")) {
                // A tag next to the digest misleads a reader: the digest wins, and the tag says otherwise.
                violations.push(`${label} image ${show(image)} carries a tag as well as its digest; reference it by digest only`);
            }
        }
        return violations;
    },
};

export const jobsBounded: ResourceCheck = {
    name: "jobs-bounded",
    description: "Jobs set a backoffLimit and an activeDeadlineSeconds, so a failing Job fails the update instead of retrying forever.",
    types: [TYPES.job, TYPES.cronJob],
    check(type, props) {
        const spec =
            type === TYPES.job
                ? asObject(props.spec)
                : type === TYPES.cronJob
                  ? asObject(at(props, "spec", "jobTemplate", "spec"))
                  : undefined;
        if (!spec) return type === TYPES.job || type === TYPES.cronJob ? ["has no Job spec"] : [];
        const violations: string[] = [];
        const backoff = spec.backoffLimit;
        if (typeof backoff !== "number" || !Number.isInteger(backoff) || backoff < 0) {
            violations.push(`spec.backoffLimit must be set (is ${show(backoff)})`);
        }
        const deadline = spec.activeDeadlineSeconds;
        if (typeof deadline !== "number" || !Number.isInteger(deadline) || deadline <= 0) {
            violations.push(`spec.activeDeadlineSeconds must be set to a positive number of seconds (is ${show(deadline)})`);
        }
        return violations;
    },
};

// ---------------------------------------------------------------------------------------------
// Network.

const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** Whether a label selector selects a set of labels (matchLabels and matchExpressions, ANDed). */
function selects(selector: unknown, labels: Record<string, unknown>): boolean {
    const s = asObject(selector);
    if (!s) return false;
    const matchLabels = asObject(s.matchLabels) ?? {};
    if (!Object.entries(matchLabels).every(([k, v]) => labels[k] === v)) return false;
    return asList(s.matchExpressions).every((e) => {
        const key = String(at(e, "key"));
        const values = strings(at(e, "values"));
        const has = Object.prototype.hasOwnProperty.call(labels, key);
        switch (at(e, "operator")) {
            case "In":
                return has && values.includes(String(labels[key]));
            case "NotIn":
                return !has || !values.includes(String(labels[key]));
            case "Exists":
                return has;
            case "DoesNotExist":
                return !has;
            default:
                return false;
        }
    });
}

/** Whether a namespace selector selects the namespace `name` and no other. */
function pinsNamespace(selector: unknown, name: string): boolean {
    const s = asObject(selector);
    if (!s) return false;
    if (at(s, "matchLabels", NAMESPACE_NAME_LABEL) === name) return true;
    return asList(s.matchExpressions).some((e) => {
        const values = strings(at(e, "values"));
        return at(e, "key") === NAMESPACE_NAME_LABEL && at(e, "operator") === "In" && values.length === 1 && values[0] === name;
    });
}

function appliesToIngress(policy: StackResource): boolean {
    const types = at(policy.props, "spec", "policyTypes");
    // Without policyTypes, Kubernetes applies a policy to ingress always.
    return types === undefined || types === null || strings(types).includes("Ingress");
}

export const wordpressNetworkPolicy: StackCheck = {
    name: "wordpress-network-policy",
    description:
        "A NetworkPolicy selects the pods of every Deployment, and every NetworkPolicy that selects them admits ingress " +
        "only from the ingress controller's namespace.",
    types: [TYPES.deployment, TYPES.networkPolicy],
    options: ["ingressControllerNamespace"],
    check(resources, options) {
        const violations = new Set<string>();
        const policies = resources.filter((r) => r.type === TYPES.networkPolicy);
        for (const deployment of resources.filter((r) => r.type === TYPES.deployment)) {
            const namespace = at(deployment.props, "metadata", "namespace");
            const labels = asObject(at(deployment.props, "spec", "template", "metadata", "labels")) ?? {};
            const selecting = policies.filter(
                (p) =>
                    at(p.props, "metadata", "namespace") === namespace &&
                    selects(at(p.props, "spec", "podSelector"), labels) &&
                    appliesToIngress(p),
            );
            if (selecting.length === 0) {
                violations.add(
                    `${deployment.name}: no NetworkPolicy of its namespace selects its pods (labels ${show(labels)}) for ingress`,
                );
            }
            // NetworkPolicies add up: any one of them that admits more widens what reaches the pods.
            for (const policy of selecting) {
                const where = `${policy.name} (selects the pods of ${deployment.name})`;
                asList(at(policy.props, "spec", "ingress")).forEach((rule, i) => {
                    const from = asList(at(rule, "from"));
                    if (from.length === 0) violations.add(`${where}: ingress rule ${i} admits traffic from anywhere (no from)`);
                    for (const peer of from) {
                        if (at(peer, "ipBlock") !== undefined) {
                            violations.add(
                                `${where}: ingress rule ${i} admits an ipBlock; only the ingress controller's namespace may reach the pods`,
                            );
                        } else if (!pinsNamespace(at(peer, "namespaceSelector"), options.ingressControllerNamespace)) {
                            violations.add(
                                `${where}: ingress rule ${i} admits ${show(peer)}; only the namespace ${show(options.ingressControllerNamespace)} ` +
                                    `(namespaceSelector ${NAMESPACE_NAME_LABEL}: ${options.ingressControllerNamespace}) may reach the pods`,
                            );
                        }
                    }
                });
            }
        }
        return [...violations];
    },
};

// ---------------------------------------------------------------------------------------------
// The checks, and the same checks as @pulumi/policy policies.

export const resourceChecks: readonly ResourceCheck[] = [
    rdsInstanceHardened,
    iamNoWildcards,
    siteRoleOwnPrefix,
    secretsPresent,
    podSecurityRestricted,
    imagesByDigest,
    jobsBounded,
];

export const stackChecks: readonly StackCheck[] = [rdsRequireSecureTransport, s3BucketHardened, wordpressNetworkPolicy];

function resourcePolicy(check: ResourceCheck): ResourceValidationPolicy {
    return {
        name: check.name,
        description: check.description,
        validateResource: (args, reportViolation) => {
            if (!check.types.includes(args.type)) return;
            for (const violation of check.check(args.type, args.props, args.name)) reportViolation(violation);
        },
    };
}

function stackPolicy(check: StackCheck): StackValidationPolicy {
    return {
        name: check.name,
        description: check.description,
        ...(check.options?.length
            ? {
                  configSchema: {
                      properties: Object.fromEntries(
                          check.options.map((o) => [o, { type: "string" as const, default: DEFAULT_STACK_OPTIONS[o] }]),
                      ),
                  },
              }
            : {}),
        validateStack: (args, reportViolation) => {
            const resources: StackResource[] = args.resources.map((r) => ({
                type: r.type,
                name: r.name,
                urn: r.urn,
                props: r.props,
                dependencies: r.dependencies.map((d) => d.urn),
            }));
            const options: StackOptions = { ...DEFAULT_STACK_OPTIONS, ...args.getConfig<Partial<StackOptions>>() };
            for (const violation of check.check(resources, options))
                reportViolation(violation, subjectOf(violation, resources, check.types));
        },
    };
}

/**
 * The URN of the resource a stack violation is about: its message starts with the resource's name
 * (`platform-files: ...`, `wordpress-ingress (selects ...)`), so the CLI shows it under that resource.
 */
function subjectOf(violation: string, resources: readonly StackResource[], types: readonly string[]): string | undefined {
    const named = resources.filter((r) => violation.startsWith(`${r.name}:`) || violation.startsWith(`${r.name} `));
    const longest = Math.max(...named.map((r) => r.name.length));
    const candidates = named.filter((r) => r.name.length === longest);
    return (candidates.find((r) => types.includes(r.type)) ?? candidates[0])?.urn;
}

/** Every check as a policy of the pack (policy/index.ts). */
export const policies: Policies = [...resourceChecks.map(resourcePolicy), ...stackChecks.map(stackPolicy)];
