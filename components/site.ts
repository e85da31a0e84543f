// One hosted WordPress site: its database and user on the shared instance, its secrets, its S3
// prefix and role, its Ingress and its provisioning Jobs. Every child is named `<id>/...` and
// parented to the site, so the site id is in every URN: renaming a site is a new site.
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as mysql from "@pulumi/mysql";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Color, IngressConfig, JobsConfig } from "../src/config";
import {
    SERVICE_PORT,
    SETTINGS_MOUNT,
    SITE_TYPE,
    type SiteObject,
    databaseName,
    databaseUser,
    grantDatabasePattern,
    previewHostname,
    secretName,
    serviceName,
    settingsKey,
    siteChildName,
    siteObjectName,
    sitePrefix,
    siteRoleName,
    siteRolePath,
} from "../src/naming";
import { containerSecurityContext, podSecurityContext } from "../src/pods";
import { PASSWORD_LENGTH, SALT_LENGTH, SALT_NAMES, saltsFrom, servingSettings, siteSettings } from "../src/settings";
import { FILES_TAG, filesLocationTag, siteFilesRecord } from "../src/site-files";
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
    /** Runs after the engine deletes this component: deletes the site's files unless the stack retains data. */
    readonly filesCleanup: pulumi.ResourceHook;
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
export type SiteJob = "install" | "activate-theme" | "verify" | "flush-caches";

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

    constructor(name: string, args: SiteArgs, opts?: pulumi.ComponentResourceOptions) {
        // Bound to the component, never replaced, so deleted only with the site (components/site-files-cleanup.ts);
        // the inputs record where the files are, all the hook will have.
        const files = siteFilesRecord(pulumi.output(args.bucketName), sitePrefix(args.site.id), args.retainData);
        super(SITE_TYPE, name, files, {
            ...opts,
            hooks: { ...opts?.hooks, afterDelete: [...(opts?.hooks?.afterDelete ?? []), args.filesCleanup] },
        });
        const site = args.site;
        this.url = `${siteUrl(args)}/`;
        this.secretName = secretName(args.stack, site.id);
        this.databaseName = databaseName(site.id);
        this.prefix = sitePrefix(site.id);

        const db = createDatabase(name, args, this);
        const role = createFilesRole(name, args, this);
        const secrets = createSecrets(name, args, { db, roleArn: role.arn }, this);
        this.servingSettings = secrets.servingSettings;
        this.verifyJob = createJobsAndIngress(name, args, { secretName: secrets.k8sSecretName, database: db.all }, this).verify;

        this.registerOutputs({ url: this.url, secretName: this.secretName, database: this.databaseName, prefix: this.prefix });
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
function dataOpts(args: SiteArgs, parent: pulumi.Resource, provider?: pulumi.ProviderResource): pulumi.CustomResourceOptions {
    return { parent, provider, retainOnDelete: args.retainData };
}

function createDatabase(name: string, args: SiteArgs, parent: pulumi.Resource) {
    const id = args.site.id;
    const provider = args.providers.mysql;
    const password = new random.RandomPassword(siteChildName(name, "db-password"), { length: PASSWORD_LENGTH, special: false }, { parent });
    const database = new mysql.Database(
        siteChildName(name, "db"),
        { name: databaseName(id), defaultCharacterSet: "utf8mb4", defaultCollation: "utf8mb4_unicode_ci" },
        dataOpts(args, parent, provider),
    );
    const user = new mysql.User(
        siteChildName(name, "db-user"),
        { user: databaseUser(id), host: "%", plaintextPassword: pulumi.secret(password.result) },
        dataOpts(args, parent, provider),
    );
    const grant = new mysql.Grant(
        siteChildName(name, "db-grant"),
        { user: user.user, host: user.host, database: grantDatabasePattern(id), table: "*", privileges: DB_PRIVILEGES },
        {
            ...dataOpts(args, parent, provider),
            dependsOn: [database],
            // Every Grant field forces a replacement, and the old grant's delete REVOKEs its privileges
            // (terraform-provider-mysql mysql/resource_grant.go, DeleteGrant): created first, the new
            // grant would lose every privilege the two share.
            deleteBeforeReplace: true,
        },
    );
    return { database, user, password, all: [database, user, grant] };
}

function createFilesRole(name: string, args: SiteArgs, parent: pulumi.Resource): aws.iam.Role {
    const prefix = sitePrefix(args.site.id);
    const role = new aws.iam.Role(
        siteChildName(name, "role"),
        {
            name: siteRoleName(args.stack, args.site.id),
            path: siteRolePath(args.stack),
            description: `wp-platform ${args.stack}: files of site ${args.site.id} (s3://<bucket>/${prefix})`,
            assumeRolePolicy: pulumi.jsonStringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { AWS: args.workloadRoleArn }, Action: "sts:AssumeRole" }],
            }),
            // Where the files are, for whoever reads the role in IAM.
            tags: { ...siteTags(args), [FILES_TAG]: pulumi.output(args.bucketName).apply((bucket) => filesLocationTag(bucket, prefix)) },
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
            .all([inputs.db.password.result, adminPassword.result, salts.base64, args.dbHost, args.bucketName, inputs.roleArn])
            .apply(([dbPassword, adminPass, saltsBase64, dbHost, bucket, roleArn]) =>
                siteSettings({
                    id,
                    dbHost,
                    dbPassword,
                    adminPassword: adminPass,
                    salts: saltsFrom(saltsBase64),
                    adminEmail: args.adminEmail,
                    siteUrl: siteUrl(args),
                    bucket,
                    roleArn,
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
            metadata: { name: siteObjectName(id, "settings"), namespace: args.namespace, labels: siteLabels(id) },
            type: "Opaque",
            stringData: { [settingsKey(id)]: pulumi.jsonStringify(values) },
        },
        { parent, provider: args.providers.k8s },
    );
    return {
        k8sSecretName: k8sSecret.metadata.name,
        servingSettings: pulumi.secret(values.apply((v) => JSON.stringify(servingSettings(v)))),
    };
}

function siteLabels(id: string): Record<string, string> {
    return { "app.kubernetes.io/part-of": "wp-platform", "wp-platform/site": id };
}

interface JobSpec {
    /** Which Job: `<id>.<job>` in the cluster, `<id>/<job>` in Pulumi. */
    readonly job: SiteJob;
    /** Values the command reads from its environment (the settings come from the mounted Secret). */
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

interface JobInputs {
    /** Name of the site's Kubernetes Secret, mounted where the image reads `<id>.json`. */
    readonly secretName: pulumi.Input<string>;
    /** The site's database, user and grant: install needs all three. */
    readonly database: pulumi.Resource[];
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
                namespace: args.namespace,
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
                        serviceAccountName: args.serviceAccountName,
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
                        volumes: [{ name: "settings", secret: { secretName, defaultMode: 0o440 } }],
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
function createJobsAndIngress(name: string, args: SiteArgs, inputs: JobInputs, parent: pulumi.Resource): SiteJobs {
    const job = (spec: JobSpec) => createJob(name, spec, args, inputs.secretName, parent);
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
    const verify = job({ job: "verify", env: { WP_SITE_URL: url, WP_THEME: site.theme }, dependsOn: [theme], once: false });
    const ingress = createIngress(name, args, [verify, args.serving.service], parent);
    // After the switch, and after the color's pods run the new image, so old pods cannot refill the cache.
    job({ job: "flush-caches", env: {}, dependsOn: [ingress, args.serving.deployment], once: false });
    if (args.preview) createPreviewIngress(name, args, args.preview, parent);
    return { verify };
}

function createIngress(name: string, args: SiteArgs, dependsOn: pulumi.Resource[], parent: pulumi.Resource): k8s.networking.v1.Ingress {
    const site = args.site;
    return new k8s.networking.v1.Ingress(
        siteChildName(name, "ingress"),
        ingressSpec(args, { name: siteObjectName(site.id, "site"), hosts: site.hostnames, color: args.color, tlsName: "tls" }),
        { parent, provider: args.providers.k8s, dependsOn },
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
        { parent, provider: args.providers.k8s },
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
