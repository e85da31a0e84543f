// A site's part of the edge: its CloudFront distribution tenant, with exactly the site's hostnames and
// its `siteId` parameter, and, when the stack has a Route 53 zone, alias records for every hostname.
// Called by the Site component; every child is `<id>/...` under the site, so the site id is in its URN.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CLOUDFRONT_ZONE_ID, type EdgeTenantTarget, SITE_ID_PARAMETER } from "./edge";
import { edgeTenantName, siteChildName } from "../src/naming";
import type { SiteSpec } from "../src/sites";

export interface EdgeTenantArgs {
    /** The validated site file: its id and hostnames. */
    readonly site: SiteSpec;
    /** The stack name: in the tenant's name and tags. */
    readonly stack: string;
    /** The stack's edge (`Edge.tenantTarget`). */
    readonly edge: EdgeTenantTarget;
}

export interface EdgeTenant {
    readonly tenant: aws.cloudfront.DistributionTenant;
    /** The alias records, A and AAAA per hostname, when the stack has a Route 53 zone. */
    readonly records: aws.route53.Record[];
}

/** What a site's Jobs may do to the site's own tenant: invalidate its cache, and follow the invalidation. */
export const EDGE_INVALIDATION_ACTIONS = [
    "cloudfront:CreateInvalidationForDistributionTenant",
    "cloudfront:GetInvalidationForDistributionTenant",
] as const;

/** Domains per distribution tenant: CloudFront's default quota (adjustable, Service Quotas). */
export const TENANT_DOMAINS_QUOTA = 100;

/** The sites that cannot be one tenant each, as messages; checked before anything is registered. */
export function edgeTenantProblems(specs: readonly SiteSpec[], quota: number = TENANT_DOMAINS_QUOTA): string[] {
    return specs
        .filter((s) => s.hostnames.length > quota)
        .map(
            (s) =>
                `site ${s.id}: ${s.hostnames.length} hostnames, and a CloudFront distribution tenant takes at most ${quota} ` +
                '(raise the quota "domains per distribution tenant", or split the site)',
        );
}

export function createEdgeTenant(name: string, args: EdgeTenantArgs, parent: pulumi.Resource): EdgeTenant {
    const site = args.site;
    const edge = args.edge;
    const tenant = new aws.cloudfront.DistributionTenant(
        siteChildName(name, "edge-tenant"),
        {
            name: edgeTenantName(args.stack, site.id),
            distributionId: edge.distributionId,
            connectionGroupId: edge.connectionGroupId,
            enabled: true,
            domains: site.hostnames.map((domain) => ({ domain })),
            parameters: [{ name: SITE_ID_PARAMETER, value: site.id }],
            // Without a stack certificate, CloudFront asks ACM for one for the tenant's domains and serves
            // the HTTP validation token itself: that needs the hostnames' DNS on CloudFront already (the
            // records below, or edgeDns). ACM renews it through CloudFront from then on.
            managedCertificateRequest: edge.managedCertificates
                ? {
                      primaryDomainName: site.canonicalHostname,
                      validationTokenHost: "cloudfront",
                      certificateTransparencyLoggingPreference: "enabled",
                  }
                : undefined,
            // Empty, but present: the property `ignoreChanges` keeps below (tools/diff.ts, like the
            // engine, compares what the program gives with what the state holds at that path).
            customizations: edge.managedCertificates ? {} : undefined,
            tags: { "wp-platform:stack": args.stack, "wp-platform:site": site.id },
        },
        {
            parent,
            // Once ACM has issued the managed certificate, the provider writes its ARN into the tenant's
            // customizations (terraform-provider-aws cloudfront/distribution_tenant.go,
            // updateDistributionTenantWithManagedCertificate): without this, the next update would
            // remove it again.
            ignoreChanges: edge.managedCertificates ? ["customizations"] : undefined,
        },
    );
    const zoneId = edge.route53ZoneId;
    const records =
        zoneId === undefined
            ? []
            : site.hostnames.flatMap((hostname) =>
                  (["A", "AAAA"] as const).map(
                      (type) =>
                          new aws.route53.Record(
                              siteChildName(name, `edge-${type.toLowerCase()}/${hostname}`),
                              {
                                  zoneId,
                                  name: hostname,
                                  type,
                                  aliases: [{ name: edge.routingEndpoint, zoneId: CLOUDFRONT_ZONE_ID, evaluateTargetHealth: false }],
                              },
                              { parent },
                          ),
                  ),
              );
    return { tenant, records };
}
