// One hosted WordPress site: its database and user on the shared instance, its secrets, its S3
// prefix and role, its Ingress and its provisioning Jobs; with `isolation: dedicated`, its own
// serving objects (Deployments, Services, role, index and settings: createDedicatedObjects).
// Every child is named `<id>/...` and parented to the site, so the site id is in every URN:
// renaming a site is a new site.
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as mysql from "@pulumi/mysql";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { COLORS, type Color, type IngressConfig, type JobsConfig } from "../src/config";
import {
    SERVICE_PORT,
    SITE_INDEX_FILE,
    SETTINGS_MOUNT,
    SITE_TAG,
    SITE_TYPE,
    STACK_TAG,
    type SiteObject,
    databaseName,
    databaseUser,
    dedicatedServiceName,
    grantDatabasePattern,
    previewHostname,
    secretName,
    serviceName,
    settingsKey,
    siteChildName,
    siteMediaPrefix,
    siteObjectName,
    sitePrefix,
    siteRoleName,
    siteBackupPrefix,
    siteRolePath,
    siteWebRoleName,
} from "../src/naming";
import { WORDPRESS_POD_LABELS, containerSecurityContext, podSecurityContext } from "../src/pods";
import {
    type CacheSettings,
    PASSWORD_LENGTH,
    SALT_LENGTH,
    SALT_NAMES,
    saltsFrom,
    servingSettings,
    siteIndexJson,
    siteSettings,
} from "../src/settings";
import { FILES_TAG, filesLocationTag, siteFilesRecord } from "../src/site-files";
import { irsaTrustPolicy, mediaPolicy } from "../src/iam";
import type { SiteSpec } from "../src/sites";
import type { EdgeTenantTarget } from "./edge";
import type { CacheEndpoint } from "./platform";
import { type ServingArgs, type ServingScope, createColorServing } from "./release";
import { EDGE_INVALIDATION_ACTIONS, createEdgeTenant } from "./site-edge";

export interface SiteArgs {
    /** The validated site file. */
    readonly site: SiteSpec;
    /** The stack name: in the secret name, the role name and tags. */
    readonly stack: string;
    /** The site's color: its `service`, with `active` resolved. */
    readonly color: Color;
    /** The image of that color, `<repository>@sha256:...`. */
    readonly image: string;
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
    /** When the stack has a preview domain: the host `<id>.<domain>` on the other color. */
    readonly preview?: PreviewArgs;
    /**
     * The release and the WordPress and cron settings of the pods: a site with `isolation: dedicated`
     * builds its own colors' Deployments from them, exactly as the Release builds the shared ones.
     */
    readonly serving: ServingArgs;
    /**
     * What the site uses of the stack's shared resources. The Kubernetes and MySQL providers come
     * through the component's `providers` option, which its children inherit.
     */
    readonly platform: SitePlatform;
}

/** The stack's resources a site builds on: outputs of Platform and of the colors' Services. */
export interface SitePlatform {
    /** Kubernetes namespace of the platform. */
    readonly namespace: pulumi.Input<string>;
    /** Host of the shared MySQL instance. */
    readonly dbHost: pulumi.Input<string>;
    /** The stack's files bucket. */
    readonly bucketName: pulumi.Input<string>;
    readonly bucketArn: pulumi.Input<string>;
    /** ARN of the cluster's IAM OIDC provider: the site's Jobs reach its role through it (IRSA). */
    readonly oidcProviderArn: string;
    /** The shared Service of the site's color: the Ingress backend of a shared site, which must exist before the Ingress. */
    readonly service: k8s.core.v1.Service;
    /** Runs after the engine deletes this component: deletes the site's files unless the stack retains data. */
    readonly filesCleanup: pulumi.ResourceHook;
    /** The stack's object cache, when it has one: its endpoint and AUTH token go into the site's settings. */
    readonly cache?: CacheEndpoint;
    /** The stack's edge, when it has one (`Edge.tenantTarget`): the site adds its distribution tenant. */
    readonly edge?: EdgeTenantTarget;
}

export interface PreviewArgs {
    readonly domain: string;
    /** The color the site is not on. */
    readonly color: Color;
}

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

/** The Jobs, each a WP-CLI command of the image (`wp platform <job>`: image/wp-cli/, see docs/image.md). */
export type SiteJob = "install" | "activate-theme" | "upgrade-db" | "verify" | "flush-caches";

/**
 * A Job's command: no shell, and every value a site file supplies reaches it as an environment
 * variable, so a title such as `Bob's | "Shop"` cannot inject a command; no password is in it.
 */
export const jobCommand = (job: SiteJob): string[] => ["wp", "platform", job];

export class Site extends pulumi.ComponentResource {
    readonly url: string;
    readonly secretName: string;
    readonly databaseName: string;
    readonly prefix: string;
    /** The Job that checks the site's image against the site; its color's Deployment rolls after it. */
    readonly verifyJob: k8s.batch.v1.Job;
    /** The settings the serving pods read (`<id>.json` in one of the Secrets `site-settings-<n>`): no admin password. */
    readonly servingSettings: pulumi.Output<string>;
    /** A dedicated site's own web Deployment of each color; undefined for a site the shared fleet serves. */
    readonly ownDeployments?: Record<Color, k8s.apps.v1.Deployment>;
    /** The Ingress of its hostnames: a dedicated site's host leaves the shared index only after it has moved. */
    readonly ingress: k8s.networking.v1.Ingress;
    /** Creates one of the site's Jobs, with its settings mounted. */
    private readonly job: (spec: JobSpec) => k8s.batch.v1.Job;
    private flushCaches?: k8s.batch.v1.Job;
    /** The site's distribution tenant, when the stack has an edge: the cache flush invalidates it too. */
    private edgeTenantId?: pulumi.Output<string>;

    constructor(name: string, args: SiteArgs, opts?: pulumi.ComponentResourceOptions) {
        // Bound to the component, never replaced, so deleted only with the site (components/site-files-cleanup.ts);
        // the inputs record where the files are, all the hook will have.
        const files = siteFilesRecord(pulumi.output(args.platform.bucketName), sitePrefix(args.site.id), args.retainData);
        super(SITE_TYPE, name, files, {
            ...opts,
            hooks: { ...opts?.hooks, afterDelete: [...(opts?.hooks?.afterDelete ?? []), args.platform.filesCleanup] },
        });
        const site = args.site;
        this.url = `${siteUrl(args)}/`;
        this.secretName = secretName(args.stack, site.id);
        this.databaseName = databaseName(site.id);
        this.prefix = sitePrefix(site.id);

        const db = createDatabase(name, args, this);
        const identity = createFilesRole(name, args, this);
        const secrets = createSecrets(name, args, { db }, this);
        this.servingSettings = secrets.servingSettings;
        const own = site.isolation === "dedicated" ? createDedicatedObjects(name, args, secrets.servingSettings, this) : undefined;
        const pod = { secretName: secrets.k8sSecretName, serviceAccountName: identity.jobsServiceAccount };
        this.job = (spec) => createJob(name, spec, args, pod, this);
        const service = own ? own.services[args.color] : args.platform.service;
        let ownDeployments: Record<Color, k8s.apps.v1.Deployment> | undefined;
        // A dedicated site's Ingress moves to its own pods only once they have rolled out: a site moved
        // from the shared fleet keeps its traffic there until then.
        const servedBy = own
            ? (verify: k8s.batch.v1.Job) => {
                  ownDeployments = createDedicatedServing(name, args, own, verify, this);
                  return [ownDeployments[args.color]];
              }
            : undefined;
        const provisioned = createJobsAndIngress(name, args, { job: this.job, database: db.all, service, servedBy }, this);
        this.verifyJob = provisioned.verify;
        this.ingress = provisioned.ingress;
        this.ownDeployments = ownDeployments;
        if (args.platform.edge) {
            const edge = createEdgeTenant(name, { site: args.site, stack: args.stack, edge: args.platform.edge }, this);
            this.edgeTenantId = edge.tenant.id;
            allowEdgeInvalidation(name, identity.role, edge.tenant, this);
        }

        this.registerOutputs({ url: this.url, secretName: this.secretName, database: this.databaseName, prefix: this.prefix });
    }

    /**
     * What runs after its color rolls out: the cache flush, once the Ingress points at the color and
     * the color's pods run its image, so old pods cannot refill the cache. Called once, after the
     * Release that owns `rollout` exists (index.ts).
     */
    flushCachesAfter(rollout: pulumi.Resource): k8s.batch.v1.Job {
        if (this.flushCaches) throw new Error("flushCachesAfter: the cache flush exists already");
        const env: Record<string, pulumi.Input<string>> = this.edgeTenantId ? { WP_PLATFORM_EDGE_TENANT_ID: this.edgeTenantId } : {};
        this.flushCaches = this.job({ job: "flush-caches", env, dependsOn: [this.ingress, rollout], once: false });
        return this.flushCaches;
    }
}

/** `https://<canonical hostname>` (http when the stack has no TLS), as WordPress's home and siteurl. */
export function siteUrlOf(site: SiteSpec, ingress: IngressConfig): string {
    const tls = Boolean(ingress.clusterIssuer || ingress.tlsSecretName);
    return `${tls ? "https" : "http"}://${site.canonicalHostname}`;
}

function siteUrl(args: SiteArgs): string {
    return siteUrlOf(args.site, args.ingress);
}

/** Options of the children that hold data: kept in the cloud on removal when the stack says so. */
function dataOpts(args: SiteArgs, parent: pulumi.Resource): pulumi.CustomResourceOptions {
    return { parent, retainOnDelete: args.retainData };
}

function createDatabase(name: string, args: SiteArgs, parent: pulumi.Resource) {
    const id = args.site.id;
    const password = new random.RandomPassword(siteChildName(name, "db-password"), { length: PASSWORD_LENGTH, special: false }, { parent });
    const database = new mysql.Database(
        siteChildName(name, "db"),
        { name: databaseName(id), defaultCharacterSet: "utf8mb4", defaultCollation: "utf8mb4_unicode_ci" },
        dataOpts(args, parent),
    );
    const user = new mysql.User(
        siteChildName(name, "db-user"),
        { user: databaseUser(id), host: "%", plaintextPassword: pulumi.secret(password.result) },
        dataOpts(args, parent),
    );
    const grant = new mysql.Grant(
        siteChildName(name, "db-grant"),
        { user: user.user, host: user.host, database: grantDatabasePattern(id), table: "*", privileges: DB_PRIVILEGES },
        {
            ...dataOpts(args, parent),
            dependsOn: [database],
            // Every Grant field forces a replacement, and the old grant's delete REVOKEs its privileges
            // (terraform-provider-mysql mysql/resource_grant.go, DeleteGrant): created first, the new
            // grant would lose every privilege the two share.
            deleteBeforeReplace: true,
        },
    );
    return { database, user, password, all: [database, user, grant] };
}

/**
 * The site's role, reaching its own prefix alone (`sites/<id>/`: media and backups), and the
 * ServiceAccount `<id>.jobs` its Jobs run as, which carries the role (IRSA).
 */
function createFilesRole(
    name: string,
    args: SiteArgs,
    parent: pulumi.Resource,
): { role: aws.iam.Role; jobsServiceAccount: pulumi.Output<string> } {
    const prefix = sitePrefix(args.site.id);
    const jobsServiceAccount = siteObjectName(args.site.id, "jobs");
    const role = new aws.iam.Role(
        siteChildName(name, "role"),
        {
            name: siteRoleName(args.stack, args.site.id),
            path: siteRolePath(args.stack),
            description: `wp-platform ${args.stack}: files of site ${args.site.id} (s3://<bucket>/${prefix})`,
            // Only the site's own Jobs, through their ServiceAccount's web identity: no serving pod, and
            // no other site's Jobs, can take it.
            assumeRolePolicy: irsaTrustPolicy(args.platform.oidcProviderArn, args.platform.namespace, jobsServiceAccount),
            // Where the files are, for whoever reads the role in IAM.
            tags: {
                ...siteTags(args),
                [FILES_TAG]: pulumi.output(args.platform.bucketName).apply((bucket) => filesLocationTag(bucket, prefix)),
            },
        },
        { parent },
    );
    new aws.iam.RolePolicy(
        siteChildName(name, "role-policy"),
        {
            role: role.name,
            policy: pulumi.jsonStringify({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "SiteObjects",
                        Effect: "Allow",
                        Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectVersion", "s3:AbortMultipartUpload"],
                        Resource: pulumi.interpolate`${args.platform.bucketArn}/${prefix}*`,
                    },
                    {
                        Sid: "ListSitePrefix",
                        Effect: "Allow",
                        Action: "s3:ListBucket",
                        Resource: args.platform.bucketArn,
                        Condition: { StringLike: { "s3:prefix": [prefix, `${prefix}*`] } },
                    },
                ],
            }),
        },
        { parent },
    );
    const serviceAccount = new k8s.core.v1.ServiceAccount(
        siteChildName(name, "jobs-service-account"),
        {
            metadata: {
                name: jobsServiceAccount,
                namespace: args.platform.namespace,
                labels: siteLabels(args.site.id),
                annotations: { "eks.amazonaws.com/role-arn": role.arn },
            },
            automountServiceAccountToken: false,
        },
        { parent },
    );
    return { role, jobsServiceAccount: serviceAccount.metadata.name };
}

/**
 * The site's Jobs may invalidate the site's own distribution tenant (flush-caches), and nothing else
 * of CloudFront: one tenant's ARN, never a pattern.
 */
function allowEdgeInvalidation(name: string, role: aws.iam.Role, tenant: aws.cloudfront.DistributionTenant, parent: pulumi.Resource): void {
    new aws.iam.RolePolicy(
        siteChildName(name, "edge-policy"),
        {
            role: role.name,
            policy: pulumi.jsonStringify({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "InvalidateOwnTenant",
                        Effect: "Allow",
                        Action: [...EDGE_INVALIDATION_ACTIONS],
                        Resource: tenant.arn,
                    },
                ],
            }),
        },
        { parent },
    );
}

function siteTags(args: SiteArgs): Record<string, string> {
    return { [STACK_TAG]: args.stack, [SITE_TAG]: args.site.id };
}

interface SecretInputs {
    readonly db: ReturnType<typeof createDatabase>;
}

/**
 * The site's settings, in Secrets Manager (the record of the site, for operators) and in a
 * Kubernetes Secret `<id>.settings` (mounted by the Jobs). Returns the Secret's name and the serving
 * pods' copy of the settings.
 */
function createSecrets(name: string, args: SiteArgs, inputs: SecretInputs, parent: pulumi.Resource) {
    const id = args.site.id;
    const adminPassword = new random.RandomPassword(
        siteChildName(name, "admin-password"),
        { length: PASSWORD_LENGTH, special: false },
        { parent },
    );
    // One resource for all eight salts: 384 random bytes are 512 base64 characters, 8 x 64.
    const salts = new random.RandomBytes(siteChildName(name, "salts"), { length: (SALT_NAMES.length * SALT_LENGTH * 3) / 4 }, { parent });
    const values = pulumi.secret(
        pulumi
            .all([
                inputs.db.password.result,
                adminPassword.result,
                salts.base64,
                args.platform.dbHost,
                args.platform.bucketName,
                cacheSettings(args.platform.cache),
            ])
            .apply(([dbPassword, adminPass, saltsBase64, dbHost, bucket, cache]) =>
                siteSettings({
                    id,
                    dbHost,
                    dbPassword,
                    adminPassword: adminPass,
                    salts: saltsFrom(saltsBase64),
                    adminEmail: args.adminEmail,
                    siteUrl: siteUrl(args),
                    bucket,
                    cache,
                }),
            ),
    );

    const secret = new aws.secretsmanager.Secret(
        siteChildName(name, "secret"),
        {
            name: secretName(args.stack, id),
            description: `wp-platform ${args.stack}: settings of site ${id}`,
            recoveryWindowInDays: 7,
            tags: siteTags(args),
        },
        dataOpts(args, parent),
    );
    new aws.secretsmanager.SecretVersion(
        siteChildName(name, "secret-version"),
        { secretId: secret.id, secretString: pulumi.secret(pulumi.jsonStringify(values)) },
        dataOpts(args, parent),
    );
    const k8sSecret = new k8s.core.v1.Secret(
        siteChildName(name, "k8s-secret"),
        {
            metadata: { name: siteObjectName(id, "settings"), namespace: args.platform.namespace, labels: siteLabels(id) },
            type: "Opaque",
            stringData: { [settingsKey(id)]: pulumi.jsonStringify(values) },
        },
        { parent },
    );
    return {
        k8sSecretName: k8sSecret.metadata.name,
        servingSettings: pulumi.secret(values.apply((v) => JSON.stringify(servingSettings(v)))),
    };
}

function cacheSettings(cache: CacheEndpoint | undefined): pulumi.Output<CacheSettings | undefined> {
    if (!cache) return pulumi.output(undefined);
    return pulumi.all([cache.host, cache.authToken]).apply(([host, password]) => ({ host, port: cache.port, password }));
}

function siteLabels(id: string): Record<string, string> {
    return { "app.kubernetes.io/part-of": "wp-platform", "wp-platform/site": id };
}

interface JobSpec {
    /** Which Job: `<id>.<job>` in the cluster, `<id>/<job>` in Pulumi. */
    readonly job: SiteJob;
    /** Values the command reads from its environment (the settings come from the mounted Secret). */
    readonly env: Record<string, pulumi.Input<string>>;
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
    /**
     * A provisioning Job runs once, with the image of the site's color at that time: a new digest or
     * color must not re-run it (the release Jobs check the new image instead). A release Job
     * carries the image and color in its pod template, so a change of either replaces it, which
     * runs it again; nothing else does.
     */
    readonly once: boolean;
}

interface JobInputs {
    /** Creates a Job with the site's Kubernetes Secret mounted where the image reads `<id>.json`. */
    readonly job: (spec: JobSpec) => k8s.batch.v1.Job;
    /** The site's database, user and grant: install needs all three. */
    readonly database: pulumi.Resource[];
    /** The Service of the site's color (the shared one, or its own when dedicated): the Ingress waits for it. */
    readonly service: k8s.core.v1.Service;
    /** A dedicated site's: creates its Deployments after its verify Job and returns what its Ingress waits for. */
    readonly servedBy?: (verify: k8s.batch.v1.Job) => pulumi.Resource[];
}

/** What every Job of a site runs with: the site's settings Secret, mounted, and its own ServiceAccount. */
interface JobPod {
    readonly secretName: pulumi.Input<string>;
    /** `<id>.jobs`, which carries the site's role: the only AWS identity a site's Jobs have. */
    readonly serviceAccountName: pulumi.Input<string>;
}

function createJob(name: string, spec: JobSpec, args: SiteArgs, pod: JobPod, parent: pulumi.Resource): k8s.batch.v1.Job {
    const site = args.site;
    const labels = { ...siteLabels(site.id), "wp-platform/job": spec.job };
    // Each Job's pod template holds only what its command reads beyond the Secret, so an edit re-runs
    // exactly the Jobs it concerns.
    const env = [
        { name: "WP_SITE_ID", value: site.id },
        ...Object.entries(spec.env).map(([envName, value]) => ({ name: envName, value })),
        ...(spec.once ? [] : [{ name: "WP_PLATFORM_COLOR", value: args.color }]),
    ];
    return new k8s.batch.v1.Job(
        siteChildName(name, spec.job),
        {
            metadata: {
                name: siteObjectName(site.id, spec.job),
                namespace: args.platform.namespace,
                labels,
                annotations: {
                    // Pulumi's wait must outlast the Job's own deadline, so the Job's failure is what is reported.
                    "pulumi.com/timeoutSeconds": String(args.jobs.deadlineSeconds + 60),
                    // A failed Job stays failed, and the next update would only await it again: with this,
                    // the provider replaces an unready Job, which runs it again (pulumi-kubernetes
                    // provider/pkg/provider/provider.go, Diff).
                    "pulumi.com/replaceUnready": "true",
                },
            },
            spec: {
                backoffLimit: args.jobs.backoffLimit,
                activeDeadlineSeconds: args.jobs.deadlineSeconds,
                template: {
                    metadata: { labels },
                    spec: {
                        restartPolicy: "Never",
                        serviceAccountName: pod.serviceAccountName,
                        automountServiceAccountToken: false,
                        securityContext: podSecurityContext(args.runAsUser),
                        containers: [
                            {
                                name: spec.job,
                                image: args.image,
                                command: jobCommand(spec.job),
                                env,
                                // A file, not `envFrom`: the admin password is read by the one process
                                // that needs it, and is in no process's environment.
                                volumeMounts: [{ name: "settings", mountPath: SETTINGS_MOUNT, readOnly: true }],
                                securityContext: containerSecurityContext,
                            },
                        ],
                        volumes: [{ name: "settings", secret: { secretName: pod.secretName, defaultMode: 0o440 } }],
                    },
                },
            },
        },
        {
            parent,
            dependsOn: spec.dependsOn,
            ignoreChanges: spec.once ? ["spec.template.spec.containers[0].image"] : undefined,
        },
    );
}

interface SiteJobs {
    readonly verify: k8s.batch.v1.Job;
    readonly ingress: k8s.networking.v1.Ingress;
}

/**
 * install -> activate-theme -> verify -> Ingress, then (after the rollout, `Site.flushCachesAfter`)
 * flush-caches. Pulumi waits for each Job to complete, so a failure stops the update there: a site
 * whose new image fails `verify` keeps its traffic where it was.
 */
function createJobsAndIngress(name: string, args: SiteArgs, inputs: JobInputs, parent: pulumi.Resource): SiteJobs {
    const job = inputs.job;
    const site = args.site;
    const url = siteUrl(args);
    // The URL is in the pod template, not only in the Secret: a new canonical hostname re-runs the
    // install Job, which sets WordPress's home and siteurl.
    const install = job({
        job: "install",
        env: { WP_SITE_URL: url, WP_SITE_TITLE: site.name },
        // The site user must exist with its grant before WordPress can create its tables.
        dependsOn: inputs.database,
        once: true,
    });
    const theme = job({ job: "activate-theme", env: { WP_THEME: site.theme }, dependsOn: [install], once: true });
    // A release to a core that needs it backs the database up, then updates its schema, before the
    // site is verified on the new image and its traffic moves. WordPress never downgrades a schema:
    // the backup is what a rollback past it restores (README, "Rolling back past a schema change").
    const upgrade = job({
        job: "upgrade-db",
        env: { WP_PLATFORM_BACKUP_URL: pulumi.interpolate`s3://${args.platform.bucketName}/${siteBackupPrefix(site.id)}` },
        dependsOn: [theme],
        once: false,
    });
    // Loads the site's home page as a visitor would, from a web server of the Job's own image (the
    // image under test): not through the color's Service, whose pods roll out only after this Job
    // (they still run the old image, and a new stack has none yet).
    const verify = job({ job: "verify", env: { WP_SITE_URL: url, WP_THEME: site.theme }, dependsOn: [upgrade], once: false });
    const ingress = createIngress(name, args, [verify, inputs.service, ...(inputs.servedBy?.(verify) ?? [])], parent);
    if (args.preview) createPreviewIngress(name, args, args.preview, parent);
    return { verify, ingress };
}

function createIngress(name: string, args: SiteArgs, dependsOn: pulumi.Resource[], parent: pulumi.Resource): k8s.networking.v1.Ingress {
    const site = args.site;
    return new k8s.networking.v1.Ingress(
        siteChildName(name, "ingress"),
        ingressSpec(args, { name: siteObjectName(site.id, "site"), hosts: site.hostnames, color: args.color, tlsName: "tls" }),
        { parent, dependsOn },
    );
}

/** `<id>.<previewDomain>` on the color the site is not on: a look at the other release before promotion. */
function createPreviewIngress(name: string, args: SiteArgs, preview: PreviewArgs, parent: pulumi.Resource): void {
    const site = args.site;
    new k8s.networking.v1.Ingress(
        siteChildName(name, "preview-ingress"),
        ingressSpec(args, {
            name: siteObjectName(site.id, "preview"),
            hosts: [previewHostname(site.id, preview.domain)],
            color: preview.color,
            tlsName: "preview-tls",
        }),
        { parent },
    );
}

interface IngressTarget {
    readonly name: string;
    readonly hosts: readonly string[];
    readonly color: Color;
    /** The certificate Secret cert-manager fills, when the stack uses a ClusterIssuer. */
    readonly tlsName: Extract<SiteObject, "tls" | "preview-tls">;
}

function ingressSpec(args: SiteArgs, target: IngressTarget): k8s.networking.v1.IngressArgs {
    const ingress = args.ingress;
    const tlsSecret = ingress.tlsSecretName ?? (ingress.clusterIssuer ? siteObjectName(args.site.id, target.tlsName) : undefined);
    return {
        metadata: {
            name: target.name,
            namespace: args.platform.namespace,
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
                            backend: { service: { name: backendServiceName(args.site, target.color), port: { number: SERVICE_PORT } } },
                        },
                    ],
                },
            })),
        },
    };
}

/** The Service an Ingress of the site routes to for a color: the shared one, or the site's own. */
function backendServiceName(site: SiteSpec, color: Color): string {
    return site.isolation === "dedicated" ? dedicatedServiceName(site.id, color) : serviceName(color);
}

/** What a dedicated site's pods find before they start, and its Services. */
interface DedicatedObjects {
    /** `<id>-blue`, `<id>-green`: its Ingresses' backends. */
    readonly services: Record<Color, k8s.core.v1.Service>;
    /** `<id>.wordpress`, carrying the role `wp.<stack>.<id>.web`. */
    readonly serviceAccountName: pulumi.Output<string>;
    /** `<id>.index`: the site index of this site alone. */
    readonly index: k8s.core.v1.ConfigMap;
    /** `<id>.serving-settings`: its serving settings, in no shared Secret. */
    readonly settings: k8s.core.v1.Secret;
}

/** `app` of a dedicated site's web pods of a color: `<id>.blue`, which only its own Service selects. */
const dedicatedApp = (id: string, color: Color): string => siteObjectName(id, color);

/**
 * A dedicated site's Services, ServiceAccount and role, site index and serving settings. Its pods
 * carry the WordPress pod labels, so the namespace's NetworkPolicies apply to them as to the
 * shared pods; its `app` label is its own, so the shared Services never select them.
 */
function createDedicatedObjects(name: string, args: SiteArgs, settings: pulumi.Output<string>, parent: pulumi.Resource): DedicatedObjects {
    const id = args.site.id;
    const namespace = args.platform.namespace;
    const services = {} as Record<Color, k8s.core.v1.Service>;
    for (const color of COLORS) {
        services[color] = new k8s.core.v1.Service(
            siteChildName(name, `${color}-service`),
            {
                metadata: {
                    name: dedicatedServiceName(id, color),
                    namespace,
                    labels: { ...siteLabels(id), app: dedicatedApp(id, color), ...WORDPRESS_POD_LABELS },
                },
                spec: {
                    type: "ClusterIP",
                    selector: { app: dedicatedApp(id, color) },
                    ports: [{ name: "http", port: SERVICE_PORT, targetPort: "http", protocol: "TCP" }],
                },
            },
            { parent },
        );
    }
    const index = new k8s.core.v1.ConfigMap(
        siteChildName(name, "index"),
        {
            metadata: { name: siteObjectName(id, "index"), namespace, labels: siteLabels(id) },
            data: { [SITE_INDEX_FILE]: siteIndexJson(args.stack, [args.site], args.serving.release.active, args.preview?.domain) },
        },
        { parent },
    );
    const settingsSecret = new k8s.core.v1.Secret(
        siteChildName(name, "serving-settings"),
        {
            metadata: { name: siteObjectName(id, "serving-settings"), namespace, labels: siteLabels(id) },
            type: "Opaque",
            stringData: { [settingsKey(id)]: settings },
        },
        { parent },
    );
    return { services, serviceAccountName: createWebRole(name, args, parent), index, settings: settingsSecret };
}

/**
 * The role of a dedicated site's pods, `wp.<stack>.<id>.web`: its own media (`sites/<id>/uploads/`)
 * and nothing else, as the shared pods' role has every site's media (components/platform.ts); taken
 * only through its ServiceAccount `<id>.wordpress` (IRSA). Returns the ServiceAccount's name.
 */
function createWebRole(name: string, args: SiteArgs, parent: pulumi.Resource): pulumi.Output<string> {
    const id = args.site.id;
    const media = siteMediaPrefix(id);
    const serviceAccountName = siteObjectName(id, "wordpress");
    const role = new aws.iam.Role(
        siteChildName(name, "web-role"),
        {
            name: siteWebRoleName(args.stack, id),
            path: siteRolePath(args.stack),
            description: `wp-platform ${args.stack}: the pods of dedicated site ${id} (s3://<bucket>/${media})`,
            assumeRolePolicy: irsaTrustPolicy(args.platform.oidcProviderArn, args.platform.namespace, serviceAccountName),
            tags: siteTags(args),
        },
        { parent },
    );
    new aws.iam.RolePolicy(
        siteChildName(name, "web-role-policy"),
        {
            role: role.name,
            policy: mediaPolicy(args.platform.bucketArn, `${media}*`),
        },
        { parent },
    );
    const serviceAccount = new k8s.core.v1.ServiceAccount(
        siteChildName(name, "web-service-account"),
        {
            metadata: {
                name: serviceAccountName,
                namespace: args.platform.namespace,
                labels: siteLabels(id),
                annotations: { "eks.amazonaws.com/role-arn": role.arn },
            },
            automountServiceAccountToken: false,
        },
        { parent },
    );
    return serviceAccount.metadata.name;
}

/**
 * A dedicated site's blue and green Deployments, HPAs, PDBs and cron runners, built by the function
 * that builds the shared ones (components/release.ts): the same pod template, with its own names,
 * ServiceAccount, site index and settings. The site's color serves; the other idles at
 * `release.idleReplicas`, its cron runner at 0. Its color rolls out after its verify Job.
 */
function createDedicatedServing(
    name: string,
    args: SiteArgs,
    own: DedicatedObjects,
    verify: k8s.batch.v1.Job,
    parent: pulumi.Resource,
): Record<Color, k8s.apps.v1.Deployment> {
    const id = args.site.id;
    const scope: ServingScope = {
        child: { name: (child) => siteChildName(name, child), opts: (_child, opts) => opts },
        names: (color) => ({
            deployment: siteObjectName(id, color),
            scaling: siteObjectName(id, color),
            cronRunner: siteObjectName(id, `cron-${color}`),
            app: dedicatedApp(id, color),
            cronApp: siteObjectName(id, `cron-${color}`),
        }),
        serviceAccountName: own.serviceAccountName,
        siteIndex: own.index.metadata.name,
        settingsSecrets: [own.settings.metadata.name],
        inUse: (color) => color === args.color,
        rolloutAfter: (color) => (color === args.color ? [verify, own.index, own.settings] : [own.index, own.settings]),
    };
    const deployments = {} as Record<Color, k8s.apps.v1.Deployment>;
    for (const color of COLORS) deployments[color] = createColorServing(scope, color, args.serving, parent).deployment;
    return deployments;
}
