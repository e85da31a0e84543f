// The stack's edge (components/edge.ts, components/site-edge.ts; config wp-platform:edge): the
// distribution, its origins, behaviors and policies, the WAF web ACL in us-east-1, a tenant per site,
// DNS, the bucket policy statement, what a disabled edge leaves out, what the config refuses, and what
// adding or removing a site changes.
import { expect } from "chai";
import {
    ACME_CHALLENGE_PATH,
    CLOUDFRONT_ZONE_ID,
    LARGE_BODY_PATHS,
    LOGIN_PATHS,
    MANAGED_POLICIES,
    MANAGED_RULE_GROUPS,
    ORIGIN_HEADER,
    SIZE_RESTRICTIONS_LABEL,
    UNCACHED_PATHS,
    UPLOADS_PATH_CODE,
} from "../components/edge";
import { EDGE_TYPE } from "../src/naming";
import { ACCOUNT_ID, mockSecretValue } from "../tools/mocks";
import { diffRuns, names } from "./support/diff";
import { type ProgramRun, type Registered, isSecret, redact, runFailingProgram, runProgram, siteFile } from "./support/program";

const DISTRIBUTION = "aws:cloudfront/multitenantDistribution:MultitenantDistribution";
const TENANT = "aws:cloudfront/distributionTenant:DistributionTenant";
const OAC = "aws:cloudfront/originAccessControl:OriginAccessControl";
const CACHE_POLICY = "aws:cloudfront/cachePolicy:CachePolicy";
const HEADERS_POLICY = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy";
const FUNCTION = "aws:cloudfront/function:Function";
const GROUP = "aws:cloudfront/connectionGroup:ConnectionGroup";
const ACL = "aws:wafv2/webAcl:WebAcl";
const RECORD = "aws:route53/record:Record";
const AWS_PROVIDER = "pulumi:providers:aws";
const POLICY = "aws:s3/bucketPolicy:BucketPolicy";
const EDGE = `urn:pulumi:stg::wp-platform::${EDGE_TYPE}::edge`;
const secret = mockSecretValue("edge-origin-secret");
const ROUTING_ENDPOINT = "edge-connection-group-mock.cloudfront.net";

const isEdgeType = (r: Registered) => /^aws:(cloudfront|wafv2|route53)\//.test(r.type);
const tenants = (run: ProgramRun) => run.ofType(TENANT);
/** Every resource of the stack's edge: the component and its children. */
const stackEdge = (run: ProgramRun) => run.resources.filter((r) => r.type === EDGE_TYPE || r.parent.endsWith(`${EDGE_TYPE}::edge`));

describe("the edge", () => {
    let stg: ProgramRun;
    let prod: ProgramRun;
    before(async () => {
        stg = await runProgram({ stack: "stg" });
        prod = await runProgram({ stack: "prod" });
    });

    describe("the distribution", () => {
        it("is one multi-tenant distribution per stack, under the Edge component, with the siteId tenant parameter", () => {
            for (const run of [stg, prod]) {
                expect(run.ofType(DISTRIBUTION)).to.have.length(1);
                expect(run.ofType(EDGE_TYPE).map((r) => r.name)).to.deep.equal(["edge"]);
                const d = run.get(DISTRIBUTION, "edge-distribution");
                expect(d.parent).to.match(new RegExp(`${EDGE_TYPE}::edge$`));
                expect(d.inputs.enabled).to.equal(true);
                expect(d.inputs.tenantConfig.parameterDefinitions).to.deep.equal([
                    {
                        name: "siteId",
                        definitions: [
                            { stringSchemas: [{ required: true, comment: "the site id: its prefix sites/<id>/ in the bucket" }] },
                        ],
                    },
                ]);
            }
        });

        it("takes pages from the ingress controller's load balancer over HTTPS only, with the secret origin header", () => {
            const pages = stg.get(DISTRIBUTION, "edge-distribution").inputs.origins.find((o: { id: string }) => o.id === "pages");
            expect(pages.domainName).to.equal("ingress-nginx-0a1b2c3d4e5f6a7b.elb.eu-west-1.amazonaws.com");
            expect(pages.customOriginConfigs).to.deep.equal([
                { httpPort: 80, httpsPort: 443, originProtocolPolicy: "https-only", originSslProtocols: ["TLSv1.2"] },
            ]);
            expect(pages.customHeaders).to.deep.equal([{ headerName: ORIGIN_HEADER, headerValue: secret }]);
            expect(ORIGIN_HEADER).to.equal("X-WP-Platform-Edge");
            expect(stg.get("random:index/randomPassword:RandomPassword", "edge-origin-secret").inputs).to.include({
                length: 48,
                special: false,
            });
        });

        it("keeps the origin header's value a secret: in no input or output in plain text", () => {
            for (const run of [stg, prod]) {
                // The SDK marks the whole `origins` input secret (a secret inside a list taints the list):
                // a preview shows the origins as [secret].
                expect(isSecret(run.get(DISTRIBUTION, "edge-distribution").raw.origins)).to.equal(true);
                for (const r of run.resources) expect(JSON.stringify(redact(r.raw)), r.urn).not.to.include(secret);
                expect(JSON.stringify(redact(run.rawOutputs))).not.to.include(secret);
                expect(JSON.stringify(run.outputs)).not.to.include(secret);
            }
        });

        it("reads uploads from the stack's bucket through Origin Access Control, under the tenant's prefix", () => {
            const uploads = stg.get(DISTRIBUTION, "edge-distribution").inputs.origins.find((o: { id: string }) => o.id === "uploads");
            expect(uploads).to.deep.equal({
                id: "uploads",
                domainName: "platform-files-mock.s3.eu-west-1.amazonaws.com",
                originAccessControlId: "edge-uploads-oac-id",
                originPath: "/sites/{{siteId}}/uploads",
            });
            expect(stg.get(OAC, "edge-uploads-oac").inputs).to.include({
                name: "wp-platform-stg-uploads",
                originAccessControlOriginType: "s3",
                signingBehavior: "always",
                signingProtocol: "sigv4",
            });
        });

        it("maps /wp-content/uploads/<file> to <file> under the origin path, by a viewer-request function", () => {
            const fn = stg.get(FUNCTION, "edge-uploads-path").inputs;
            expect(fn).to.include({ runtime: "cloudfront-js-2.0", publish: true, code: UPLOADS_PATH_CODE });
            // The function's own code, run on CloudFront's event shape.
            const handler = new Function(`${UPLOADS_PATH_CODE}; return handler;`)() as (e: unknown) => { uri: string };
            const uri = (u: string) => handler({ request: { uri: u } }).uri;
            expect(uri("/wp-content/uploads/2026/01/a.jpg")).to.equal("/2026/01/a.jpg");
            expect(uri("/wp-content/uploadsx/a.jpg")).to.equal("/wp-content/uploadsx/a.jpg");
            const behavior = stg
                .get(DISTRIBUTION, "edge-distribution")
                .inputs.cacheBehaviors.find((b: { pathPattern: string }) => b.pathPattern === "/wp-content/uploads/*");
            expect(behavior.functionAssociations).to.deep.equal([
                { eventType: "viewer-request", functionArn: `arn:aws:cloudfront::${ACCOUNT_ID}:function/wp-platform-stg-uploads-path` },
            ]);
        });

        it("caches uploads with CachingOptimized, never caches admin, log-in, REST or XML-RPC, and caches pages as the origin allows", () => {
            const d = stg.get(DISTRIBUTION, "edge-distribution").inputs;
            const byPath = Object.fromEntries(d.cacheBehaviors.map((b: { pathPattern: string }) => [b.pathPattern, b]));
            expect(Object.keys(byPath)).to.deep.equal([
                "/wp-content/uploads/*",
                "/wp-admin/*",
                "/wp-login.php",
                "/wp-json/*",
                "/xmlrpc.php",
                "/.well-known/acme-challenge/*",
            ]);
            expect(byPath["/wp-content/uploads/*"]).to.include({
                targetOriginId: "uploads",
                cachePolicyId: MANAGED_POLICIES.cachingOptimized,
            });
            expect(byPath["/wp-content/uploads/*"]).not.to.have.property("originRequestPolicyId");
            expect(byPath["/wp-content/uploads/*"].allowedMethods.items).to.deep.equal(["GET", "HEAD", "OPTIONS"]);
            for (const path of UNCACHED_PATHS) {
                expect(byPath[path], path).to.include({
                    targetOriginId: "pages",
                    cachePolicyId: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", // CachingDisabled
                    originRequestPolicyId: "216adef6-5c7f-47e4-b989-5492eafa07d3", // AllViewer: every cookie, and the Host
                });
                expect(byPath[path].allowedMethods.items).to.include.members(["POST", "PUT", "DELETE"]);
            }
            expect(d.defaultCacheBehavior).to.include({ targetOriginId: "pages", cachePolicyId: "edge-pages-cache-id" });
            expect(d.defaultCacheBehavior.allowedMethods.cachedMethods).to.deep.equal(["GET", "HEAD"]);
            for (const b of [...d.cacheBehaviors, d.defaultCacheBehavior].filter((b) => b.pathPattern !== ACME_CHALLENGE_PATH)) {
                expect(b.viewerProtocolPolicy).to.equal("redirect-to-https");
                expect(b.responseHeadersPolicyId).to.equal("edge-headers-id");
            }
        });

        it("passes cert-manager's HTTP-01 challenges to the origin over plain HTTP, uncached and without the secret header", () => {
            const d = stg.get(DISTRIBUTION, "edge-distribution").inputs;
            const acme = d.cacheBehaviors.find((b: { pathPattern: string }) => b.pathPattern === ACME_CHALLENGE_PATH);
            expect(acme).to.include({
                targetOriginId: "acme",
                viewerProtocolPolicy: "allow-all",
                cachePolicyId: MANAGED_POLICIES.cachingDisabled,
                originRequestPolicyId: MANAGED_POLICIES.allViewer,
            });
            expect(acme.allowedMethods.items).to.deep.equal(["GET", "HEAD"]);
            const origin = d.origins.find((o: { id: string }) => o.id === "acme");
            expect(origin.domainName).to.equal(d.origins.find((o: { id: string }) => o.id === "pages").domainName);
            expect(origin.customOriginConfigs[0].originProtocolPolicy).to.equal("http-only");
            expect(origin).not.to.have.property("customHeaders");
        });

        it("keys pages on the Host, every cookie and every query string, and caches them no longer than the origin says", () => {
            const policy = stg.get(CACHE_POLICY, "edge-pages-cache").inputs;
            expect(policy).to.include({ name: "wp-platform-stg-pages", minTtl: 0, defaultTtl: 0, maxTtl: 31536000 });
            expect(policy.parametersInCacheKeyAndForwardedToOrigin).to.deep.equal({
                headersConfig: { headerBehavior: "whitelist", headers: { items: ["Host"] } },
                cookiesConfig: { cookieBehavior: "all" },
                queryStringsConfig: { queryStringBehavior: "all" },
                enableAcceptEncodingGzip: true,
                enableAcceptEncodingBrotli: true,
            });
        });

        it("adds HSTS, nosniff, SAMEORIGIN framing and strict-origin-when-cross-origin to every response", () => {
            expect(stg.get(HEADERS_POLICY, "edge-headers").inputs.securityHeadersConfig).to.deep.equal({
                strictTransportSecurity: { accessControlMaxAgeSec: 63072000, includeSubdomains: false, preload: false, override: true },
                contentTypeOptions: { override: true },
                frameOptions: { frameOption: "SAMEORIGIN", override: true },
                referrerPolicy: { referrerPolicy: "strict-origin-when-cross-origin", override: true },
            });
        });

        it("has the WAF web ACL attached, by its ARN", () => {
            const acl = stg.get(ACL, "edge-waf");
            expect(stg.get(DISTRIBUTION, "edge-distribution").inputs.webAclId).to.equal(
                `arn:aws:wafv2:us-east-1:${ACCOUNT_ID}:global/webacl/wp-platform-stg/edge-waf-mock`,
            );
            expect(stg.get(DISTRIBUTION, "edge-distribution").dependencies).to.include(acl.urn);
        });

        it("uses the stack certificate when it has one (prod), and the CloudFront default with managed tenant certificates otherwise (stg)", () => {
            expect(prod.get(DISTRIBUTION, "edge-distribution").inputs.viewerCertificate).to.deep.equal({
                acmCertificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                sslSupportMethod: "sni-only",
                minimumProtocolVersion: "TLSv1.2_2021",
            });
            expect(stg.get(DISTRIBUTION, "edge-distribution").inputs.viewerCertificate).to.deep.equal({
                cloudfrontDefaultCertificate: true,
            });
        });
    });

    describe("the WAF web ACL", () => {
        it("is scoped to CloudFront and created through the one us-east-1 provider", () => {
            for (const run of [stg, prod]) {
                const acl = run.get(ACL, "edge-waf");
                expect(acl.inputs).to.include({ scope: "CLOUDFRONT", name: `wp-platform-${run === stg ? "stg" : "prod"}` });
                expect(acl.inputs.defaultAction).to.deep.equal({ allow: {} });
                const provider = run.get(AWS_PROVIDER, "edge-us-east-1");
                expect(provider.inputs.region).to.equal("us-east-1");
                expect(acl.provider.startsWith(`${provider.urn}::`)).to.equal(true);
                // The only explicit AWS provider; nothing else of the program uses it.
                expect(run.ofType(AWS_PROVIDER)).to.have.length(1);
                const users = run.resources.filter((r) => r.provider.startsWith(`${provider.urn}::`)).map((r) => r.type);
                expect(users).to.deep.equal([ACL]);
            }
        });

        it("runs the four AWS managed rule groups, with SizeRestrictions_BODY counted, not blocking", () => {
            const rules = stg.get(ACL, "edge-waf").inputs.rules as any[];
            const managed = rules.filter((r) => r.statement.managedRuleGroupStatement);
            expect(managed.map((r) => r.statement.managedRuleGroupStatement.name)).to.deep.equal([...MANAGED_RULE_GROUPS]);
            expect(MANAGED_RULE_GROUPS).to.have.members([
                "AWSManagedRulesWordPressRuleSet",
                "AWSManagedRulesPHPRuleSet",
                "AWSManagedRulesKnownBadInputsRuleSet",
                "AWSManagedRulesCommonRuleSet",
            ]);
            for (const r of managed) {
                expect(r.statement.managedRuleGroupStatement.vendorName).to.equal("AWS");
                expect(r.overrideAction).to.deep.equal({ none: {} });
            }
            const common = managed.find((r) => r.name === "AWSManagedRulesCommonRuleSet");
            expect(common.statement.managedRuleGroupStatement.ruleActionOverrides).to.deep.equal([
                { name: "SizeRestrictions_BODY", actionToUse: { count: {} } },
            ]);
            expect(new Set(rules.map((r) => r.priority)).size).to.equal(rules.length);
        });

        it("blocks a body over 8 KB everywhere but under /wp-admin/ and /wp-json/, after the common rule set labelled it", () => {
            const rules = stg.get(ACL, "edge-waf").inputs.rules as any[];
            const rule = rules.find((r) => r.name === "large-body-outside-admin");
            const common = rules.find((r) => r.name === "AWSManagedRulesCommonRuleSet");
            expect(rule.priority).to.be.greaterThan(common.priority);
            expect(rule.action).to.deep.equal({ block: {} });
            const [label, not] = rule.statement.andStatement.statements;
            expect(label).to.deep.equal({ labelMatchStatement: { scope: "LABEL", key: SIZE_RESTRICTIONS_LABEL } });
            expect(not.notStatement.statement.orStatement.statements.map((s: any) => s.byteMatchStatement.searchString)).to.deep.equal([
                ...LARGE_BODY_PATHS,
            ]);
            expect(SIZE_RESTRICTIONS_LABEL).to.equal("awswaf:managed:aws:core-rule-set:SizeRestrictions_Body");
        });

        it("rate-limits each IP on /wp-login.php and /xmlrpc.php only, first, at loginRateLimit per 5 minutes", async () => {
            const rule = (run: ProgramRun) => (run.get(ACL, "edge-waf").inputs.rules as any[]).find((r) => r.name === "login-rate");
            const login = rule(stg);
            expect(login.priority).to.equal(0);
            expect(login.action).to.deep.equal({ block: {} });
            const rate = login.statement.rateBasedStatement;
            expect(rate).to.include({ limit: 100, evaluationWindowSec: 300, aggregateKeyType: "IP" });
            expect(rate.scopeDownStatement.orStatement.statements).to.deep.equal(
                LOGIN_PATHS.map((searchString) => ({
                    byteMatchStatement: {
                        fieldToMatch: { uriPath: {} },
                        positionalConstraint: "EXACTLY",
                        searchString,
                        textTransformations: [{ priority: 0, type: "LOWERCASE" }],
                    },
                })),
            );
            expect(LOGIN_PATHS).to.deep.equal(["/wp-login.php", "/xmlrpc.php"]);
            const stricter = await runProgram({ config: { edge: { ...stgEdge(), loginRateLimit: 20 } } });
            expect(rule(stricter).statement.rateBasedStatement.limit).to.equal(20);
        });
    });

    describe("per site", () => {
        it("gives each site one tenant with exactly its hostnames and its siteId, in the stack's connection group", () => {
            for (const run of [stg, prod]) {
                const sites = run.outputs.sites as Record<string, { hostnames: string[] }>;
                expect(
                    tenants(run)
                        .map((t) => t.name)
                        .sort(),
                ).to.deep.equal(
                    Object.keys(sites)
                        .map((id) => `${id}/edge-tenant`)
                        .sort(),
                );
                for (const [id, site] of Object.entries(sites)) {
                    const t = run.get(TENANT, `${id}/edge-tenant`);
                    expect(t.parent).to.equal(`urn:pulumi:${run === stg ? "stg" : "prod"}::wp-platform::wp-platform:index:Site::${id}`);
                    expect(t.inputs.domains).to.deep.equal(site.hostnames.map((domain) => ({ domain })));
                    expect(t.inputs.parameters).to.deep.equal([{ name: "siteId", value: id }]);
                    expect(t.inputs).to.include({
                        distributionId: "edge-distribution-id",
                        connectionGroupId: "edge-connection-group-id",
                        enabled: true,
                        name: `wp.${run === stg ? "stg" : "prod"}.${id}`,
                    });
                }
            }
        });

        it("asks CloudFront for a managed certificate per tenant without a stack certificate (stg), and none with one (prod)", () => {
            const rrr = stg.get(TENANT, "rrr/edge-tenant").inputs;
            expect(rrr.managedCertificateRequest).to.deep.equal({
                primaryDomainName: "rrr.cloud2-stg.example.com",
                validationTokenHost: "cloudfront",
                certificateTransparencyLoggingPreference: "enabled",
            });
            // The provider writes the issued certificate into the tenant's customizations: kept, not undone.
            expect(stg.get(TENANT, "rrr/edge-tenant").ignoreChanges).to.deep.equal(["customizations"]);
            expect(rrr.customizations).to.deep.equal({});
            for (const t of tenants(prod)) {
                expect(t.inputs).not.to.have.property("managedCertificateRequest");
                expect(t.inputs).not.to.have.property("customizations");
                expect(t.ignoreChanges).to.deep.equal([]);
            }
        });

        it("points every hostname at the connection group with A and AAAA aliases when the stack has a zone (stg)", () => {
            const group = stg.get(GROUP, "edge-connection-group").inputs;
            expect(group).to.include({ name: "wp-platform-stg", enabled: true, ipv6Enabled: true });
            const hostnames = Object.values(stg.outputs.sites as Record<string, { hostnames: string[] }>).flatMap((s) => s.hostnames);
            const records = stg.ofType(RECORD);
            expect(records).to.have.length(hostnames.length * 2);
            for (const r of records) {
                expect(hostnames).to.include(r.inputs.name);
                expect(["A", "AAAA"]).to.include(r.inputs.type);
                expect(r.inputs.zoneId).to.equal("Z0123456789STGEXAMPLE");
                expect(r.inputs.aliases).to.deep.equal([
                    { name: ROUTING_ENDPOINT, zoneId: CLOUDFRONT_ZONE_ID, evaluateTargetHealth: false },
                ]);
            }
            expect(CLOUDFRONT_ZONE_ID).to.equal("Z2FDTNDATAQYW2");
            expect(stg.outputs).not.to.have.property("edgeDns");
        });

        it("says in edgeDns what to point where when the stack has no zone (prod), and creates no record", () => {
            expect(prod.ofType(RECORD)).to.deep.equal([]);
            const hostnames = Object.values(prod.outputs.sites as Record<string, { hostnames: string[] }>).flatMap((s) => s.hostnames);
            expect(prod.outputs.edgeDns).to.deep.equal(Object.fromEntries(hostnames.map((h) => [h, ROUTING_ENDPOINT])));
            expect(prod.outputs.edgeDistributionId).to.equal("edge-distribution-id");
        });
    });

    describe("the bucket", () => {
        const statements = (run: ProgramRun) => JSON.parse(run.get(POLICY, "platform-files-policy").inputs.policy).Statement;

        it("lets the distribution alone read sites/*/uploads/*, and still refuses every request without TLS", () => {
            const [tls, edge] = statements(stg);
            expect(tls.Sid).to.equal("DenyWithoutTLS");
            expect(edge).to.deep.equal({
                Sid: "EdgeReadsUploads",
                Effect: "Allow",
                Principal: { Service: "cloudfront.amazonaws.com" },
                Action: "s3:GetObject",
                Resource: "arn:aws:s3:::platform-files-mock/sites/*/uploads/*",
                Condition: { StringEquals: { "AWS:SourceArn": `arn:aws:cloudfront::${ACCOUNT_ID}:distribution/edge-distribution-mock` } },
            });
            expect(stg.get(POLICY, "platform-files-policy").dependencies).to.include(stg.get(DISTRIBUTION, "edge-distribution").urn);
        });
    });

    describe("disabled", () => {
        it("registers none of it, exports nothing of it, and keeps the TLS-only bucket policy", async () => {
            const run = await runProgram({ config: { edge: { enabled: false } } });
            expect(run.resources.filter(isEdgeType).map((r) => r.urn)).to.deep.equal([]);
            expect(stackEdge(run)).to.deep.equal([]);
            expect(run.ofType(AWS_PROVIDER)).to.deep.equal([]);
            expect(run.outputs).not.to.have.property("edgeDns");
            expect(run.outputs).not.to.have.property("edgeDistributionId");
            expect(JSON.parse(run.get(POLICY, "platform-files-policy").inputs.policy).Statement.map((s: any) => s.Sid)).to.deep.equal([
                "DenyWithoutTLS",
            ]);
        });

        it("is the default when the stack file leaves the key out", async () => {
            const run = await runProgram({ config: { edge: undefined } });
            expect(run.resources.filter(isEdgeType)).to.deep.equal([]);
        });
    });

    describe("config errors", () => {
        it("name the key, before anything is registered", async () => {
            const { error, resources } = await runFailingProgram({
                config: {
                    edge: {
                        enabled: true,
                        certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                        route53ZoneId: "zone-1",
                        loginRateLimit: 5,
                        priceClass: "PriceClass_100",
                    },
                },
            });
            expect(error.message).to.include("wp-platform:edge.originDomain: required when edge.enabled");
            expect(error.message).to.include("wp-platform:edge.certificateArn: an ACM certificate ARN in us-east-1");
            expect(error.message).to.include("wp-platform:edge.route53ZoneId: a Route 53 hosted zone id");
            expect(error.message).to.include("wp-platform:edge.loginRateLimit: at least 10");
            // Multi-tenant distributions have no price class (connection groups own it): not a key here.
            expect(error.message).to.match(/wp-platform:edge\.priceClass: unknown key/);
            expect(resources).to.deep.equal([]);
        });

        it("refuses a site with more hostnames than a tenant takes, before anything is registered", async () => {
            const hostnames = Array.from({ length: 101 }, (_, i) => `h${i}.alpha.cloud2-stg.example.com`);
            const { error, resources } = await runFailingProgram({ sites: { "alpha.yaml": siteFile("alpha", { hostnames }) } });
            expect(error.message).to.include("site alpha: 101 hostnames, and a CloudFront distribution tenant takes at most 100");
            expect(resources).to.deep.equal([]);
            // Without an edge, no such limit.
            await runProgram({ sites: { "alpha.yaml": siteFile("alpha", { hostnames }) }, config: { edge: { enabled: false } } });
        });

        it("refuses an origin that is not a DNS name", async () => {
            const { error } = await runFailingProgram({ config: { edge: { ...stgEdge(), originDomain: "https://lb.example.com/" } } });
            expect(error.message).to.include("wp-platform:edge.originDomain: a lowercase DNS domain");
        });
    });

    describe("changes", () => {
        const one = { "alpha.yaml": siteFile("alpha") };
        const two = {
            ...one,
            "beta.yaml": siteFile("beta", { hostnames: ["beta.cloud2-stg.example.com", "www.beta.cloud2-stg.example.com"] }),
        };
        let withOne: ProgramRun;
        let withTwo: ProgramRun;
        before(async () => {
            withOne = await runProgram({ sites: one });
            withTwo = await runProgram({ sites: two });
        });
        const edgeOf = (urns: string[]) => urns.filter((u) => u.includes("/edge-") || u.includes(`${EDGE_TYPE}`));

        it("adding a site adds its tenant and its records, and changes nothing else of the edge", () => {
            const diff = diffRuns(withOne, withTwo);
            expect(names(edgeOf(diff.added))).to.deep.equal(
                [
                    `${TENANT}::beta/edge-tenant`,
                    "aws:iam/rolePolicy:RolePolicy::beta/edge-policy",
                    `${RECORD}::beta/edge-a/beta.cloud2-stg.example.com`,
                    `${RECORD}::beta/edge-a/www.beta.cloud2-stg.example.com`,
                    `${RECORD}::beta/edge-aaaa/beta.cloud2-stg.example.com`,
                    `${RECORD}::beta/edge-aaaa/www.beta.cloud2-stg.example.com`,
                ].sort(),
            );
            expect(edgeOf(diff.changed)).to.deep.equal([]);
            expect(diff.changed.filter((u) => isEdgeUrn(u))).to.deep.equal([]);
            expect(stackEdge(withTwo).map((r) => [r.urn, r.raw])).to.deep.equal(stackEdge(withOne).map((r) => [r.urn, r.raw]));
            // The bucket policy names patterns, not sites.
            expect(diff.changed).not.to.include(withOne.get(POLICY, "platform-files-policy").urn);
        });

        it("removing a site removes only its tenant and its records", () => {
            const diff = diffRuns(withTwo, withOne);
            expect(diff.added).to.deep.equal([]);
            expect(names(edgeOf(diff.removed))).to.deep.equal(names(edgeOf(diffRuns(withOne, withTwo).added)));
            expect(diff.changed.filter((u) => isEdgeUrn(u))).to.deep.equal([]);
        });

        it("turning the edge off removes exactly the edge, and the bucket policy's statement", async () => {
            const off = await runProgram({ sites: one, config: { edge: { enabled: false } } });
            const diff = diffRuns(withOne, off);
            expect(diff.added).to.deep.equal([]);
            expect(
                diff.removed.every(
                    (u) =>
                        isEdgeUrn(u) ||
                        u.includes(`${EDGE_TYPE}`) ||
                        u.includes("pulumi:providers:aws") ||
                        u.endsWith("/edge-policy") ||
                        u.includes("edge-origin-secret"),
                ),
            ).to.equal(true);
            // And each site's cache flush, which has no tenant to invalidate any more.
            expect(names(diff.changed)).to.deep.equal([
                "aws:s3/bucketPolicy:BucketPolicy::platform-files-policy",
                "kubernetes:batch/v1:Job::alpha/flush-caches",
            ]);
        });
    });

    it("registers unique URNs and names every stack-level child edge-<part>", () => {
        for (const run of [stg, prod]) {
            const urns = run.resources.map((r) => r.urn);
            expect(new Set(urns).size).to.equal(urns.length);
            for (const r of stackEdge(run).filter((r) => r.type !== EDGE_TYPE)) expect(r.name, r.urn).to.match(/^edge-/);
        }
        expect(EDGE).to.equal("urn:pulumi:stg::wp-platform::wp-platform:index:Edge::edge");
        expect(stg.get(EDGE_TYPE, "edge").urn).to.equal(EDGE);
    });
});

/** A URN of a CloudFront, WAF or Route 53 resource. */
function isEdgeUrn(urn: string): boolean {
    return /\$aws:(cloudfront|wafv2|route53)\//.test(urn) || /::aws:(cloudfront|wafv2|route53)\//.test(urn);
}

/** stg's committed edge config. */
function stgEdge(): Record<string, unknown> {
    return {
        enabled: true,
        originDomain: "ingress-nginx-0a1b2c3d4e5f6a7b.elb.eu-west-1.amazonaws.com",
        route53ZoneId: "Z0123456789STGEXAMPLE",
        loginRateLimit: 100,
    };
}
