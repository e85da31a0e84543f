// The data: the shared RDS instance and its parameter group, the stack's S3 bucket, and where each
// type keeps its secret values. Buckets and parameter groups are joined to what they configure by
// dependency (or by the name the resource's props give), never by their Pulumi names.
import {
    type Json,
    type Props,
    type ResourceCheck,
    type StackCheck,
    TYPES,
    asList,
    asObject,
    at,
    isNonEmpty,
    peek,
    show,
    statements,
    strings,
} from "./model";

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
    // The cache's AUTH token, absent when RBAC user groups are used.
    [TYPES.replicationGroup]: { fields: ["authToken"], required: "optional" },
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
