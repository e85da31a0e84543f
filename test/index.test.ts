import { expect } from "chai";
// The module object itself (not an import namespace), so a test can swap one of its functions.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import fs = require("fs");
import { settingsShard } from "../src/settings";
import { diffRuns, names } from "./support/diff";
import { type ProgramRun, runFailingProgram, runProgram, siteFile } from "./support/program";

const IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/wp-platform/wordpress";

describe("the program", () => {
    let stg: ProgramRun;
    let prod: ProgramRun;
    before(async () => {
        stg = await runProgram({ stack: "stg" });
        prod = await runProgram({ stack: "prod" });
    });

    // The fixture sites (test/fixtures/sites/<stack>/): test/stacks.test.ts checks the committed ones.
    it("runs both stacks with their fixture sites", () => {
        expect(Object.keys(stg.outputs.sites)).to.deep.equal(["harbor-cafe", "rrr"]);
        expect(Object.keys(prod.outputs.sites)).to.deep.equal(["bluelaunch", "northwind-news"]);
        expect(stg.ofType("wp-platform:index:Site").map((r) => r.name)).to.deep.equal(["harbor-cafe", "rrr"]);
    });

    it("registers every URN once (the real engine refuses a duplicate)", () => {
        for (const run of [stg, prod]) {
            const urns = run.resources.map((r) => r.urn);
            expect(new Set(urns).size).to.equal(urns.length);
        }
    });

    it("exports per site what GET /sites/{id} returned, and the active release", () => {
        expect(stg.outputs.sites.rrr).to.deep.equal({
            url: "https://rrr.cloud2-stg.example.com/",
            hostnames: ["rrr.cloud2-stg.example.com"],
            color: "blue",
            image: `${IMAGE}@sha256:0df171af517211c3ce3db395626c6345bfe531f4d766b30946b991f86e7952a6`,
            secretName: "wp-platform/stg/rrr",
            database: "wp_rrr",
            prefix: "sites/rrr/",
        });
        expect(stg.outputs.sites["harbor-cafe"].url).to.equal("https://www.harbor-cafe.cloud2-stg.example.com/");
        expect(stg.outputs.sites["harbor-cafe"].color).to.equal("green");
        expect(stg.outputs.activeRelease.active).to.equal("blue");
        expect(stg.outputs.activeRelease.green).to.match(/@sha256:8648e3b9/);
        expect(prod.outputs.sites["northwind-news"].color).to.equal("green");
    });

    it("pins the URNs of a site's resources, so a refactor cannot silently replace a database", () => {
        const site = "urn:pulumi:stg::wp-platform::wp-platform:index:Site";
        const urns = stg.resources.filter((r) => r.urn === `${site}::rrr` || r.parent === `${site}::rrr`).map((r) => r.urn);
        expect(urns).to.have.members([
            `${site}::rrr`,
            `${site}$mysql:index/database:Database::rrr/db`,
            `${site}$mysql:index/user:User::rrr/db-user`,
            `${site}$mysql:index/grant:Grant::rrr/db-grant`,
            `${site}$random:index/randomPassword:RandomPassword::rrr/db-password`,
            `${site}$random:index/randomPassword:RandomPassword::rrr/admin-password`,
            `${site}$random:index/randomBytes:RandomBytes::rrr/salts`,
            `${site}$aws:secretsmanager/secret:Secret::rrr/secret`,
            `${site}$aws:secretsmanager/secretVersion:SecretVersion::rrr/secret-version`,
            `${site}$kubernetes:core/v1:Secret::rrr/k8s-secret`,
            `${site}$kubernetes:core/v1:ServiceAccount::rrr/jobs-service-account`,
            `${site}$aws:iam/role:Role::rrr/role`,
            `${site}$aws:iam/rolePolicy:RolePolicy::rrr/role-policy`,
            `${site}$kubernetes:batch/v1:Job::rrr/install`,
            `${site}$kubernetes:batch/v1:Job::rrr/activate-theme`,
            `${site}$kubernetes:batch/v1:Job::rrr/upgrade-db`,
            `${site}$kubernetes:batch/v1:Job::rrr/verify`,
            `${site}$kubernetes:batch/v1:Job::rrr/flush-caches`,
            `${site}$kubernetes:networking.k8s.io/v1:Ingress::rrr/ingress`,
            `${site}$kubernetes:networking.k8s.io/v1:Ingress::rrr/preview-ingress`,
            // stg has an edge with a Route 53 zone: the site's tenant, and an A and an AAAA record per hostname.
            `${site}$aws:cloudfront/distributionTenant:DistributionTenant::rrr/edge-tenant`,
            `${site}$aws:iam/rolePolicy:RolePolicy::rrr/edge-policy`,
            `${site}$aws:route53/record:Record::rrr/edge-a/rrr.cloud2-stg.example.com`,
            `${site}$aws:route53/record:Record::rrr/edge-aaaa/rrr.cloud2-stg.example.com`,
        ]);
        expect(urns).to.have.length(24);
    });

    it("pins the URNs of the stack's data: the shared database and the files bucket", () => {
        const platform = "urn:pulumi:prod::wp-platform::wp-platform:index:Platform";
        const urns = prod.resources.map((r) => r.urn);
        expect(urns).to.include.members([
            `${platform}::platform`,
            `${platform}$aws:rds/instance:Instance::platform-db`,
            `${platform}$random:index/randomPassword:RandomPassword::platform-db-master-password`,
            `${platform}$aws:s3/bucket:Bucket::platform-files`,
        ]);
    });

    it("registers the same resources with the same inputs on every run", async () => {
        const again = await runProgram({ stack: "stg" });
        expect(diffRuns(stg, again)).to.deep.equal({ added: [], removed: [], changed: [], replaced: [] });
        expect(again.resources.map((r) => [r.urn, r.raw])).to.deep.equal(stg.resources.map((r) => [r.urn, r.raw]));
    });

    it("registers the same resources whatever order the file system lists the site files in", async () => {
        const readdir = fs.readdirSync;
        const reversed = ((...args: Parameters<typeof fs.readdirSync>) =>
            [...(readdir(...args) as unknown[])].reverse()) as typeof fs.readdirSync;
        let listed = 0;
        fs.readdirSync = ((...args: Parameters<typeof fs.readdirSync>) => (listed++, reversed(...args))) as typeof fs.readdirSync;
        try {
            const again = await runProgram({ stack: "stg" });
            expect(listed).to.be.greaterThan(0);
            const seen = (run: ProgramRun) => run.resources.map((r) => [r.urn, r.raw, r.dependencies]);
            expect(seen(again)).to.deep.equal(seen(stg));
            expect(Object.keys(again.outputs.sites)).to.deep.equal(Object.keys(stg.outputs.sites));
        } finally {
            fs.readdirSync = readdir;
        }
    });
});

describe("the program with bad input", () => {
    it("registers no resource at all when one site file is bad", async () => {
        const { error, resources } = await runFailingProgram({
            sites: { "good.yaml": siteFile("good"), "bad.yaml": siteFile("bad", { hostname: "bad.cloud2-stg.example.com" }) },
        });
        expect(error.message).to.contain("bad.yaml").and.contain("hostname");
        expect(resources).to.deep.equal([]);
    });

    it("registers no resource at all when the config is bad", async () => {
        const { error, resources } = await runFailingProgram({
            config: { release: { active: "blue", blue: "latest", green: `sha256:${"a".repeat(64)}` } },
        });
        expect(error.message).to.contain("wp-platform:release.blue");
        expect(resources).to.deep.equal([]);
    });

    it("refuses a site hostname under the stack's preview domain, registering nothing", async () => {
        // stg's preview domain is preview.cloud2-stg.example.com: it would serve this host for site "shop" too.
        const { error, resources } = await runFailingProgram({
            sites: { "shop.yaml": siteFile("shop"), "blog.yaml": siteFile("blog", { hostnames: ["shop.preview.cloud2-stg.example.com"] }) },
        });
        expect(error.message).to.contain("blog.yaml").and.contain("hostnames[0]").and.contain("preview domain");
        expect(resources).to.deep.equal([]);
    });

    it("fails on a missing sites folder rather than deleting every site", async () => {
        const { error, resources } = await runFailingProgram({ config: { sitesDir: "sites/nowhere" } });
        expect(error.message).to.contain("nowhere");
        expect(resources).to.deep.equal([]);
    });
});

describe("adding and removing a site", () => {
    const two = { "alpha.yaml": siteFile("alpha"), "beta.yaml": siteFile("beta") };
    let withTwo: ProgramRun;
    let withThree: ProgramRun;
    before(async () => {
        withTwo = await runProgram({ sites: two });
        withThree = await runProgram({ sites: { ...two, "gamma.yaml": siteFile("gamma") } });
    });

    it("adds only the new site's resources, and updates the site index in place", () => {
        const diff = diffRuns(withTwo, withThree);
        expect(diff.removed).to.deep.equal([]);
        // 17 resources, the upgrade-db Job, the jobs' ServiceAccount, the preview Ingress (the stg stack has a preview domain),
        // and the edge tenant with an A and an AAAA record for the site's one hostname (stg has an edge
        // and a Route 53 zone), and the policy that lets its Jobs invalidate that tenant.
        expect(diff.added).to.have.length(24);
        expect(diff.added.every((urn) => urn.endsWith("::gamma") || urn.includes("::gamma/"))).to.equal(true);
        expect(names(diff.changed)).to.deep.equal([
            "kubernetes:core/v1:ConfigMap::site-index",
            `kubernetes:core/v1:Secret::site-index-settings-${settingsShard("gamma")}`,
        ]);
        expect(diff.replaced).to.deep.equal([]);
    });

    it("removes only that site's resources", () => {
        const diff = diffRuns(withThree, withTwo);
        expect(diff.added).to.deep.equal([]);
        expect(diff.removed.sort()).to.deep.equal(diffRuns(withTwo, withThree).added.sort());
        expect(names(diff.changed)).to.deep.equal([
            "kubernetes:core/v1:ConfigMap::site-index",
            `kubernetes:core/v1:Secret::site-index-settings-${settingsShard("gamma")}`,
        ]);
        expect(diff.replaced).to.deep.equal([]);
    });

    it("never changes the Deployments", () => {
        const deployments = (run: ProgramRun) => run.ofType("kubernetes:apps/v1:Deployment").map((r) => r.raw);
        expect(deployments(withThree)).to.deep.equal(deployments(withTwo));
    });

    it("gives the same result whatever order the files are written in", async () => {
        const reversed = await runProgram({
            sites: { "gamma.yaml": siteFile("gamma"), "beta.yaml": siteFile("beta"), "alpha.yaml": siteFile("alpha") },
        });
        expect(diffRuns(withThree, reversed)).to.deep.equal({ added: [], removed: [], changed: [], replaced: [] });
    });
});
