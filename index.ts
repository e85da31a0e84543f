// wp-platform: a fleet of WordPress sites, one YAML file per site under the stack's sitesDir.
// Reads like a table of contents: config, sites, then the components in the order the engine needs
// them (the platform; the edge; the namespace's network walls; the colors' Services; one Site per
// file; the site index; the colors' Deployments, after their sites' verify Jobs; what runs after a
// rollout), then the outputs.
import * as pulumi from "@pulumi/pulumi";
import { ColorServices } from "./components/color-services";
import { Edge } from "./components/edge";
import { Network } from "./components/network";
import { Platform } from "./components/platform";
import { Release } from "./components/release";
import { Site, siteUrlOf } from "./components/site";
import { edgeTenantProblems } from "./components/site-edge";
import { SiteIndex } from "./components/site-index";
import { siteFilesCleanupHook } from "./components/site-files-cleanup";
import { type Color } from "./src/config";
import { colorImage, colorsInUse, otherColor, siteColor } from "./src/release";
import { siteIndexSizeProblems } from "./src/settings";
import { loadStack } from "./src/site-stack";
import { type SiteSpec } from "./src/sites";

// Throws one error listing every problem of the config and of the site files, before any resource
// is registered: a run that skipped a bad site file would make `pulumi up` delete that site.
const { config, specs } = loadStack(pulumi.runtime.allConfig(), pulumi.getStack(), __dirname);
// The sites the shared fleet serves; a dedicated site has pods, index and settings of its own.
const sharedSpecs = specs.filter((s) => s.isolation === "shared");
// The pods read the site index and the sites' settings from mounted Kubernetes objects, 1 MiB each.
const sizeProblems = siteIndexSizeProblems(
    sharedSpecs,
    { stack: config.stack, adminEmail: config.adminEmail, siteUrl: (site) => siteUrlOf(site, config.ingress), cache: config.cache.enabled },
    config.release.previewDomain,
);
if (sizeProblems.length > 0) throw new Error(`the stack's ${specs.length} sites do not fit:\n  ${sizeProblems.join("\n  ")}`);
const edgeProblems = config.edge.enabled ? edgeTenantProblems(specs) : [];
if (edgeProblems.length > 0) throw new Error(`the stack's sites do not fit its edge:\n  ${edgeProblems.join("\n  ")}`);

// The bucket policy lets the edge's distribution read the uploads, and the distribution reads the
// bucket: its ARN reaches Platform once the Edge exists.
const [edgeDistributionArn, resolveEdgeDistributionArn] = pulumi.deferredOutput<string>();
const platform = new Platform("platform", {
    stack: config.stack,
    namespace: config.namespace,
    network: config.network,
    database: config.database,
    deletionProtection: config.deletionProtection,
    retainData: config.retainDataOnDelete,
    oidcProviderArn: config.oidcProviderArn,
    kubeContext: config.kubeContext,
    cache: config.cache,
    edgeDistributionArn: config.edge.enabled ? edgeDistributionArn : undefined,
});
// The stack's CloudFront distribution and WAF web ACL, when wp-platform:edge.enabled; each site adds its tenant.
const edge = config.edge.enabled
    ? new Edge("edge", {
          stack: config.stack,
          edge: config.edge,
          bucketRegionalDomainName: platform.bucketRegionalDomainName,
          awsProfile: new pulumi.Config("aws").get("profile"),
      })
    : undefined;
if (edge) resolveEdgeDistributionArn(edge.distributionArn);
// The components that hold only Kubernetes objects; their children inherit the provider.
const inCluster = { providers: [platform.providers.k8s] };

// A removed (or destroyed) site's files go with it unless the stack retains data: the engine runs this
// hook, by name, after it deletes a Site component. Registered in every stack, so a stack that turns
// retention on can still delete the sites whose state names the hook.
const filesCleanup = siteFilesCleanupHook({ retainData: config.retainDataOnDelete, region: new pulumi.Config("aws").get("region") });

// Nothing reaches or leaves a pod of the namespace but what a policy admits.
new Network("network", { namespace: platform.namespace, port: config.wordpress.port }, inCluster);

// What the sites' Ingresses route to; the pods these Services select come after the sites.
const services = new ColorServices(
    "services",
    { namespace: platform.namespace, port: config.wordpress.port, ingressControllerNamespace: config.ingress.controllerNamespace },
    inCluster,
);

// What a color's pods are built from, for the shared fleet (Release) and each dedicated site alike.
const servingArgs = {
    stack: config.stack,
    namespace: platform.namespace,
    image: config.image,
    release: config.release,
    wordpress: config.wordpress,
    cron: config.cron,
};

function createSite(site: SiteSpec) {
    const color = siteColor(site, config.release);
    const image = colorImage(config.image, config.release, color);
    const component = new Site(
        site.id,
        {
            site,
            stack: config.stack,
            color,
            image,
            adminEmail: config.adminEmail,
            ingress: config.ingress,
            jobs: config.jobs,
            runAsUser: config.wordpress.runAsUser,
            retainData: config.retainDataOnDelete,
            preview: config.release.previewDomain ? { domain: config.release.previewDomain, color: otherColor(color) } : undefined,
            serving: servingArgs,
            platform: {
                namespace: platform.namespace,
                dbHost: platform.dbHost,
                bucketName: platform.bucketName,
                bucketArn: platform.bucketArn,
                oidcProviderArn: config.oidcProviderArn,
                service: services.services[color],
                filesCleanup,
                cache: platform.cache,
                edge: edge?.tenantTarget,
            },
        },
        { providers: [platform.providers.k8s, platform.providers.mysql] },
    );
    return { site, color, image, component };
}

// One site per turn of the event loop: each site's registrations are answered before the next site
// is built, so the process holds one site's pending registrations rather than the whole fleet's.
export = async () => {
    const deployed: ReturnType<typeof createSite>[] = [];
    for (const site of specs) {
        deployed.push(createSite(site));
        await new Promise((resolve) => setImmediate(resolve));
    }
    const shared = deployed.filter((d) => d.site.isolation === "shared");
    const siteIndex = new SiteIndex(
        "site-index",
        {
            stack: config.stack,
            namespace: platform.namespace,
            sites: sharedSpecs,
            active: config.release.active,
            settings: Object.fromEntries(shared.map((d) => [d.site.id, d.component.servingSettings])),
            previewDomain: config.release.previewDomain,
            after: deployed.filter((d) => d.site.isolation === "dedicated").map((d) => d.component.ingress),
        },
        inCluster,
    );

    // A color's Deployment rolls out only once the verify Jobs of its sites have passed and the site
    // index its pods mount exists.
    const rolloutAfter = (color: Color) => [
        ...shared.filter((d) => d.color === color).map((d) => d.component.verifyJob),
        ...siteIndex.objects,
    ];
    const release = new Release(
        "release",
        {
            ...servingArgs,
            colorsInUse: colorsInUse(sharedSpecs, config.release),
            serviceAccountName: platform.serviceAccountName,
            rolloutAfter: { blue: rolloutAfter("blue"), green: rolloutAfter("green") },
        },
        inCluster,
    );
    // A site's cache flush waits for the Deployment that serves it: its own when dedicated.
    for (const d of deployed) d.component.flushCachesAfter((d.component.ownDeployments ?? release.deployments)[d.color]);

    /** Per site, what the old manager's GET /sites/{id} returned. No secret values, only names. */
    const sites = Object.fromEntries(
        deployed.map(({ site, color, image, component }) => [
            site.id,
            {
                url: component.url,
                hostnames: site.hostnames,
                color,
                image,
                secretName: component.secretName,
                database: component.databaseName,
                prefix: component.prefix,
            },
        ]),
    );

    /** The active release: which color serves sites on `active`, and each color's image. */
    const activeRelease = {
        active: config.release.active,
        blue: colorImage(config.image, config.release, "blue"),
        green: colorImage(config.image, config.release, "green"),
    };

    return {
        sites,
        activeRelease,
        namespace: platform.namespace,
        bucket: platform.bucketName,
        databaseHost: platform.dbHost,
        cacheEndpoint: platform.cache?.host,
        ...edgeOutputs(),
    };
};

/**
 * With an edge: its distribution, and, when the stack has no Route 53 zone, `edgeDns`: each hostname
 * and the name its CNAME record must point at (an apex domain needs an ALIAS-capable DNS provider).
 */
function edgeOutputs() {
    if (!edge) return {};
    const target = edge.tenantTarget;
    return {
        edgeDistributionId: edge.distributionId,
        ...(target.route53ZoneId === undefined
            ? { edgeDns: Object.fromEntries(specs.flatMap((s) => s.hostnames.map((h) => [h, target.routingEndpoint]))) }
            : {}),
    };
}
