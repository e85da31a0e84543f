// The stack config of namespace `wp-platform`, typed and validated. Creates no resources.
//
// The Pulumi runtime hands config to the program as strings (objects and lists as JSON), so
// `parseConfig` takes that raw map; `index.ts` passes it `pulumi.runtime.allConfig()`.
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { type KeyPath, keyPathText, location, type Position, schemaProblems, suggest, valueAt } from "./diagnostics";
import { type StackFilePositions, stackFilePositions } from "./stack-file";

export const NAMESPACE = "wp-platform";
export const COLORS = ["blue", "green"] as const;
export type Color = (typeof COLORS)[number];

/** A digest as the release config takes it: `sha256:<64 hex>`. */
export const DIGEST_PATTERN = "sha256:[0-9a-f]{64}";
const DIGEST = new RegExp(`^${DIGEST_PATTERN}$`);
// A repository reference: optional registry host (with port), path components, no tag or digest.
const IMAGE_REPOSITORY = /^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const K8S_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/;

const digest = z.string().refine((s) => DIGEST.test(s), {
    error: (issue) =>
        `${JSON.stringify(issue.input)} is not a digest: images are pinned as "sha256:<64 hex>", never by a tag` +
        ` (\`docker buildx imagetools inspect <image>:<tag>\` prints the digest of a tag)`,
});
const domain = z.string().regex(DOMAIN, "a lowercase DNS domain");
const k8sName = z.string().regex(K8S_NAME, "a Kubernetes name: lowercase letters, digits and hyphens, at most 63");
/** An IPv4 network of at most a /8, written as its network address ("10.20.0.0/16", "203.0.113.7/32"). */
const ipv4Cidr = z.string().superRefine((s, ctx) => {
    const problem = ipv4CidrProblem(s);
    if (problem) ctx.addIssue({ code: "custom", message: `${JSON.stringify(s)} ${problem}` });
});
const quantity = z.string().regex(QUANTITY, 'a Kubernetes quantity such as "250m", "1" or "512Mi"');

const releaseSchema = z
    .object({
        active: z.enum(COLORS, "blue or green"),
        blue: digest,
        green: digest,
        // An HPA cannot scale to zero without a feature gate: the spare color keeps at least one pod.
        idleReplicas: z.number().int().min(1, "at least 1: the spare color keeps one pod").max(10).default(1),
        previewDomain: domain.optional(),
    })
    .strict();

const networkSchema = z
    .object({
        vpcId: z.string().regex(/^vpc-[0-9a-f]+$/, 'a VPC id, "vpc-..."'),
        subnetIds: z
            .array(z.string().regex(/^subnet-[0-9a-f]+$/, 'a subnet id, "subnet-..."'))
            .min(2, "at least two private subnets (RDS needs two availability zones)"),
        nodeSecurityGroupId: z.string().regex(/^sg-[0-9a-f]+$/, 'a security group id, "sg-..."'),
    })
    .strict();

const databaseSchema = z
    .object({
        instanceClass: z
            .string()
            .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'an RDS instance class such as "db.t4g.medium"')
            .default("db.t4g.medium"),
        // 8.4 is the LTS line; 8.0 left RDS standard support on 2026-07-31. A change is a major
        // upgrade in place: docs/engine.md, "Moving a stack to a new MySQL version".
        engineVersion: z
            .string()
            .regex(/^8\.(0|4)(\.[0-9]+)?$/, 'an RDS MySQL version of the 8.4 or 8.0 line, such as "8.4" or "8.4.6"')
            .default("8.4"),
        allocatedStorage: z.number().int().min(20).max(65536).default(20),
        maxAllocatedStorage: z.number().int().min(20).max(65536).default(100),
        multiAz: z.boolean().default(false),
        backupRetentionDays: z.number().int().min(7, "at least 7 days").max(35).default(7),
        tls: z.enum(["true", "skip-verify"], '"true" (verify the RDS certificate) or "skip-verify"').default("true"),
        // Where `pulumi up` runs: the MySQL provider connects from there (docs/ci.md, "Runners").
        adminSecurityGroupIds: z.array(z.string().regex(/^sg-[0-9a-f]+$/, 'a security group id, "sg-..."')).default([]),
        adminCidrs: z.array(ipv4Cidr).default([]),
    })
    .strict()
    .refine((d) => d.maxAllocatedStorage >= d.allocatedStorage, {
        message: "maxAllocatedStorage must be at least allocatedStorage",
        path: ["maxAllocatedStorage"],
    });

const wordpressSchema = z
    .object({
        port: z.number().int().min(1024, "a port of 1024 or more: the image runs as non-root").max(65535).default(8080),
        probePath: z
            .string()
            .regex(/^\/[A-Za-z0-9._~\/-]*$/, "an absolute URL path")
            .default("/healthz"),
        requests: z
            .object({ cpu: quantity.default("250m"), memory: quantity.default("256Mi") })
            .strict()
            .prefault({}),
        limits: z
            .object({ cpu: quantity.default("1"), memory: quantity.default("512Mi") })
            .strict()
            .prefault({}),
        minReplicas: z.number().int().min(1).max(100).default(2),
        maxReplicas: z.number().int().min(1).max(500).default(10),
        targetCpuUtilization: z.number().int().min(10).max(100).default(70),
        runAsUser: z.number().int().min(1, "a non-root uid").default(33),
    })
    .strict()
    .refine((w) => w.maxReplicas >= w.minReplicas, { message: "maxReplicas must be at least minReplicas", path: ["maxReplicas"] });

const ingressSchema = z
    .object({
        className: k8sName.default("nginx"),
        controllerNamespace: k8sName.default("ingress-nginx"),
        clusterIssuer: k8sName.optional(),
        tlsSecretName: k8sName.optional(),
    })
    .strict()
    .refine((i) => !(i.clusterIssuer && i.tlsSecretName), {
        message: "set clusterIssuer (a certificate per site from cert-manager) or tlsSecretName (one shared certificate), not both",
    });

const jobsSchema = z
    .object({
        backoffLimit: z.number().int().min(0).max(10).default(2),
        deadlineSeconds: z.number().int().min(60).max(3600).default(600),
    })
    .strict();

/** The cron runner of each color (components/release.ts): how many sites at once, and how long each may take. */
const cronSchema = z
    .object({
        concurrency: z.number().int().min(1).max(32).default(4),
        siteTimeoutSeconds: z.number().int().min(10).max(3600).default(120),
        intervalSeconds: z.number().int().min(10).max(300).default(60),
        requests: z
            .object({ cpu: quantity.default("100m"), memory: quantity.default("128Mi") })
            .strict()
            .prefault({}),
        limits: z
            .object({ cpu: quantity.default("500m"), memory: quantity.default("256Mi") })
            .strict()
            .prefault({}),
    })
    .strict();

// The stack's object cache: one ElastiCache for Valkey replication group (components/platform.ts).
const cacheSchema = z
    .object({
        enabled: z.boolean().default(true),
        nodeType: z
            .string()
            .regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, 'an ElastiCache node type such as "cache.t4g.small"')
            .default("cache.t4g.small"),
        // Replicas of the one shard: ElastiCache allows 0 to 5; with one or more the group fails over
        // automatically, across availability zones.
        replicas: z.number().int().min(0, "0 to 5 replicas").max(5, "at most 5: ElastiCache's limit of replicas per shard").default(1),
        // Valkey as <major>.<minor> (the AWS provider refuses a patch version). A downgrade replaces
        // the group (a cold cache): docs/engine.md, "The object cache".
        engineVersion: z
            .string()
            .regex(/^(7|8|9)\.[0-9]+$/, 'a Valkey version as <major>.<minor>, such as "9.0"')
            .default("9.0"),
    })
    .strict();

// The stack's edge: one CloudFront multi-tenant distribution, its WAF web ACL and a tenant per site
// (components/edge.ts, components/site-edge.ts). Off unless a stack turns it on.
const edgeSchema = z
    .object({
        enabled: z.boolean().default(false),
        // The DNS name of the ingress controller's load balancer: CloudFront's origin for pages.
        originDomain: domain.optional(),
        // A public hosted zone holding the sites' hostnames: alias records to the edge. Without one, the
        // stack output edgeDns says what to point where.
        route53ZoneId: z
            .string()
            .regex(/^Z[0-9A-Z]{1,31}$/, 'a Route 53 hosted zone id, "Z" and up to 31 uppercase letters and digits')
            .optional(),
        // One ACM certificate covering every hostname of the stack (e.g. a wildcard of allowedDomains).
        // CloudFront reads certificates from us-east-1 only. Without one, each site's tenant asks CloudFront
        // for a managed certificate of its own.
        certificateArn: z
            .string()
            .regex(
                /^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate\/[0-9a-f-]{36}$/,
                'an ACM certificate ARN in us-east-1 (CloudFront reads no other region), "arn:aws:acm:us-east-1:<account>:certificate/<id>"',
            )
            .optional(),
        // Requests per client IP per 5 minutes to /wp-login.php and /xmlrpc.php before WAF blocks that IP.
        // WAF's rate-based rules take 10 at least.
        loginRateLimit: z.number().int().min(10, "at least 10: AWS WAF's smallest rate limit").max(2_000_000_000).default(100),
    })
    .strict()
    .refine((e) => !e.enabled || e.originDomain !== undefined, {
        message: "required when edge.enabled: the DNS name of the ingress controller's load balancer",
        path: ["originDomain"],
    });

/** Every key of the namespace, with its type and default. Objects arrive as JSON strings. */
const configSchema = z.object({
    sitesDir: z.string().min(1).optional(),
    image: z.string().refine((s) => IMAGE_REPOSITORY.test(s), {
        error: (issue) => {
            const s = String(issue.input);
            return /[@:][^/]*$/.test(s.replace(/^[^/]*\//, ""))
                ? `${JSON.stringify(s)} carries a tag or digest: give the repository only (e.g. "123456789012.dkr.ecr.eu-west-1.amazonaws.com/wordpress"); digests go in wp-platform:release`
                : `${JSON.stringify(s)} is not an image repository`;
        },
    }),
    release: releaseSchema,
    namespace: k8sName.default("wp-platform"),
    allowedDomains: z.array(domain).default([]),
    retainDataOnDelete: z.boolean().default(false),
    deletionProtection: z.boolean().optional(),
    adminEmail: z.email("an e-mail address"),
    oidcProviderArn: z
        .string()
        .regex(
            /^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider\/.+$/,
            'the ARN of the cluster\'s IAM OIDC provider, "arn:aws:iam::<account>:oidc-provider/<issuer>"',
        ),
    kubeContext: z.string().min(1).optional(),
    network: networkSchema,
    database: databaseSchema.prefault({}),
    wordpress: wordpressSchema.prefault({}),
    ingress: ingressSchema.prefault({}),
    jobs: jobsSchema.prefault({}),
    cron: cronSchema.prefault({}),
    cache: cacheSchema.prefault({}),
    edge: edgeSchema.prefault({}),
});

type Parsed = z.infer<typeof configSchema>;
export type ReleaseConfig = Parsed["release"];
export type NetworkConfig = Parsed["network"];
export type DatabaseConfig = Parsed["database"];
export type WordpressConfig = Parsed["wordpress"];
export type IngressConfig = Parsed["ingress"];
export type JobsConfig = Parsed["jobs"];
export type CronConfig = Parsed["cron"];

export interface PlatformConfig extends Omit<Parsed, "sitesDir" | "deletionProtection"> {
    readonly stack: string;
    /** Absolute path of the stack's folder of site files. */
    readonly sitesDir: string;
    /** RDS deletion protection and Pulumi `protect` on the instance and bucket; default: retainDataOnDelete. */
    readonly deletionProtection: boolean;
}

export const CONFIG_KEYS = Object.keys(configSchema.shape) as readonly (keyof Parsed)[];

/** Keys whose raw value is JSON (objects, lists, booleans). */
const JSON_KEYS: ReadonlySet<string> = new Set([
    "release",
    "allowedDomains",
    "retainDataOnDelete",
    "deletionProtection",
    "network",
    "database",
    "wordpress",
    "ingress",
    "jobs",
    "cron",
    "cache",
    "edge",
]);

/** One problem of the config: the key (`wp-platform:release.active`), what is wrong, where, and the value given. */
export interface ConfigProblem {
    readonly key: string;
    readonly message: string;
    /** The stack file, as its name beside the project (`Pulumi.stg.yaml`), when there is one. */
    readonly file?: string;
    readonly position?: Position;
    /** The value the program got, when it got one. */
    readonly got?: { readonly value: unknown };
}

/** `Pulumi.stg.yaml:12:13: wp-platform:release.active: blue or green (got "bleu")`, leaving out what is unknown. */
export function formatConfigProblem(p: ConfigProblem): string {
    const where = p.file === undefined ? "" : `${location(p.file, p.position?.line, p.position?.column)}: `;
    return `${where}${p.key}: ${p.message}${p.got ? ` (got ${shown(p.got.value)})` : ""}`;
}

function shown(value: unknown): string {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export class ConfigError extends Error {
    /** Each problem formatted: `<file>:<line>:<column>: <key>: <problem> (got <value>)`. */
    readonly problems: readonly string[];

    constructor(readonly details: readonly ConfigProblem[]) {
        const problems = details.map(formatConfigProblem);
        super(
            `${problems.length} problem${problems.length === 1 ? "" : "s"} in the stack config:\n${problems.map((p) => `  ${p}`).join("\n")}`,
        );
        this.name = "ConfigError";
        this.problems = problems;
    }
}

/**
 * Validates the raw config (`"wp-platform:key"` -> string, as `pulumi.runtime.allConfig()` returns it).
 * Throws one ConfigError listing every problem: missing keys, unknown keys, bad values. The
 * runtime hands over values, not the file they came from: when Pulumi.<stack>.yaml is beside the
 * project, each problem names its line and column there (where the file holds that value).
 */
export function parseConfig(raw: Readonly<Record<string, string>>, stack: string, projectRoot: string): PlatformConfig {
    const stackFile = ["yaml", "yml"].map((ext) => `Pulumi.${stack}.${ext}`).find((f) => fs.existsSync(path.join(projectRoot, f)));
    const positions: StackFilePositions | undefined = stackFile ? stackFilePositions(path.join(projectRoot, stackFile)) : undefined;
    const details: ConfigProblem[] = [];
    const problem = (key: string, keyPath: KeyPath, message: string, got?: { value: unknown }) => {
        const fullKey = `${NAMESPACE}:${key}`;
        let position: Position | undefined;
        let inFile: boolean;
        if (got) {
            position = positions?.positionOf(fullKey, keyPath, got.value);
            inFile = position !== undefined;
        } else if (keyPath.length > 0) {
            // A missing field: at the object that lacks it, when the file holds that object.
            position = positions?.positionOf(fullKey, keyPath.slice(0, -1), valueAt(values[key], keyPath.slice(0, -1)));
            inFile = position !== undefined;
        } else {
            // A missing key: the file is where to add it (unless it has it, and the value came from elsewhere).
            inFile = positions !== undefined && positions.keyAt(fullKey) === undefined;
        }
        details.push({
            key: keyPathText(keyPath, fullKey),
            message,
            file: inFile ? stackFile : undefined,
            position,
            got,
        });
    };
    const values: Record<string, unknown> = {};
    for (const [fullKey, value] of Object.entries(raw)) {
        const [ns, key] = splitKey(fullKey);
        if (ns !== NAMESPACE) continue;
        if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
            const guess = suggest(key, CONFIG_KEYS);
            const message = `unknown key${guess ? ` (did you mean ${NAMESPACE}:${guess}?)` : ""}; known keys: ${CONFIG_KEYS.join(", ")}`;
            details.push({
                key: fullKey,
                message,
                file: positions?.keyAt(fullKey) ? stackFile : undefined,
                position: positions?.keyAt(fullKey),
            });
            continue;
        }
        if (!JSON_KEYS.has(key)) {
            values[key] = value;
            continue;
        }
        try {
            values[key] = JSON.parse(value);
        } catch {
            problem(key, [], `not valid here; set it with \`pulumi config set --path\` or as YAML in Pulumi.${stack}.yaml`, { value });
        }
    }
    const result = configSchema.safeParse(values);
    if (!result.success) {
        for (const found of schemaProblems(configSchema, values, result.error.issues)) {
            const [key, ...rest] = found.keyPath;
            if (found.kind === "unknown key") {
                const guess = suggest(found.key, found.known);
                const where = keyPathText(rest.slice(0, -1), `${NAMESPACE}:${String(key)}`);
                const message =
                    `unknown key${guess ? ` (did you mean ${guess}?)` : ""}` +
                    (found.known.length > 0 ? `; known keys of ${where}: ${found.known.join(", ")}` : "");
                problem(String(key), rest, message, { value: found.value });
            } else if (key === undefined) {
                problem("", [], found.message);
            } else {
                const missing = found.code === "invalid_type" && found.value === undefined;
                problem(
                    String(key),
                    rest,
                    missing ? `required; ${describeKey(String(key))}` : found.message,
                    missing ? undefined : { value: found.value },
                );
            }
        }
    }
    if (details.length > 0) throw new ConfigError(details);
    const parsed = result.data!;
    return {
        ...parsed,
        stack,
        sitesDir: sitesDirOf(projectRoot, stack, parsed.sitesDir),
        deletionProtection: parsed.deletionProtection ?? parsed.retainDataOnDelete,
    };
}

/** What the site files are checked with: where they are, and the stack's rules for their hostnames. */
export interface SiteOptions {
    /** Absolute; undefined when wp-platform:sitesDir is set to something that is not a folder name. */
    readonly sitesDir?: string;
    readonly allowedDomains: readonly string[];
    readonly previewDomain?: string;
}

/**
 * The site options of a config that parseConfig refuses: each one that is valid on its own (an
 * invalid allowed domain is left out, an invalid previewDomain is none). So that a config problem
 * never hides the site files' problems: the program and sites:check report both at once.
 */
export function siteOptionsOf(raw: Readonly<Record<string, string>>, stack: string, projectRoot: string): SiteOptions {
    const values = new Map<string, string>();
    for (const [fullKey, value] of Object.entries(raw)) {
        const [ns, key] = splitKey(fullKey);
        if (ns === NAMESPACE) values.set(key, value);
    }
    const json = (key: string): unknown => {
        try {
            return JSON.parse(values.get(key) ?? "null");
        } catch {
            return undefined;
        }
    };
    const sitesDir = values.get("sitesDir");
    const allowed = json("allowedDomains");
    const release = json("release");
    const preview = domain.safeParse(
        typeof release === "object" && release !== null ? (release as Record<string, unknown>).previewDomain : undefined,
    );
    return {
        sitesDir: sitesDir === "" ? undefined : sitesDirOf(projectRoot, stack, sitesDir),
        allowedDomains: Array.isArray(allowed) ? allowed.filter((d) => domain.safeParse(d).success) : [],
        previewDomain: preview.success ? preview.data : undefined,
    };
}

function sitesDirOf(projectRoot: string, stack: string, sitesDir: string | undefined): string {
    return path.resolve(projectRoot, sitesDir ?? path.join("sites", stack));
}

function ipv4CidrProblem(cidr: string): string | undefined {
    const match = /^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\/([0-9]{1,2})$/.exec(cidr);
    if (!match) return 'is not an IPv4 CIDR such as "10.20.0.0/16" or "203.0.113.7/32"';
    const octets = match.slice(1, 5).map(Number);
    const bits = Number(match[5]);
    if (octets.some((o) => o > 255) || bits > 32) return "is not an IPv4 CIDR (octets 0-255, prefix 0-32)";
    // The instance is private, but a wide range still admits every host of the VPC and what is peered to it.
    if (bits < 8) return "is wider than a /8: name the runner's own network (its /32, or its subnet)";
    const address = octets.reduce((a, o) => a * 256 + o, 0);
    const hostBits = 2 ** (32 - bits);
    if (address % hostBits !== 0) {
        const network = address - (address % hostBits);
        const dotted = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join(".");
        return `has host bits set: the network is ${dotted}/${bits}`;
    }
    return undefined;
}

function describeKey(key: string | undefined): string {
    switch (key) {
        case "image":
            return "the WordPress image repository, without tag or digest";
        case "release":
            return 'the release, { active: blue|green, blue: "sha256:...", green: "sha256:..." }';
        case "adminEmail":
            return "the e-mail of the sites' WordPress admin";
        case "oidcProviderArn":
            return "the ARN of the cluster's IAM OIDC provider (for IRSA)";
        case "network":
            return "{ vpcId, subnetIds, nodeSecurityGroupId } of the cluster";
        default:
            return "see README, Configuration";
    }
}

function splitKey(fullKey: string): [string, string] {
    const i = fullKey.indexOf(":");
    if (i < 0) return ["", fullKey];
    // The runtime may pass "ns:config:key" (older language hosts).
    const rest = fullKey.slice(i + 1);
    return [fullKey.slice(0, i), rest.startsWith("config:") ? rest.slice("config:".length) : rest];
}

/** `<image>@<digest>`: the only way the program refers to an image. */
export function imageRef(image: string, digest: string): string {
    return `${image}@${digest}`;
}
