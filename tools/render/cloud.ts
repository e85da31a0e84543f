// The resources of a program run that are not Kubernetes objects (AWS, MySQL, random, the
// providers) as one Markdown file: per component, a table of one row per resource with the
// settings that matter, then every input of every resource, so a review sees what changes.
import type { Registered } from "../offline";
import { kubernetesType, toYaml } from "./kubernetes";
import { compareText } from "../../src/text";
import { COMPUTED, type Path, isPlainObject, present } from "./values";

/** Inputs that hold a secret by their nature: never shown, whether the program marked them or not. */
const SENSITIVE_INPUTS = new Set(["password", "plaintextPassword", "secretString", "secretBinary"]);

/** Inputs holding a JSON document: summarized as statements in the table, parsed in the details. */
const JSON_INPUTS = new Set(["policy", "assumeRolePolicy"]);

/**
 * The settings in the table, per type. A name input left out is generated at deployment (Pulumi
 * autonaming): it reads `<computed>`. Every input is in the details below the tables.
 */
const SUMMARY: Record<string, { readonly keys: readonly string[]; readonly autonamed?: string }> = {
    "aws:rds/instance:Instance": {
        keys: [
            "identifier",
            "engine",
            "engineVersion",
            "instanceClass",
            "allocatedStorage",
            "maxAllocatedStorage",
            "storageType",
            "storageEncrypted",
            "publiclyAccessible",
            "multiAz",
            "backupRetentionPeriod",
            "skipFinalSnapshot",
            "finalSnapshotIdentifier",
            "deletionProtection",
            "dbSubnetGroupName",
            "parameterGroupName",
            "vpcSecurityGroupIds",
            "username",
            "password",
        ],
        autonamed: "identifier",
    },
    "aws:rds/subnetGroup:SubnetGroup": { keys: ["name", "subnetIds"], autonamed: "name" },
    "aws:rds/parameterGroup:ParameterGroup": { keys: ["name", "family", "parameters"], autonamed: "name" },
    "aws:ec2/securityGroup:SecurityGroup": { keys: ["name", "vpcId", "ingress", "egress"], autonamed: "name" },
    "aws:s3/bucket:Bucket": { keys: ["bucket", "forceDestroy"], autonamed: "bucket" },
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": { keys: ["bucket", "rule"] },
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {
        keys: ["bucket", "blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"],
    },
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": { keys: ["bucket", "rules"] },
    "aws:s3/bucketVersioning:BucketVersioning": { keys: ["bucket", "versioningConfiguration"] },
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": { keys: ["bucket", "rules"] },
    "aws:s3/bucketPolicy:BucketPolicy": { keys: ["bucket", "policy"] },
    "aws:iam/role:Role": { keys: ["name", "path", "assumeRolePolicy", "managedPolicyArns"], autonamed: "name" },
    "aws:iam/rolePolicy:RolePolicy": { keys: ["role", "policy"] },
    "aws:secretsmanager/secret:Secret": { keys: ["name", "recoveryWindowInDays", "kmsKeyId"], autonamed: "name" },
    "aws:secretsmanager/secretVersion:SecretVersion": { keys: ["secretId", "secretString"] },
    "mysql:index/database:Database": { keys: ["name", "defaultCharacterSet", "defaultCollation"] },
    "mysql:index/user:User": { keys: ["user", "host", "plaintextPassword"] },
    "mysql:index/grant:Grant": { keys: ["user", "host", "database", "table", "privileges"] },
    "random:index/randomPassword:RandomPassword": { keys: ["length", "special"] },
    "random:index/randomBytes:RandomBytes": { keys: ["length"] },
};

/** Not in the table: Kubernetes objects (rendered as manifests) and components (they have no settings). */
export function isCloudResource(resource: Registered): boolean {
    return resource.custom && !kubernetesType(resource.type);
}

const sensitive = (path: Path): boolean => path.length === 1 && SENSITIVE_INPUTS.has(String(path[0]));

/** cloud.md: the tables, then the details. */
export function cloudText(stack: string, resources: readonly Registered[], hooks: readonly string[] = []): string {
    const cloud = resources.filter(isCloudResource).map((resource) => ({
        resource,
        inputs: present(resource.raw, sensitive, resource.ignoreChanges).value as Record<string, unknown>,
    }));
    const groups = new Map<string, typeof cloud>();
    for (const entry of cloud) groups.set(entry.resource.parent, [...(groups.get(entry.resource.parent) ?? []), entry]);
    const order = (a: Registered, b: Registered) => compareText(a.type, b.type) || compareText(a.name, b.name);

    const lines = [
        `# Cloud resources of stack \`${stack}\``,
        "",
        `Rendered by \`npm run render -- ${stack}\`: do not edit (see README.md). Every resource that is not a Kubernetes object,`,
        `grouped by the component it belongs to. \`${COMPUTED}\`: known only after deployment (generated names, ARNs, ids,`,
        "addresses, the account). `[secret]`: a secret, never written. JSON policies are summarized in the tables, in full in the details.",
    ];
    for (const parent of [...groups.keys()].sort(compareText)) {
        lines.push("", `## ${componentTitle(parent)}`, "", "| resource | type | settings |", "| --- | --- | --- |");
        for (const { resource, inputs } of groups.get(parent)!.sort((a, b) => order(a.resource, b.resource))) {
            lines.push(`| ${cell(resource.name)} | ${cell(resource.type)} | ${cell(summary(resource, inputs))} |`);
        }
    }
    lines.push("", "## Resource hooks", "");
    if (hooks.length === 0) lines.push("None: the program registers no resource hook on this stack.");
    for (const hook of hooks) {
        const users = resources
            .filter((r) => r.afterDeleteHooks.includes(hook))
            .map((r) => `${r.type.slice(r.type.lastIndexOf(":") + 1)} \`${r.name}\``);
        lines.push(`- \`${hook}\`: the engine runs it after it deletes ${users.length > 0 ? users.join(", ") : "(no resource names it)"}.`);
    }
    lines.push("", "## Details");
    for (const { resource, inputs } of [...cloud].sort((a, b) => compareText(a.resource.urn, b.resource.urn))) {
        lines.push(
            "",
            `### ${resource.name} (${resource.type})`,
            "",
            "```yaml",
            toYaml(details(resource, inputs), DETAIL_KEYS).trimEnd(),
            "```",
        );
    }
    return `${lines.join("\n")}\n`;
}

/** `Platform \`platform\``, `Site \`rrr\``: the component a parent URN (`urn:pulumi:<stack>::<project>::<type chain>::<name>`) names. */
function componentTitle(parentUrn: string): string {
    const parts = parentUrn.split("::");
    const type = parts[2]?.split("$").pop() ?? "";
    if (parts.length < 4 || type === "pulumi:pulumi:Stack") return "The stack";
    return `${type.slice(type.lastIndexOf(":") + 1)} \`${parts.slice(3).join("::")}\``;
}

function summary(resource: Registered, inputs: Record<string, unknown>): string {
    const spec = SUMMARY[resource.type];
    const keys =
        spec?.keys ??
        Object.keys(inputs)
            .filter((k) => k !== "tags" && k !== "description")
            .sort(compareText);
    const settings = keys
        .filter((key) => inputs[key] !== undefined || key === spec?.autonamed)
        .map((key) => {
            const value = inputs[key] === undefined ? COMPUTED : inputs[key];
            return `${key}=${JSON_INPUTS.has(key) ? policySummary(value) : show(value)}`;
        });
    if (resource.protect) settings.push("(protect)");
    if (resource.retainOnDelete) settings.push("(retainOnDelete)");
    for (const hook of resource.afterDeleteHooks) settings.push(`(after delete: hook ${hook})`);
    return settings.join(", ");
}

const DETAIL_KEYS = ["urn", "provider", "protect", "retainOnDelete", "ignoreChanges", "hooks", "inputs"];

/** Every input, JSON documents parsed, and the options a review should see. */
function details(resource: Registered, inputs: Record<string, unknown>): Record<string, unknown> {
    const parsed = Object.fromEntries(Object.entries(inputs).map(([key, value]) => [key, JSON_INPUTS.has(key) ? parseJson(value) : value]));
    const provider = providerName(resource.provider);
    return {
        urn: resource.urn,
        ...(provider ? { provider } : {}),
        ...(resource.protect ? { protect: true } : {}),
        ...(resource.retainOnDelete ? { retainOnDelete: true } : {}),
        ...(resource.ignoreChanges.length > 0 ? { ignoreChanges: [...resource.ignoreChanges].sort(compareText) } : {}),
        ...(resource.afterDeleteHooks.length > 0 ? { hooks: { afterDelete: [...resource.afterDeleteHooks] } } : {}),
        inputs: parsed,
    };
}

/** The name of an explicit provider from its reference (`<urn>::<id>`); undefined for the default one. */
function providerName(reference: string): string | undefined {
    if (!reference) return undefined;
    const parts = reference.split("::");
    return parts.length >= 2 ? parts[parts.length - 2] : reference;
}

function parseJson(value: unknown): unknown {
    if (typeof value !== "string") return value;
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}

/** A value on one line. */
function show(value: unknown): string {
    if (typeof value === "string") return value;
    if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`;
    if (isPlainObject(value)) {
        return `{${Object.keys(value)
            .sort(compareText)
            .map((k) => `${k}: ${show(value[k])}`)
            .join(", ")}}`;
    }
    return String(value);
}

/** An IAM policy as its statements: `Sid: Effect Action on Resource [by Principal] [if Condition]`. */
function policySummary(value: unknown): string {
    const doc = parseJson(value);
    if (!isPlainObject(doc) || doc.Statement === undefined) return show(doc);
    const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
    return statements
        .map((s: unknown) => {
            if (!isPlainObject(s)) return show(s);
            const parts = [
                s.Sid !== undefined ? `${show(s.Sid)}:` : undefined,
                show(s.Effect),
                show(s.Action ?? s.NotAction),
                s.Resource !== undefined || s.NotResource !== undefined ? `on ${show(s.Resource ?? s.NotResource)}` : undefined,
                s.Principal !== undefined ? `by ${show(s.Principal)}` : undefined,
                s.Condition !== undefined ? `if ${show(s.Condition)}` : undefined,
            ];
            return parts.filter((p) => p !== undefined).join(" ");
        })
        .join("; ");
}

/** Text in a Markdown table cell. */
function cell(text: string): string {
    return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}
