// One hosted WordPress site: its database and user on the shared instance, its secrets, its S3
// prefix and role, its Ingress and its provisioning Jobs. Every child is named `<id>-...` and
// parented to the site, so the site id is in every URN: renaming a site is a new site.
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as mysql from "@pulumi/mysql";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Color, IngressConfig, JobsConfig } from "../src/config";
import {
    SERVICE_PORT,
    SITE_TYPE,
    databaseName,
    databaseUser,
    secretName,
    serviceName,
    siteObjectName,
    sitePrefix,
    previewHostname,
    siteRoleName,
    siteRolePath,
} from "../src/naming";
import { containerSecurityContext, podSecurityContext } from "../src/pods";
import { FILES_TAG, filesLocationTag } from "../src/site-files";
import type { SiteSpec } from "../src/sites";
import type { Providers } from "./platform";

export interface SiteArgs {
    /** The validated site file. */
    readonly site: SiteSpec;
    /** The stack name: in the secret name, the role name and tags. */
    readonly stack: string;
    /** Kubernetes namespace of the platform. */
    readonly namespace: pulumi.Input<string>;
    /** The site's color: its `service`, with `active` resolved. */
    readonly color: Color;
    /** The image of that color, `<repository>@sha256:...`. */
    readonly image: string;
    /** The stack's Kubernetes and MySQL providers. */
    readonly providers: Providers;
    /** Host of the shared MySQL instance. */
    readonly dbHost: pulumi.Input<string>;
    /** The stack's files bucket. */
    readonly bucketName: pulumi.Input<string>;
    readonly bucketArn: pulumi.Input<string>;
    /** The role of the WordPress pods, the only principal that may assume the site's role. */
    readonly workloadRoleArn: pulumi.Input<string>;
    /** ServiceAccount the Jobs run as. */
    readonly serviceAccountName: pulumi.Input<string>;
    /** E-mail of the WordPress admin user. */
    readonly adminEmail: string;
    /** Ingress class and TLS. */
    readonly ingress: IngressConfig;
    /** Retries and deadline of the provisioning Jobs. */
    readonly jobs: JobsConfig;
    /** Non-root uid of the image. */
    readonly runAsUser: number;
    /** Keep the database, user and secret in the cloud when the site is removed. */
    readonly retainData: boolean;
    /** The Service and Deployment of the site's color: the Ingress backend, and what the cache flush waits for. */
    readonly serving: { readonly service: k8s.core.v1.Service; readonly deployment: k8s.apps.v1.Deployment };
    /** When the stack has a preview domain: the host `<id>.<domain>` on the other color. */
    readonly preview?: PreviewArgs;
    /** When the stack does not retain data: deletes the site's files once the site is removed. */
    readonly filesCleanup?: pulumi.ResourceHook;
}

export interface PreviewArgs {
    readonly domain: string;
    /** The color the site is not on. */
    readonly color: Color;
}

/** WordPress's eight keys and salts, each 64 characters. */
export const SALT_NAMES = [
    "AUTH_KEY",
    "SECURE_AUTH_KEY",
    "LOGGED_IN_KEY",
    "NONCE_KEY",
    "AUTH_SALT",
    "SECURE_AUTH_SALT",
    "LOGGED_IN_SALT",
    "NONCE_SALT",
] as const;

export const ADMIN_USER = "platform-admin";

/** The database privileges WordPress needs to run and to upgrade its own schema; nothing global. */
export const DB_PRIVILEGES = [
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "CREATE",
    "DROP",
    "ALTER",
    "INDEX",
    "CREATE TEMPORARY TABLES",
    "LOCK TABLES",
];

// The scripts are constants: every value a site file supplies reaches them as an environment
// variable, never as shell text, so a title such as `Bob's | "Shop"` cannot inject a command.
export const INSTALL_SCRIPT = [
    "set -eu",
    'if ! wp core is-installed; then wp core install --url="$WP_SITE_URL" --title="$WP_SITE_TITLE" --admin_user="$WP_ADMIN_USER" --admin_password="$WP_ADMIN_PASSWORD" --admin_email="$WP_ADMIN_EMAIL" --skip-email; fi',
    'wp option update home "$WP_SITE_URL"',
    'wp option update siteurl "$WP_SITE_URL"',
    'wp option update blogname "$WP_SITE_TITLE"',
].join("\n");
export const ACTIVATE_THEME_SCRIPT = ["set -eu", 'wp theme install "$WP_THEME" --activate'].join("\n");
// The target image against the site's own database, before any traffic moves to it.
export const VERIFY_SCRIPT = ["set -eu", "wp core is-installed", "wp option get siteurl"].join("\n");
export const FLUSH_CACHES_SCRIPT = ["set -eu", "wp cache flush"].join("\n");

export class Site extends pulumi.ComponentResource {
    readonly url: string;
    readonly secretName: string;
    readonly databaseName: string;
    readonly prefix: string;
    /** The Job that checks the site's image against the site; its color's Deployment rolls after it. */
    readonly verifyJob: k8s.batch.v1.Job;

    constructor(name: string, args: SiteArgs, opts?: pulumi.ComponentResourceOptions) {
        super(SITE_TYPE, name, {}, opts);
        const site = args.site;
        this.url = `${siteUrl(args)}/`;
        this.secretName = secretName(args.stack, site.id);
        this.databaseName = databaseName(site.id);
        this.prefix = sitePrefix(site.id);

        const db = createDatabase(name, args, this);
        const role = createFilesRole(name, args, this);
        const env = createSecrets(name, args, { db, roleArn: role.arn }, this);
        this.verifyJob = createJobsAndIngress(name, args, env, this).verify;

        this.registerOutputs({ url: this.url, secretName: this.secretName, database: this.databaseName, prefix: this.prefix });
    }
}

/** `https://<canonical hostname>` (http when the stack has no TLS), as WordPress's home and siteurl. */
function siteUrl(args: SiteArgs): string {
    const tls = Boolean(args.ingress.clusterIssuer || args.ingress.tlsSecretName);
    return `${tls ? "https" : "http"}://${args.site.canonicalHostname}`;
}

/** Options of the children that hold data: kept in the cloud on removal when the stack says so. */
function dataOpts(args: SiteArgs, parent: pulumi.Resource, provider?: pulumi.ProviderResource): pulumi.CustomResourceOptions {
    return { parent, provider, retainOnDelete: args.retainData };
}

function createDatabase(name: string, args: SiteArgs, parent: pulumi.Resource) {
    const id = args.site.id;
    const provider = args.providers.mysql;
    const password = new random.RandomPassword(`${name}-db-password`, { length: 32, special: false }, { parent });
    const database = new mysql.Database(
        `${name}-db`,
        { name: databaseName(id), defaultCharacterSet: "utf8mb4", defaultCollation: "utf8mb4_unicode_ci" },
        dataOpts(args, parent, provider),
    );
    const user = new mysql.User(
        `${name}-db-user`,
        { user: databaseUser(id), host: "%", plaintextPassword: pulumi.secret(password.result) },
        dataOpts(args, parent, provider),
    );
    new mysql.Grant(
        `${name}-db-grant`,
        { user: user.user, host: user.host, database: database.name, table: "*", privileges: DB_PRIVILEGES },
        dataOpts(args, parent, provider),
    );
    return { database, user, password };
}

function createFilesRole(name: string, args: SiteArgs, parent: pulumi.Resource): aws.iam.Role {
    const prefix = sitePrefix(args.site.id);
    const role = new aws.iam.Role(
        `${name}-role`,
        {
            name: siteRoleName(args.stack, args.site.id),
            path: siteRolePath(args.stack),
            description: `wp-platform ${args.stack}: files of site ${args.site.id} (s3://<bucket>/${prefix})`,
            assumeRolePolicy: pulumi.jsonStringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { AWS: args.workloadRoleArn }, Action: "sts:AssumeRole" }],
            }),
            // Where the files are, for the cleanup hook, which sees only what the deleted role had.
            tags: { ...siteTags(args), [FILES_TAG]: pulumi.output(args.bucketName).apply((bucket) => filesLocationTag(bucket, prefix)) },
        },
        { parent, hooks: args.filesCleanup ? { afterDelete: [args.filesCleanup] } : undefined },
    );
    new aws.iam.RolePolicy(
        `${name}-role-policy`,
        {
            role: role.name,
            policy: pulumi.jsonStringify({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "SiteObjects",
                        Effect: "Allow",
                        Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectVersion", "s3:AbortMultipartUpload"],
                        Resource: pulumi.interpolate`${args.bucketArn}/${prefix}*`,
                    },
                    {
                        Sid: "ListSitePrefix",
                        Effect: "Allow",
                        Action: "s3:ListBucket",
                        Resource: args.bucketArn,
                        Condition: { StringLike: { "s3:prefix": [prefix, `${prefix}*`] } },
                    },
                ],
            }),
        },
        { parent },
    );
    return role;
}

function siteTags(args: SiteArgs): Record<string, string> {
    return { "wp-platform:stack": args.stack, "wp-platform:site": args.site.id };
}

interface SecretInputs {
    readonly db: ReturnType<typeof createDatabase>;
    readonly roleArn: pulumi.Output<string>;
}

/**
 * The site's settings, in Secrets Manager (for the pods, through the workload role) and in a
 * Kubernetes Secret (for the Jobs). Returns the Secret's name.
 */
function createSecrets(name: string, args: SiteArgs, inputs: SecretInputs, parent: pulumi.Resource): pulumi.Output<string> {
    const id = args.site.id;
    const adminPassword = new random.RandomPassword(`${name}-admin-password`, { length: 32, special: false }, { parent });
    // One resource for all eight salts: 384 random bytes are 512 base64 characters, 8 x 64.
    const salts = new random.RandomBytes(`${name}-salts`, { length: 384 }, { parent });
    const saltValues = salts.base64.apply((b64) =>
        Object.fromEntries(SALT_NAMES.map((key, i) => [`WORDPRESS_${key}`, b64.slice(i * 64, (i + 1) * 64)])),
    );

    const values = pulumi.secret(
        pulumi
            .all([inputs.db.password.result, adminPassword.result, saltValues, args.dbHost, args.bucketName, inputs.roleArn])
            .apply(([dbPassword, adminPass, saltMap, dbHost, bucket, roleArn]) => ({
                WORDPRESS_DB_HOST: dbHost,
                WORDPRESS_DB_NAME: databaseName(id),
                WORDPRESS_DB_USER: databaseUser(id),
                WORDPRESS_DB_PASSWORD: dbPassword,
                ...saltMap,
                WP_ADMIN_USER: ADMIN_USER,
                WP_ADMIN_PASSWORD: adminPass,
                WP_ADMIN_EMAIL: args.adminEmail,
                WP_SITE_URL: siteUrl(args),
                WP_S3_BUCKET: bucket,
                WP_S3_PREFIX: sitePrefix(id),
                WP_S3_ROLE_ARN: roleArn,
            })),
    );

    const secret = new aws.secretsmanager.Secret(
        `${name}-secret`,
        {
            name: secretName(args.stack, id),
            description: `wp-platform ${args.stack}: settings of site ${id}`,
            recoveryWindowInDays: 7,
            tags: siteTags(args),
        },
        dataOpts(args, parent),
    );
    new aws.secretsmanager.SecretVersion(
        `${name}-secret-version`,
        { secretId: secret.id, secretString: pulumi.secret(pulumi.jsonStringify(values)) },
        dataOpts(args, parent),
    );
    const k8sSecret = new k8s.core.v1.Secret(
        `${name}-k8s-secret`,
        {
            metadata: { name: siteObjectName(id), namespace: args.namespace, labels: siteLabels(id) },
            type: "Opaque",
            stringData: values,
        },
        { parent, provider: args.providers.k8s },
    );
    return k8sSecret.metadata.name;
}

function siteLabels(id: string): Record<string, string> {
    return { "app.kubernetes.io/part-of": "wp-platform", "wp-platform/site": id };
}

interface JobSpec {
    /** Short name: `site-<id>-<job>` in the cluster, `<id>-<job>` in Pulumi. */
    readonly job: string;
    readonly script: string;
    /** Values the script reads from its environment, besides the site's Secret. */
    readonly env: Record<string, string>;
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
    /**
     * A provisioning Job runs once, with the image of the site's color at that time: a new digest or
     * color must not re-run it (the release Jobs check the new image instead). A release Job
     * carries the image and color in its pod template, so a change of either replaces it, which
     * runs it again; nothing else does.
     */
    readonly once: boolean;
}

function createJob(
    name: string,
    spec: JobSpec,
    args: SiteArgs,
    secretName: pulumi.Input<string>,
    parent: pulumi.Resource,
): k8s.batch.v1.Job {
    const site = args.site;
    const labels = { ...siteLabels(site.id), "wp-platform/job": spec.job };
    // Each Job's pod template holds only what its script reads beyond the Secret, so an edit re-runs
    // exactly the Jobs it concerns.
    const env = [
        { name: "WP_SITE_ID", value: site.id },
        ...Object.entries(spec.env).map(([envName, value]) => ({ name: envName, value })),
        ...(spec.once ? [] : [{ name: "WP_PLATFORM_COLOR", value: args.color }]),
    ];
    return new k8s.batch.v1.Job(
        `${name}-${spec.job}`,
        {
            metadata: {
                name: siteObjectName(site.id, spec.job),
                namespace: args.namespace,
                labels,
                // Pulumi's wait must outlast the Job's own deadline, so the Job's failure is what is reported.
                annotations: { "pulumi.com/timeoutSeconds": String(args.jobs.deadlineSeconds + 60) },
            },
            spec: {
                backoffLimit: args.jobs.backoffLimit,
                activeDeadlineSeconds: args.jobs.deadlineSeconds,
                template: {
                    metadata: { labels },
                    spec: {
                        restartPolicy: "Never",
                        serviceAccountName: args.serviceAccountName,
                        automountServiceAccountToken: false,
                        securityContext: podSecurityContext(args.runAsUser),
                        containers: [
                            {
                                name: spec.job,
                                image: args.image,
                                command: ["/bin/sh", "-c", spec.script],
                                env,
                                envFrom: [{ secretRef: { name: secretName } }],
                                securityContext: containerSecurityContext,
                            },
                        ],
                    },
                },
            },
        },
        {
            parent,
            provider: args.providers.k8s,
            dependsOn: spec.dependsOn,
            ignoreChanges: spec.once ? ["spec.template.spec.containers[0].image"] : undefined,
        },
    );
}

interface SiteJobs {
    readonly verify: k8s.batch.v1.Job;
}

/**
 * install -> activate-theme -> verify -> Ingress -> flush-caches. Pulumi waits for each Job to
 * complete, so a failure stops the update there: a site whose new image fails `verify` keeps its
 * traffic where it was.
 */
function createJobsAndIngress(name: string, args: SiteArgs, secretName: pulumi.Input<string>, parent: pulumi.Resource): SiteJobs {
    const job = (spec: JobSpec) => createJob(name, spec, args, secretName, parent);
    const site = args.site;
    // The URL is in the pod template, not only in the Secret: a new canonical hostname re-runs the
    // install Job, which sets WordPress's home and siteurl.
    const installEnv = { WP_SITE_TITLE: site.name, WP_SITE_URL: siteUrl(args) };
    const install = job({ job: "install", script: INSTALL_SCRIPT, env: installEnv, dependsOn: [], once: true });
    const theme = job({
        job: "activate-theme",
        script: ACTIVATE_THEME_SCRIPT,
        env: { WP_THEME: site.theme },
        dependsOn: [install],
        once: true,
    });
    const verify = job({ job: "verify", script: VERIFY_SCRIPT, env: {}, dependsOn: [theme], once: false });
    const ingress = createIngress(name, args, [verify, args.serving.service], parent);
    // After the switch, and after the color's pods run the new image, so old pods cannot refill the cache.
    job({ job: "flush-caches", script: FLUSH_CACHES_SCRIPT, env: {}, dependsOn: [ingress, args.serving.deployment], once: false });
    if (args.preview) createPreviewIngress(name, args, args.preview, parent);
    return { verify };
}

function createIngress(name: string, args: SiteArgs, dependsOn: pulumi.Resource[], parent: pulumi.Resource): k8s.networking.v1.Ingress {
    const site = args.site;
    return new k8s.networking.v1.Ingress(
        `${name}-ingress`,
        ingressSpec(args, {
            name: siteObjectName(site.id),
            hosts: site.hostnames,
            color: args.color,
            tlsName: siteObjectName(site.id, "tls"),
        }),
        { parent, provider: args.providers.k8s, dependsOn },
    );
}

/** `<id>.<previewDomain>` on the color the site is not on: a look at the other release before promotion. */
function createPreviewIngress(name: string, args: SiteArgs, preview: PreviewArgs, parent: pulumi.Resource): void {
    const site = args.site;
    new k8s.networking.v1.Ingress(
        `${name}-preview-ingress`,
        ingressSpec(args, {
            name: siteObjectName(site.id, "preview"),
            hosts: [previewHostname(site.id, preview.domain)],
            color: preview.color,
            tlsName: siteObjectName(site.id, "preview-tls"),
        }),
        { parent, provider: args.providers.k8s },
    );
}

interface IngressTarget {
    readonly name: string;
    readonly hosts: readonly string[];
    readonly color: Color;
    /** The certificate Secret cert-manager fills, when the stack uses a ClusterIssuer. */
    readonly tlsName: string;
}

function ingressSpec(args: SiteArgs, target: IngressTarget): k8s.networking.v1.IngressArgs {
    const ingress = args.ingress;
    const tlsSecret = ingress.tlsSecretName ?? (ingress.clusterIssuer ? target.tlsName : undefined);
    return {
        metadata: {
            name: target.name,
            namespace: args.namespace,
            labels: { ...siteLabels(args.site.id), "wp-platform/color": target.color },
            annotations: ingress.clusterIssuer ? { "cert-manager.io/cluster-issuer": ingress.clusterIssuer } : undefined,
        },
        spec: {
            ingressClassName: ingress.className,
            tls: tlsSecret ? [{ hosts: [...target.hosts], secretName: tlsSecret }] : undefined,
            rules: target.hosts.map((host) => ({
                host,
                http: {
                    paths: [
                        {
                            path: "/",
                            pathType: "Prefix",
                            backend: { service: { name: serviceName(target.color), port: { number: SERVICE_PORT } } },
                        },
                    ],
                },
            })),
        },
    };
}
