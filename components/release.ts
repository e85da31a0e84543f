// The two colors of the one WordPress image: a Deployment, PodDisruptionBudget and
// HorizontalPodAutoscaler each, and the `canary-env` ConfigMap that records the active color. Built
// after the sites: a color's Deployment rolls out only once its sites' verify Jobs have passed. The
// Services that select these pods need no site and come first (components/color-services.ts).
// The pod template depends only on the color's image and the stack settings, never on the sites,
// so adding or removing a site never restarts the fleet. `createColorServing` builds a color's
// objects for a serving scope: the shared fleet here, or one `isolation: dedicated` site
// (components/site.ts), with the same pod template and its own names, index and settings.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { COLORS, type Color, type CronConfig, type ReleaseConfig, type WordpressConfig } from "../src/config";
import {
    CANARY_CONFIGMAP,
    RELEASE_TYPE,
    SITE_INDEX_CONFIGMAP,
    SITE_INDEX_FILE,
    SITE_INDEX_MOUNT,
    SETTINGS_MOUNT,
    deploymentName,
    settingsSecretName,
} from "../src/naming";
import { SETTINGS_SHARDS } from "../src/settings";
import { WORDPRESS_POD_LABELS, containerSecurityContext, podSecurityContext } from "../src/pods";
import { colorImage } from "../src/release";

/** What a color's serving objects are built from, for the shared fleet or for one dedicated site. */
export interface ServingArgs {
    /** The stack name, given to the pods as WP_PLATFORM_STACK. */
    readonly stack: string;
    /** Kubernetes namespace of the platform. */
    readonly namespace: pulumi.Input<string>;
    /** The WordPress image repository (no tag, no digest). */
    readonly image: string;
    /** Active color and the digest of each color. */
    readonly release: ReleaseConfig;
    /** Port, probes, resources and autoscaling of the WordPress pods. */
    readonly wordpress: WordpressConfig;
    /** The cron runner of each color: concurrency, per-site time limit, interval, resources. */
    readonly cron: CronConfig;
}

export interface ReleaseArgs extends ServingArgs {
    /** Colors that serve at least one shared site; the others idle at `release.idleReplicas`. */
    readonly colorsInUse: ReadonlySet<Color>;
    /** The ServiceAccount of the pods (IRSA). */
    readonly serviceAccountName: pulumi.Input<string>;
    /**
     * Per color, what its Deployment waits for before it rolls out: the verify Jobs of the sites on
     * that color, so a new digest that fails against any of them changes no pod, and the site index
     * the pods mount.
     */
    readonly rolloutAfter: Readonly<Record<Color, readonly pulumi.Resource[]>>;
}

export class Release extends pulumi.ComponentResource {
    /** The Deployment of each color: what runs after a rollout waits for it. */
    readonly deployments: Record<Color, k8s.apps.v1.Deployment>;

    constructor(name: string, args: ReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super(RELEASE_TYPE, name, {}, opts);
        const deployments = {} as Record<Color, k8s.apps.v1.Deployment>;
        const scope = sharedScope(name, args);
        for (const color of COLORS) deployments[color] = createColorServing(scope, color, args, this).deployment;
        const child = scope.child;
        // The cron runners serve nothing: no traffic reaches them.
        new k8s.networking.v1.NetworkPolicy(
            child.name("cron-no-ingress"),
            {
                metadata: { name: "cron-no-ingress", namespace: args.namespace },
                spec: { podSelector: { matchLabels: CRON_POD_LABELS }, policyTypes: ["Ingress"], ingress: [] },
            },
            child.opts("cron-no-ingress", { parent: this }),
        );
        new k8s.core.v1.ConfigMap(
            child.name(CANARY_CONFIGMAP),
            {
                metadata: { name: CANARY_CONFIGMAP, namespace: args.namespace },
                data: { canaryEnv: canaryEnv(args) },
            },
            child.opts(CANARY_CONFIGMAP, { parent: this }),
        );
        this.deployments = deployments;
        this.registerOutputs({ deployments: COLORS.map((color) => deployments[color].metadata.name), canaryEnv: canaryEnv(args) });
    }
}

/** A child's Pulumi name and options. */
export interface ChildNamer {
    name(child: string): string;
    opts(child: string, opts: pulumi.CustomResourceOptions): pulumi.CustomResourceOptions;
}

/**
 * `<release>-<child>`, so two Releases cannot meet. The first Release named its children without
 * its own name: the alias keeps those URNs (nothing replaced).
 */
function childNamer(release: string): ChildNamer {
    return {
        name: (child) => `${release}-${child}`,
        opts: (child, opts) => ({ ...opts, aliases: [{ name: child }] }),
    };
}

/** The Kubernetes names and `app` labels of one color's serving objects. */
export interface ColorNames {
    readonly deployment: string;
    /** The HorizontalPodAutoscaler and the PodDisruptionBudget. */
    readonly scaling: string;
    readonly cronRunner: string;
    /** `app` of the web pods, which the color's Service selects. */
    readonly app: string;
    /** `app` of the cron runner's pod. */
    readonly cronApp: string;
}

/**
 * Whose serving objects a color's are: the shared fleet's (children of the Release) or one dedicated
 * site's (children of its Site). Everything else of the pod template is the same for both.
 */
export interface ServingScope {
    /** Pulumi names and options of the children; `<child>` is e.g. `blue-deployment`. */
    readonly child: ChildNamer;
    readonly names: (color: Color) => ColorNames;
    /** The pods' ServiceAccount (IRSA). */
    readonly serviceAccountName: pulumi.Input<string>;
    /** The ConfigMap holding the `sites.json` the pods read. */
    readonly siteIndex: pulumi.Input<string>;
    /** The Secrets whose `<id>.json` keys are merged into the pods' settings folder. */
    readonly settingsSecrets: readonly pulumi.Input<string>[];
    /** Whether a site is on the color; a color with none idles at `release.idleReplicas`, its cron runner at 0. */
    readonly inUse: (color: Color) => boolean;
    /** What the color's Deployments wait for before they roll out. */
    readonly rolloutAfter: (color: Color) => readonly pulumi.Resource[];
}

/** The shared fleet: names as DESIGN.md gives them, every settings shard, the platform's ServiceAccount. */
function sharedScope(name: string, args: ReleaseArgs): ServingScope {
    return {
        child: childNamer(name),
        names: (color) => ({
            deployment: deploymentName(color),
            scaling: color,
            cronRunner: cronRunnerName(color),
            app: color,
            cronApp: cronRunnerName(color),
        }),
        serviceAccountName: args.serviceAccountName,
        siteIndex: SITE_INDEX_CONFIGMAP,
        settingsSecrets: Array.from({ length: SETTINGS_SHARDS }, (_, shard) => settingsSecretName(shard)),
        inUse: (color) => args.colorsInUse.has(color),
        rolloutAfter: (color) => args.rolloutAfter[color],
    };
}

/** One color's web Deployment, its HorizontalPodAutoscaler and PodDisruptionBudget, and its cron runner. */
export function createColorServing(
    scope: ServingScope,
    color: Color,
    args: ServingArgs,
    parent: pulumi.Resource,
): { deployment: k8s.apps.v1.Deployment; cronRunner: k8s.apps.v1.Deployment } {
    const deployment = createDeployment(scope, color, args, parent);
    createScaling(scope, color, args, parent);
    const cronRunner = createCronRunner(scope, color, args, parent);
    return { deployment, cronRunner };
}

/** The `canaryEnv` record the old manager kept: the active color and its image. */
export function canaryEnv(args: Pick<ReleaseArgs, "image" | "release">): string {
    const selector = args.release.active;
    return JSON.stringify({ selector, image: colorImage(args.image, args.release, selector) });
}

/** What the pods of a color mount to find their sites: the site index and the settings of those sites. */
function siteVolumes(scope: ServingScope): {
    volumes: k8s.types.input.core.v1.Volume[];
    volumeMounts: k8s.types.input.core.v1.VolumeMount[];
    env: k8s.types.input.core.v1.EnvVar[];
} {
    return {
        // Mounted as volumes (not env or subPath) so the kubelet refreshes the files in place when a
        // site is added: the pods keep running. One folder of `<id>.json` from every settings Secret.
        volumes: [
            { name: "site-index", configMap: { name: scope.siteIndex } },
            {
                name: "site-settings",
                projected: {
                    defaultMode: 0o440,
                    sources: scope.settingsSecrets.map((name) => ({ secret: { name } })),
                },
            },
        ],
        volumeMounts: [
            { name: "site-index", mountPath: SITE_INDEX_MOUNT, readOnly: true },
            { name: "site-settings", mountPath: SETTINGS_MOUNT, readOnly: true },
        ],
        env: [
            { name: "WP_PLATFORM_SITE_INDEX", value: `${SITE_INDEX_MOUNT}/${SITE_INDEX_FILE}` },
            { name: "WP_PLATFORM_SETTINGS_DIR", value: SETTINGS_MOUNT },
        ],
    };
}

function createDeployment(scope: ServingScope, color: Color, args: ServingArgs, parent: pulumi.Resource): k8s.apps.v1.Deployment {
    const wp = args.wordpress;
    const names = scope.names(color);
    const labels = { app: names.app };
    const mounts = siteVolumes(scope);
    const probe = { httpGet: { path: wp.probePath, port: "http" }, periodSeconds: 10, timeoutSeconds: 5 };
    const child = `${color}-deployment`;
    return new k8s.apps.v1.Deployment(
        scope.child.name(child),
        {
            metadata: { name: names.deployment, namespace: args.namespace, labels: { ...labels, ...WORDPRESS_POD_LABELS } },
            spec: {
                // No `replicas`: the HorizontalPodAutoscaler owns the count.
                selector: { matchLabels: labels },
                strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } },
                template: {
                    metadata: { labels: { ...labels, ...WORDPRESS_POD_LABELS } },
                    spec: {
                        serviceAccountName: scope.serviceAccountName,
                        securityContext: podSecurityContext(wp.runAsUser),
                        topologySpreadConstraints: [
                            {
                                maxSkew: 1,
                                topologyKey: "topology.kubernetes.io/zone",
                                whenUnsatisfiable: "ScheduleAnyway",
                                labelSelector: { matchLabels: labels },
                            },
                        ],
                        containers: [
                            {
                                name: "wordpress",
                                image: colorImage(args.image, args.release, color),
                                ports: [{ name: "http", containerPort: wp.port, protocol: "TCP" }],
                                env: [
                                    { name: "WP_PLATFORM_STACK", value: args.stack },
                                    { name: "WP_PLATFORM_COLOR", value: color },
                                    { name: "WP_PLATFORM_PORT", value: String(wp.port) },
                                    ...mounts.env,
                                ],
                                resources: { requests: wp.requests, limits: wp.limits },
                                readinessProbe: { ...probe, failureThreshold: 3 },
                                livenessProbe: { ...probe, initialDelaySeconds: 30, failureThreshold: 6 },
                                securityContext: containerSecurityContext,
                                volumeMounts: mounts.volumeMounts,
                            },
                        ],
                        volumes: mounts.volumes,
                    },
                },
            },
        },
        scope.child.opts(child, { parent, dependsOn: [...scope.rolloutAfter(color)] }),
    );
}

/** Autoscaling and disruption budget; a color no site is on idles at `release.idleReplicas`. */
function createScaling(scope: ServingScope, color: Color, args: ServingArgs, parent: pulumi.Resource): void {
    const wp = args.wordpress;
    const names = scope.names(color);
    const inUse = scope.inUse(color);
    const opts = { parent };
    new k8s.autoscaling.v2.HorizontalPodAutoscaler(
        scope.child.name(`${color}-hpa`),
        {
            metadata: { name: names.scaling, namespace: args.namespace, labels: { app: names.app } },
            spec: {
                scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: names.deployment },
                minReplicas: inUse ? wp.minReplicas : args.release.idleReplicas,
                maxReplicas: inUse ? wp.maxReplicas : args.release.idleReplicas,
                metrics: [
                    {
                        type: "Resource",
                        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: wp.targetCpuUtilization } },
                    },
                ],
            },
        },
        scope.child.opts(`${color}-hpa`, opts),
    );
    new k8s.policy.v1.PodDisruptionBudget(
        scope.child.name(`${color}-pdb`),
        {
            metadata: { name: names.scaling, namespace: args.namespace, labels: { app: names.app } },
            spec: { maxUnavailable: 1, selector: { matchLabels: { app: names.app } } },
        },
        scope.child.opts(`${color}-pdb`, opts),
    );
}

/**
 * The command of a color's cron runner (image/, `wp platform cron-runner`): every interval, the due
 * WP-Cron events of each site of its color, a bounded number of sites at once, each under a time
 * limit, one site's failure logged without holding up the others.
 */
export const CRON_RUNNER_COMMAND = ["wp", "platform", "cron-runner"];

/**
 * One long-running pod per color runs WP-Cron for the color's sites, since no visitor request does
 * (`DISABLE_WP_CRON`). A Deployment that loops, not a CronJob: a CronJob starts a pod a minute
 * (image pull, PHP start, one connection per site each time) and cannot go below a minute; one warm
 * process costs a pod whether or not events are due, and is simpler to bound. `Recreate` never runs
 * two runners of a color at once; a site that changes color is guarded by a per-site database lock
 * in the runner, so the two colors' runners never run one site together. It rolls out with its
 * color's web pods: after the color's verify Jobs, so a new image runs no site's events unverified.
 */
function createCronRunner(scope: ServingScope, color: Color, args: ServingArgs, parent: pulumi.Resource): k8s.apps.v1.Deployment {
    const cron = args.cron;
    const names = scope.names(color);
    const labels = { app: names.cronApp, ...CRON_POD_LABELS };
    const mounts = siteVolumes(scope);
    const child = cronRunnerName(color);
    return new k8s.apps.v1.Deployment(
        scope.child.name(child),
        {
            metadata: { name: names.cronRunner, namespace: args.namespace, labels },
            spec: {
                // A color no site is on has no events to run.
                replicas: scope.inUse(color) ? 1 : 0,
                selector: { matchLabels: { app: names.cronApp } },
                strategy: { type: "Recreate" },
                template: {
                    metadata: { labels },
                    spec: {
                        serviceAccountName: scope.serviceAccountName,
                        securityContext: podSecurityContext(args.wordpress.runAsUser),
                        // On SIGTERM (a rollout, Recreate) the runner starts no site and lets the running
                        // ones finish: they may take their whole time limit.
                        terminationGracePeriodSeconds: cron.siteTimeoutSeconds + 30,
                        containers: [
                            {
                                name: "cron",
                                image: colorImage(args.image, args.release, color),
                                command: CRON_RUNNER_COMMAND,
                                env: [
                                    { name: "WP_PLATFORM_STACK", value: args.stack },
                                    { name: "WP_PLATFORM_COLOR", value: color },
                                    ...mounts.env,
                                    { name: "WP_CRON_CONCURRENCY", value: String(cron.concurrency) },
                                    { name: "WP_CRON_SITE_TIMEOUT", value: String(cron.siteTimeoutSeconds) },
                                    { name: "WP_CRON_INTERVAL", value: String(cron.intervalSeconds) },
                                ],
                                resources: { requests: cron.requests, limits: cron.limits },
                                securityContext: containerSecurityContext,
                                volumeMounts: mounts.volumeMounts,
                            },
                        ],
                        volumes: mounts.volumes,
                    },
                },
            },
        },
        scope.child.opts(child, { parent, dependsOn: [...scope.rolloutAfter(color)] }),
    );
}

/** Labels every cron runner pod carries. */
const CRON_POD_LABELS = { "app.kubernetes.io/part-of": "wp-platform", "wp-platform/role": "cron" };

/** `cron-blue`, `cron-green`. */
export const cronRunnerName = (color: Color): string => `cron-${color}`;
