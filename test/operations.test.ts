// One test per operation of the old manager (DESIGN.md, "Operations"): the program runs before and
// after the edit, and the test asserts exactly which resources a preview would show changing.
import { expect } from "chai";
import { type RunDiff, diffRuns, names, updatedInPlace } from "./support/diff";
import { settingsShard } from "../src/settings";
import { type ProgramRun, type SiteFiles, runProgram, siteFile } from "./support/program";

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;
const D3 = `sha256:${"3".repeat(64)}`;
const release = (active: string, blue = D1, green = D2, more: Record<string, unknown> = {}) => ({
    release: { active, blue, green, ...more },
});

/** alpha and beta follow the active color (blue); gamma is pinned to green. */
const FLEET: SiteFiles = {
    "alpha.yaml": siteFile("alpha"),
    "beta.yaml": siteFile("beta"),
    "gamma.yaml": siteFile("gamma", { service: "green" }),
};

const job = (site: string, job: string) => `kubernetes:batch/v1:Job::${site}/${job}`;
/** A site added or removed, or its settings changed: the index and the one settings Secret that holds it, in place. */
const siteIndexOf = (...sites: string[]) =>
    sorted([
        "kubernetes:core/v1:ConfigMap::site-index",
        ...new Set(sites.map((site) => `kubernetes:core/v1:Secret::site-index-settings-${settingsShard(site)}`)),
    ]);
const ownedBy = (site: string) => (urn: string) => urn.endsWith(`::${site}`) || urn.includes(`::${site}/`);
const ingress = (site: string) => `kubernetes:networking.k8s.io/v1:Ingress::${site}/ingress`;
// A site's release Jobs: the schema upgrade (with its backup), verify, and the cache flush.
const reran = (site: string) => [job(site, "flush-caches"), job(site, "upgrade-db"), job(site, "verify")];
const sorted = (xs: string[]) => [...new Set(xs)].sort();
/** The site index records each host's color: a site that changes color updates it, in place. */
const SITE_INDEX = "kubernetes:core/v1:ConfigMap::site-index";
/** What a preview shows for the resources in both runs: `~` updated in place, `+-` replaced. */
const shown = (diff: RunDiff) => ({ updated: names(updatedInPlace(diff)), replaced: names(diff.replaced) });
const NO_CHANGE: RunDiff = { added: [], removed: [], changed: [], replaced: [] };

describe("operations", () => {
    let base: ProgramRun;
    before(async () => {
        base = await runProgram({ config: release("blue"), sites: FLEET });
    });

    it("add a site (POST /sites/create + provision): only that site's resources, and the site index", async () => {
        const after = await runProgram({ config: release("blue"), sites: { ...FLEET, "delta.yaml": siteFile("delta") } });
        const diff = diffRuns(base, after);
        expect(diff.removed).to.deep.equal([]);
        // 17, the upgrade-db Job, the jobs' ServiceAccount, the edge tenant with an A and an AAAA record for its one hostname
        // (stg's edge has a Route 53 zone), and the policy that lets its Jobs invalidate the tenant.
        expect(diff.added).to.have.length(23);
        expect(diff.added.every(ownedBy("delta"))).to.equal(true);
        expect(shown(diff)).to.deep.equal({ updated: siteIndexOf("delta"), replaced: [] });
    });

    it("new digest on the active color (POST /services {imageTag}): its Deployment, canaryEnv, and the verify and flush Jobs of its sites", async () => {
        const after = await runProgram({ config: release("blue", D3), sites: FLEET });
        const diff = diffRuns(base, after);
        expect(diff.added).to.deep.equal([]);
        expect(diff.removed).to.deep.equal([]);
        // The Jobs' pod template changed: replaced, so they run again. The Deployment rolls in place, and
        // canaryEnv is a mutable ConfigMap.
        expect(shown(diff)).to.deep.equal({
            updated: sorted([
                "kubernetes:apps/v1:Deployment::release-blue-deployment",
                "kubernetes:apps/v1:Deployment::release-cron-blue",
                "kubernetes:core/v1:ConfigMap::release-canary-env",
            ]),
            replaced: sorted([...reran("alpha"), ...reran("beta")]),
        });
        // The new image is what the re-run Jobs and the Deployment carry; provisioning keeps its own.
        const image = (run: ProgramRun, type: string, name: string) => run.get(type, name).inputs.spec.template.spec.containers[0].image;
        expect(image(after, "kubernetes:batch/v1:Job", "alpha/verify")).to.match(/@sha256:3{64}$/);
        expect(image(after, "kubernetes:apps/v1:Deployment", "release-blue-deployment")).to.match(/@sha256:3{64}$/);
        expect(after.get("kubernetes:batch/v1:Job", "alpha/install").ignoreChanges).to.deep.equal([
            "spec.template.spec.containers[0].image",
        ]);
    });

    it("new digest on the spare color: its Deployments only (web and cron), since no site is on it", async () => {
        const before = await runProgram({ config: release("blue"), sites: { "alpha.yaml": siteFile("alpha") } });
        const after = await runProgram({ config: release("blue", D1, D3), sites: { "alpha.yaml": siteFile("alpha") } });
        expect(shown(diffRuns(before, after))).to.deep.equal({
            updated: ["kubernetes:apps/v1:Deployment::release-cron-green", "kubernetes:apps/v1:Deployment::release-green-deployment"],
            replaced: [],
        });
    });

    it("flip release.active (POST /services {selector}, bulk promote): the sites on `active` move; pinned sites stay", async () => {
        const after = await runProgram({ config: release("green"), sites: FLEET });
        const diff = diffRuns(base, after);
        expect(diff.added).to.deep.equal([]);
        expect(diff.removed).to.deep.equal([]);
        // blue serves no site any more and idles, and its cron runner stops; green already served gamma.
        expect(shown(diff)).to.deep.equal({
            updated: sorted([
                "kubernetes:core/v1:ConfigMap::release-canary-env",
                "kubernetes:autoscaling/v2:HorizontalPodAutoscaler::release-blue-hpa",
                "kubernetes:apps/v1:Deployment::release-cron-blue",
                SITE_INDEX,
                ingress("alpha"),
                ingress("beta"),
            ]),
            replaced: sorted([...reran("alpha"), ...reran("beta")]),
        });
        expect(
            after.get("kubernetes:networking.k8s.io/v1:Ingress", "alpha/ingress").inputs.spec.rules[0].http.paths[0].backend.service.name,
        ).to.equal("green");
        expect(JSON.parse(after.get("kubernetes:core/v1:ConfigMap", "release-canary-env").inputs.data.canaryEnv).selector).to.equal(
            "green",
        );
    });

    it("flip release.active with every site on `active`: the replica settings of both colors change", async () => {
        const sites = { "alpha.yaml": siteFile("alpha"), "beta.yaml": siteFile("beta") };
        const before = await runProgram({ config: release("blue"), sites });
        const after = await runProgram({ config: release("green"), sites });
        const diff = diffRuns(before, after);
        const changed = names(diff.changed);
        expect(names(updatedInPlace(diff))).to.include.members([
            "kubernetes:autoscaling/v2:HorizontalPodAutoscaler::release-blue-hpa",
            "kubernetes:autoscaling/v2:HorizontalPodAutoscaler::release-green-hpa",
        ]);
        expect(names(diff.replaced)).to.deep.equal(sorted([...reran("alpha"), ...reran("beta")]));
        const hpa = (run: ProgramRun, color: string) =>
            run.get("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", `release-${color}-hpa`).inputs.spec;
        expect([hpa(after, "blue").minReplicas, hpa(after, "blue").maxReplicas]).to.deep.equal([1, 1]);
        expect([hpa(after, "green").minReplicas, hpa(after, "green").maxReplicas]).to.deep.equal([2, 6]);
        // No web pod restarts: only the cron runners' replica counts change.
        expect(changed.filter((n) => n.includes("Deployment"))).to.deep.equal([
            "kubernetes:apps/v1:Deployment::release-cron-blue",
            "kubernetes:apps/v1:Deployment::release-cron-green",
        ]);
        const replicas = (run: ProgramRun, color: string) =>
            run.get("kubernetes:apps/v1:Deployment", `release-cron-${color}`).inputs.spec.replicas;
        expect([replicas(before, "blue"), replicas(before, "green"), replicas(after, "blue"), replicas(after, "green")]).to.deep.equal([
            1, 0, 0, 1,
        ]);
    });

    it("promote one site by its service (PUT /sites/{id}/promote): only that site's Ingress and release Jobs, and its hosts' color in the site index", async () => {
        const after = await runProgram({
            config: release("blue"),
            sites: { ...FLEET, "alpha.yaml": siteFile("alpha", { service: "green" }) },
        });
        const diff = diffRuns(base, after);
        expect(diff.added).to.deep.equal([]);
        expect(diff.removed).to.deep.equal([]);
        expect(shown(diff)).to.deep.equal({ updated: sorted([ingress("alpha"), SITE_INDEX]), replaced: reran("alpha") });
    });

    it("promote the last site off a color: that color's scaling idles too", async () => {
        const before = await runProgram({ config: release("blue"), sites: { "alpha.yaml": siteFile("alpha") } });
        const after = await runProgram({ config: release("blue"), sites: { "alpha.yaml": siteFile("alpha", { service: "green" }) } });
        expect(shown(diffRuns(before, after))).to.deep.equal({
            updated: sorted([
                ingress("alpha"),
                SITE_INDEX,
                "kubernetes:autoscaling/v2:HorizontalPodAutoscaler::release-blue-hpa",
                "kubernetes:autoscaling/v2:HorizontalPodAutoscaler::release-green-hpa",
                "kubernetes:apps/v1:Deployment::release-cron-blue",
                "kubernetes:apps/v1:Deployment::release-cron-green",
            ]),
            replaced: reran("alpha"),
        });
    });

    it("rollback: putting the previous digest back gives exactly the previous resources", async () => {
        const released = await runProgram({ config: release("blue", D3), sites: FLEET });
        const rolledBack = await runProgram({ config: release("blue"), sites: FLEET });
        expect(diffRuns(base, released).changed).not.to.deep.equal([]);
        expect(diffRuns(base, rolledBack)).to.deep.equal(NO_CHANGE);
        expect(rolledBack.resources.map((r) => [r.urn, r.raw])).to.deep.equal(base.resources.map((r) => [r.urn, r.raw]));
    });

    it("rollback: flipping release.active back gives exactly the previous resources", async () => {
        const flipped = await runProgram({ config: release("green"), sites: FLEET });
        const back = await runProgram({ config: release("blue"), sites: FLEET });
        expect(diffRuns(base, flipped).changed).not.to.deep.equal([]);
        expect(back.resources.map((r) => [r.urn, r.raw])).to.deep.equal(base.resources.map((r) => [r.urn, r.raw]));
    });

    it("remove a site (DELETE /sites/{id}): only that site's resources go, and the site index", async () => {
        const { "beta.yaml": _removed, ...rest } = FLEET;
        const after = await runProgram({ config: release("blue"), sites: rest });
        const diff = diffRuns(base, after);
        expect(diff.added).to.deep.equal([]);
        // 17, the upgrade-db Job, the jobs' ServiceAccount, the edge tenant with its A and AAAA records, and its invalidation policy.
        expect(diff.removed).to.have.length(23);
        expect(diff.removed.every(ownedBy("beta"))).to.equal(true);
        expect(shown(diff)).to.deep.equal({ updated: siteIndexOf("beta"), replaced: [] });
    });

    describe("move a site between shared and dedicated (isolation): one edit", () => {
        // With a preview domain, so both of the site's Ingresses are seen to move.
        const config = release("blue", D1, D2, { previewDomain: "preview.cloud2-stg.example.com" });
        const dedicated = { ...FLEET, "alpha.yaml": siteFile("alpha", { isolation: "dedicated" }) };
        /** Updated in place: its two Ingresses, the shared index and the settings shard that held or holds it. */
        const touched = sorted([
            ...siteIndexOf("alpha"),
            ingress("alpha"),
            "kubernetes:networking.k8s.io/v1:Ingress::alpha/preview-ingress",
        ]);
        /** The site's new serving objects, all of them its own children. */
        const OWN = sorted([
            ...["blue", "green"].flatMap((color) => [
                `kubernetes:apps/v1:Deployment::alpha/${color}-deployment`,
                `kubernetes:apps/v1:Deployment::alpha/cron-${color}`,
                `kubernetes:autoscaling/v2:HorizontalPodAutoscaler::alpha/${color}-hpa`,
                `kubernetes:policy/v1:PodDisruptionBudget::alpha/${color}-pdb`,
                `kubernetes:core/v1:Service::alpha/${color}-service`,
            ]),
            "kubernetes:core/v1:ConfigMap::alpha/index",
            "kubernetes:core/v1:Secret::alpha/serving-settings",
            "kubernetes:core/v1:ServiceAccount::alpha/web-service-account",
            "aws:iam/role:Role::alpha/web-role",
            "aws:iam/rolePolicy:RolePolicy::alpha/web-role-policy",
        ]);
        let shared: ProgramRun;
        let own: ProgramRun;
        before(async () => {
            shared = await runProgram({ config, sites: FLEET });
            own = await runProgram({ config, sites: dedicated });
        });

        it("shared -> dedicated: adds its own serving objects, and updates only its Ingresses, the shared index and its shard", () => {
            const diff = diffRuns(shared, own);
            expect(diff.removed).to.deep.equal([]);
            expect(names(diff.added)).to.deep.equal(OWN);
            // No shared Deployment, HPA or cron runner changes; no Job re-runs: nothing is replaced.
            expect(shown(diff)).to.deep.equal({ updated: touched, replaced: [] });
            const backend = (run: ProgramRun) =>
                run.get("kubernetes:networking.k8s.io/v1:Ingress", "alpha/ingress").inputs.spec.rules[0].http.paths[0].backend.service.name;
            expect([backend(shared), backend(own)]).to.deep.equal(["blue", "alpha-blue"]);
        });

        it("dedicated -> shared: removes them again, with the same updates", () => {
            const diff = diffRuns(own, shared);
            expect(diff.added).to.deep.equal([]);
            expect(names(diff.removed)).to.deep.equal(OWN);
            expect(shown(diff)).to.deep.equal({ updated: touched, replaced: [] });
        });
    });

    it("change a site's canonical hostname: its install and verify Jobs re-run to set and check home and siteurl, its settings update", async () => {
        const hosts = ["alpha.cloud2-stg.example.com", "www.alpha.cloud2-stg.example.com"];
        const before = await runProgram({
            config: release("blue"),
            sites: { ...FLEET, "alpha.yaml": siteFile("alpha", { hostnames: hosts }) },
        });
        const after = await runProgram({
            config: release("blue"),
            sites: { ...FLEET, "alpha.yaml": siteFile("alpha", { hostnames: hosts, canonicalHostname: hosts[1] }) },
        });
        // A new value of a Secrets Manager secret is a new SecretVersion (secretString forces it); the
        // Kubernetes Secrets are mutable on this provider.
        expect(shown(diffRuns(before, after))).to.deep.equal({
            updated: sorted([
                "kubernetes:core/v1:Secret::alpha/k8s-secret",
                ...siteIndexOf("alpha"),
                // stg's tenants ask for a managed certificate named after the canonical hostname: updated in place.
                "aws:cloudfront/distributionTenant:DistributionTenant::alpha/edge-tenant",
            ]),
            replaced: sorted([
                job("alpha", "install"),
                job("alpha", "verify"),
                "aws:secretsmanager/secretVersion:SecretVersion::alpha/secret-version",
            ]),
        });
        const env = after.get("kubernetes:batch/v1:Job", "alpha/install").inputs.spec.template.spec.containers[0].env;
        expect(env).to.deep.include({ name: "WP_SITE_URL", value: "https://www.alpha.cloud2-stg.example.com" });
    });

    describe("with a preview domain", () => {
        const preview = (active: string) => release(active, D1, D2, { previewDomain: "preview.cloud2-stg.example.com" });
        let withPreview: ProgramRun;
        before(async () => {
            withPreview = await runProgram({ config: preview("blue"), sites: FLEET });
        });

        it("answers at <id>.<previewDomain> on the color the site is not on", () => {
            const alpha = withPreview.get("kubernetes:networking.k8s.io/v1:Ingress", "alpha/preview-ingress").inputs;
            expect(alpha.metadata.name).to.equal("alpha.preview");
            expect(alpha.spec.rules).to.deep.equal([
                {
                    host: "alpha.preview.cloud2-stg.example.com",
                    http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "green", port: { number: 80 } } } }] },
                },
            ]);
            expect(alpha.spec.tls).to.deep.equal([{ hosts: ["alpha.preview.cloud2-stg.example.com"], secretName: "alpha.preview-tls" }]);
            const gamma = withPreview.get("kubernetes:networking.k8s.io/v1:Ingress", "gamma/preview-ingress").inputs;
            expect(gamma.spec.rules[0].http.paths[0].backend.service.name).to.equal("blue");
        });

        it("maps each preview host to its site in the site index", () => {
            const index = JSON.parse(withPreview.get("kubernetes:core/v1:ConfigMap", "site-index").inputs.data["sites.json"]);
            // Served as itself, by the other color: a preview host is never redirected to the live one.
            expect(index.hosts["alpha.cloud2-stg.example.com"].color).to.equal("blue");
            expect(index.hosts["alpha.preview.cloud2-stg.example.com"]).to.deep.equal({
                ...index.hosts["alpha.cloud2-stg.example.com"],
                color: "green",
                preview: true,
            });
            expect(index.hosts["alpha.preview.cloud2-stg.example.com"].site).to.equal("alpha");
        });

        it("adds only the preview Ingresses to a stack that had none, and their hosts to the site index", () => {
            const diff = diffRuns(base, withPreview);
            expect(names(diff.added)).to.deep.equal(
                ["alpha", "beta", "gamma"].map((s) => `kubernetes:networking.k8s.io/v1:Ingress::${s}/preview-ingress`),
            );
            expect(shown(diff)).to.deep.equal({ updated: ["kubernetes:core/v1:ConfigMap::site-index"], replaced: [] });
        });

        it("moves the preview host of the sites that move on a flip", async () => {
            const flipped = await runProgram({ config: preview("green"), sites: FLEET });
            const diff = diffRuns(withPreview, flipped);
            const changed = names(diff.changed);
            expect(names(updatedInPlace(diff))).to.include.members(
                ["alpha", "beta"].map((s) => `kubernetes:networking.k8s.io/v1:Ingress::${s}/preview-ingress`),
            );
            expect(changed).not.to.include("kubernetes:networking.k8s.io/v1:Ingress::gamma/preview-ingress");
        });
    });
});
