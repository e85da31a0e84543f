// The stack's edge (wp-platform:edge): one CloudFront multi-tenant distribution in front of every site,
// with its WAF web ACL, its cache, origin request and response headers policies, the Origin Access
// Control through which it reads the sites' uploads, and the connection group whose routing endpoint
// the sites' DNS points at. Each site adds only its distribution tenant (components/site-edge.ts), so
// adding or removing a site never touches anything here. Sources of the AWS facts: docs/engine.md, 10.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { PlatformConfig } from "../src/config";
import { EDGE_TYPE } from "../src/naming";

export type EdgeConfig = PlatformConfig["edge"];

export interface EdgeArgs {
    /** The stack name: in the names of cloud objects and in tags. */
    readonly stack: string;
    /** wp-platform:edge, with `enabled` true. */
    readonly edge: EdgeConfig;
    /** The stack's files bucket as an origin, `<bucket>.s3.<region>.amazonaws.com` (Platform). */
    readonly bucketRegionalDomainName: pulumi.Input<string>;
    /** The `aws:profile` of the stack, if any: the us-east-1 provider uses the same credentials. */
    readonly awsProfile?: string;
}

/** The tenant parameter that chooses a site's prefix in the bucket: `/sites/{{siteId}}/uploads`. */
export const SITE_ID_PARAMETER = "siteId";
/** The header CloudFront adds to every request to the pages origin; the web server refuses a request without it. */
export const ORIGIN_HEADER = "X-WP-Platform-Edge";
/** Route 53's hosted zone of every CloudFront endpoint, for alias records (AWS General Reference, CloudFront endpoints). */
export const CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2";
/** The paths that are never cached and reach WordPress with every header, cookie and query string. */
export const UNCACHED_PATHS = ["/wp-admin/*", "/wp-login.php", "/wp-json/*", "/xmlrpc.php"] as const;
/** cert-manager's HTTP-01 challenges, for the Ingresses' certificates behind the edge. */
export const ACME_CHALLENGE_PATH = "/.well-known/acme-challenge/*";
/** The paths of WordPress's log-in and XML-RPC endpoints, where the rate rule counts requests. */
export const LOGIN_PATHS = ["/wp-login.php", "/xmlrpc.php"] as const;
/** Where large request bodies are legitimate (media uploads, the editors' saves); both need a logged-in user. */
export const LARGE_BODY_PATHS = ["/wp-admin/", "/wp-json/"] as const;
/** The label CommonRuleSet's SizeRestrictions_BODY adds to a request whose body is over 8 KB. */
export const SIZE_RESTRICTIONS_LABEL = "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body";

/** AWS's managed policies (CloudFront Developer Guide, "Use managed cache policies" / "managed origin request policies"). */
export const MANAGED_POLICIES = {
    /** CachingOptimized: 1 day by default, up to a year; no cookies, headers or query strings in the key. */
    cachingOptimized: "658327ea-f89d-4fab-a63d-7e88639e58f6",
    /** CachingDisabled: every TTL 0. */
    cachingDisabled: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
    /** AllViewer: every viewer header (Host included), cookie and query string to the origin. */
    allViewer: "216adef6-5c7f-47e4-b989-5492eafa07d3",
} as const;

/** The AWS managed rule groups of the web ACL, in the order WAF evaluates them. */
export const MANAGED_RULE_GROUPS = [
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesWordPressRuleSet",
    "AWSManagedRulesPHPRuleSet",
] as const;

/** What a site's tenant needs of the edge (components/site-edge.ts). */
export interface EdgeTenantTarget {
    readonly distributionId: pulumi.Output<string>;
    readonly connectionGroupId: pulumi.Output<string>;
    /** The connection group's DNS name, `d...cloudfront.net`: where every hostname of the stack points. */
    readonly routingEndpoint: pulumi.Output<string>;
    /** No stack certificate: each tenant asks CloudFront for a managed certificate of its own. */
    readonly managedCertificates: boolean;
    /** The hosted zone for the sites' alias records, if the stack has one. */
    readonly route53ZoneId?: string;
}

export class Edge extends pulumi.ComponentResource {
    readonly distributionId: pulumi.Output<string>;
    readonly distributionArn: pulumi.Output<string>;
    readonly webAclArn: pulumi.Output<string>;
    /**
     * The header the web server checks before any PHP runs: its name, and its value (a Pulumi secret,
     * never in an output). The image and the Ingress side will read it from here.
     */
    readonly originHeader: { readonly name: string; readonly value: pulumi.Output<string> };
    readonly tenantTarget: EdgeTenantTarget;

    constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
        super(EDGE_TYPE, name, {}, opts);
        const cfg = args.edge;
        if (!cfg.enabled || cfg.originDomain === undefined) throw new Error("Edge: wp-platform:edge.enabled with an originDomain");
        const tags = { "wp-platform:stack": args.stack };

        // WAF for CloudFront (scope CLOUDFRONT) exists in us-east-1 only: one explicit provider for it.
        // CloudFront itself is global, and the stack's default provider manages it from any region.
        const usEast1 = new aws.Provider(`${name}-us-east-1`, { region: "us-east-1", profile: args.awsProfile }, { parent: this });

        // Letters and digits: a header value needs no quoting anywhere, in nginx's config or PHP's.
        const secret = new random.RandomPassword(`${name}-origin-secret`, { length: 48, special: false }, { parent: this });
        const headerValue = pulumi.secret(secret.result);

        const oac = new aws.cloudfront.OriginAccessControl(
            `${name}-uploads-oac`,
            {
                name: `wp-platform-${args.stack}-uploads`,
                description: `wp-platform ${args.stack}: CloudFront reads the sites' uploads`,
                originAccessControlOriginType: "s3",
                signingBehavior: "always",
                signingProtocol: "sigv4",
            },
            { parent: this },
        );
        const policies = createPolicies(name, args, this);
        const uploadsPath = createUploadsPathFunction(name, args, this);
        const acl = createWebAcl(name, args, tags, usEast1, this);

        // Tenants join this group rather than the account's default one, so the stack owns the endpoint
        // its DNS names, and IPv6 is on (AAAA records).
        const group = new aws.cloudfront.ConnectionGroup(
            `${name}-connection-group`,
            { name: `wp-platform-${args.stack}`, enabled: true, ipv6Enabled: true, tags },
            { parent: this },
        );

        // Preview hosts (`<id>.<previewDomain>`, the other color) are no tenant: a behavior matches a
        // path, never a host, and a tenant cannot change the distribution's caching. They stay off the
        // edge, on the ingress controller's wildcard record, where nothing caches them (README, The edge).
        const pages = "pages";
        const uploads = "uploads";
        const acme = "acme";
        const uncached = (pathPattern: string) => ({
            pathPattern,
            targetOriginId: pages,
            viewerProtocolPolicy: "redirect-to-https",
            allowedMethods: { items: ALL_METHODS, cachedMethods: ["GET", "HEAD"] },
            cachePolicyId: MANAGED_POLICIES.cachingDisabled,
            originRequestPolicyId: MANAGED_POLICIES.allViewer,
            responseHeadersPolicyId: policies.headers.id,
            compress: true,
        });
        const distribution = new aws.cloudfront.MultitenantDistribution(
            `${name}-distribution`,
            {
                comment: `wp-platform ${args.stack}: every site, one tenant each`,
                enabled: true,
                httpVersion: "http2and3",
                tenantConfig: {
                    parameterDefinitions: [
                        {
                            name: SITE_ID_PARAMETER,
                            definitions: [
                                { stringSchemas: [{ required: true, comment: "the site id: its prefix sites/<id>/ in the bucket" }] },
                            ],
                        },
                    ],
                },
                origins: [
                    {
                        id: pages,
                        domainName: cfg.originDomain,
                        customOriginConfigs: [
                            { httpPort: 80, httpsPort: 443, originProtocolPolicy: "https-only", originSslProtocols: ["TLSv1.2"] },
                        ],
                        // The web server serves nothing without it: only CloudFront reaches WordPress.
                        customHeaders: [{ headerName: ORIGIN_HEADER, headerValue }],
                    },
                    {
                        // cert-manager's HTTP-01 challenges for the Ingresses' own certificates: plain HTTP,
                        // since the first certificate of a host cannot be checked over HTTPS. No secret
                        // header: it would cross the internet in clear; the challenge is answered by
                        // cert-manager's solver, never by PHP.
                        id: acme,
                        domainName: cfg.originDomain,
                        customOriginConfigs: [
                            { httpPort: 80, httpsPort: 443, originProtocolPolicy: "http-only", originSslProtocols: ["TLSv1.2"] },
                        ],
                    },
                    {
                        id: uploads,
                        domainName: args.bucketRegionalDomainName,
                        originAccessControlId: oac.id,
                        // The tenant's parameter chooses the site's prefix; the function below removes
                        // `/wp-content/uploads` from the path, since CloudFront appends the whole path.
                        originPath: `/sites/{{${SITE_ID_PARAMETER}}}/uploads`,
                    },
                ],
                // Path patterns match the path only, never the query string: a preview (`?preview=true`)
                // is a logged-in request, which WordPress answers with no-cache headers (see pagesCache).
                cacheBehaviors: [
                    {
                        pathPattern: "/wp-content/uploads/*",
                        targetOriginId: uploads,
                        viewerProtocolPolicy: "redirect-to-https",
                        allowedMethods: { items: ["GET", "HEAD", "OPTIONS"], cachedMethods: ["GET", "HEAD"] },
                        cachePolicyId: MANAGED_POLICIES.cachingOptimized,
                        responseHeadersPolicyId: policies.headers.id,
                        functionAssociations: [{ eventType: "viewer-request", functionArn: uploadsPath.arn }],
                        compress: true,
                    },
                    ...UNCACHED_PATHS.map(uncached),
                    {
                        pathPattern: ACME_CHALLENGE_PATH,
                        targetOriginId: acme,
                        // Let's Encrypt asks over HTTP; a redirect would send it to HTTPS, to an origin
                        // that has no certificate for the host yet.
                        viewerProtocolPolicy: "allow-all",
                        allowedMethods: { items: ["GET", "HEAD"], cachedMethods: ["GET", "HEAD"] },
                        cachePolicyId: MANAGED_POLICIES.cachingDisabled,
                        originRequestPolicyId: MANAGED_POLICIES.allViewer,
                    },
                ],
                defaultCacheBehavior: {
                    targetOriginId: pages,
                    viewerProtocolPolicy: "redirect-to-https",
                    allowedMethods: { items: ALL_METHODS, cachedMethods: ["GET", "HEAD"] },
                    cachePolicyId: policies.pagesCache.id,
                    responseHeadersPolicyId: policies.headers.id,
                    compress: true,
                },
                restrictions: { geoRestriction: { restrictionType: "none" } },
                viewerCertificate: cfg.certificateArn
                    ? { acmCertificateArn: cfg.certificateArn, sslSupportMethod: "sni-only", minimumProtocolVersion: "TLSv1.2_2021" }
                    : // Each tenant brings its own managed certificate (components/site-edge.ts).
                      { cloudfrontDefaultCertificate: true },
                webAclId: acl.arn,
                tags,
            },
            { parent: this },
        );

        this.distributionId = distribution.id;
        this.distributionArn = distribution.arn;
        this.webAclArn = acl.arn;
        this.originHeader = { name: ORIGIN_HEADER, value: headerValue };
        this.tenantTarget = {
            distributionId: distribution.id,
            connectionGroupId: group.id,
            routingEndpoint: group.routingEndpoint,
            managedCertificates: cfg.certificateArn === undefined,
            route53ZoneId: cfg.route53ZoneId,
        };
        this.registerOutputs({
            distributionId: this.distributionId,
            distributionArn: this.distributionArn,
            webAclArn: this.webAclArn,
            routingEndpoint: group.routingEndpoint,
        });
    }
}

const ALL_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"];

function createPolicies(name: string, args: EdgeArgs, parent: pulumi.Resource) {
    // Pages are cached only as the origin's Cache-Control allows (no header: not cached). WordPress sends
    // no-cache headers to a logged-in user, on wp-admin and on log-in; CloudFront never caches a POST.
    // CloudFront cannot match cookie names by prefix (`wordpress_logged_in_<hash>`), so every cookie is in
    // the key: a request with cookies never gets a page cached for another visitor. The Host is in the
    // key: a tenant's hostnames share its cache, and a canonical-host redirect must not be served on the
    // canonical host. The query string is in the key: WordPress routes by it (?p=, ?s=, ?preview=).
    const pagesCache = new aws.cloudfront.CachePolicy(
        `${name}-pages-cache`,
        {
            name: `wp-platform-${args.stack}-pages`,
            comment: `wp-platform ${args.stack}: pages, as the origin's Cache-Control allows`,
            minTtl: 0,
            defaultTtl: 0,
            maxTtl: 31536000,
            parametersInCacheKeyAndForwardedToOrigin: {
                headersConfig: { headerBehavior: "whitelist", headers: { items: ["Host"] } },
                cookiesConfig: { cookieBehavior: "all" },
                queryStringsConfig: { queryStringBehavior: "all" },
                enableAcceptEncodingGzip: true,
                enableAcceptEncodingBrotli: true,
            },
        },
        { parent },
    );
    const headers = new aws.cloudfront.ResponseHeadersPolicy(
        `${name}-headers`,
        {
            name: `wp-platform-${args.stack}-security`,
            comment: `wp-platform ${args.stack}: security headers on every response`,
            securityHeadersConfig: {
                // Two years; not the sites' subdomains, which the platform may not serve.
                strictTransportSecurity: { accessControlMaxAgeSec: 63072000, includeSubdomains: false, preload: false, override: true },
                contentTypeOptions: { override: true },
                frameOptions: { frameOption: "SAMEORIGIN", override: true },
                referrerPolicy: { referrerPolicy: "strict-origin-when-cross-origin", override: true },
            },
        },
        { parent },
    );
    return { pagesCache, headers };
}

/**
 * `/wp-content/uploads/2026/01/a.jpg` -> `/2026/01/a.jpg`, which the origin path puts under
 * `sites/<id>/uploads/`, where the offload plugin writes it. CloudFront appends the viewer's whole path
 * to the origin path and cannot strip a prefix itself.
 */
export const UPLOADS_PATH_CODE = `function handler(event) {
    var request = event.request;
    request.uri = request.uri.replace(/^\\/wp-content\\/uploads(?=\\/)/, "");
    return request;
}
`;

function createUploadsPathFunction(name: string, args: EdgeArgs, parent: pulumi.Resource) {
    return new aws.cloudfront.Function(
        `${name}-uploads-path`,
        {
            name: `wp-platform-${args.stack}-uploads-path`,
            comment: "/wp-content/uploads/<file> to <file> under the site's prefix",
            runtime: "cloudfront-js-2.0",
            publish: true,
            code: UPLOADS_PATH_CODE,
        },
        { parent },
    );
}

const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true });
const uriPath = (positionalConstraint: "EXACTLY" | "STARTS_WITH", searchString: string) => ({
    byteMatchStatement: {
        fieldToMatch: { uriPath: {} },
        positionalConstraint,
        searchString,
        textTransformations: [{ priority: 0, type: "LOWERCASE" }],
    },
});

function createWebAcl(name: string, args: EdgeArgs, tags: Record<string, string>, provider: aws.Provider, parent: pulumi.Resource) {
    const managed = (group: (typeof MANAGED_RULE_GROUPS)[number], priority: number, overrides?: string[]) => ({
        name: group,
        priority,
        overrideAction: { none: {} },
        statement: {
            managedRuleGroupStatement: {
                vendorName: "AWS",
                name: group,
                ruleActionOverrides: overrides?.map((rule) => ({ name: rule, actionToUse: { count: {} } })),
            },
        },
        visibilityConfig: visibility(group),
    });
    return new aws.wafv2.WebAcl(
        `${name}-waf`,
        {
            name: `wp-platform-${args.stack}`,
            description: `wp-platform ${args.stack}: the sites' edge`,
            scope: "CLOUDFRONT",
            defaultAction: { allow: {} },
            rules: [
                {
                    // Password guessing: per client IP, over 5 minutes, on the log-in and XML-RPC endpoints only.
                    name: "login-rate",
                    priority: 0,
                    action: { block: {} },
                    statement: {
                        rateBasedStatement: {
                            limit: args.edge.loginRateLimit,
                            evaluationWindowSec: 300,
                            aggregateKeyType: "IP",
                            scopeDownStatement: { orStatement: { statements: LOGIN_PATHS.map((p) => uriPath("EXACTLY", p)) } },
                        },
                    },
                    visibilityConfig: visibility("login-rate"),
                },
                // SizeRestrictions_BODY blocks every body over 8 KB, which is every media upload and many a
                // post saved from the editor: counted (labelled) here, and blocked by the next rule outside
                // the paths that take large bodies from logged-in users. Those bodies are still inspected
                // by every other rule, up to CloudFront's inspection limit (16 KB).
                managed("AWSManagedRulesCommonRuleSet", 1, ["SizeRestrictions_BODY"]),
                {
                    name: "large-body-outside-admin",
                    priority: 2,
                    action: { block: {} },
                    statement: {
                        andStatement: {
                            statements: [
                                { labelMatchStatement: { scope: "LABEL", key: SIZE_RESTRICTIONS_LABEL } },
                                {
                                    notStatement: {
                                        statement: { orStatement: { statements: LARGE_BODY_PATHS.map((p) => uriPath("STARTS_WITH", p)) } },
                                    },
                                },
                            ],
                        },
                    },
                    visibilityConfig: visibility("large-body-outside-admin"),
                },
                managed("AWSManagedRulesKnownBadInputsRuleSet", 3),
                managed("AWSManagedRulesWordPressRuleSet", 4),
                managed("AWSManagedRulesPHPRuleSet", 5),
            ],
            visibilityConfig: visibility(`wp-platform-${args.stack}`),
            tags,
        },
        { parent, provider },
    );
}
