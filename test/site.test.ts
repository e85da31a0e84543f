import { expect } from "chai";
import { SALT_NAMES } from "../src/settings";
import { mockSecretValue } from "../tools/mocks";
import { type ProgramRun, type Registered, isSecret, redact, runProgram, siteFile } from "./support/program";

const SITE = "urn:pulumi:stg::wp-platform::wp-platform:index:Site";
const PLATFORM = "urn:pulumi:stg::wp-platform::wp-platform:index:Platform";

describe("Site", () => {
    let run: ProgramRun;
    let prod: ProgramRun;
    const site = (type: string, name: string): Registered => run.get(type, name);
    before(async () => {
        run = await runProgram({
            sites: {
                "shop.yaml": siteFile("shop", {
                    name: `Bob's | "Shop" $(reboot)`,
                    theme: "storefront",
                    hostnames: ["shop.cloud2-stg.example.com", "www.shop.cloud2-stg.example.com"],
                    canonicalHostname: "www.shop.cloud2-stg.example.com",
                }),
                "blog.yaml": siteFile("blog", { service: "green" }),
            },
        });
        prod = await runProgram({ stack: "prod" });
    });

    it("parents every child to the site and names it after the site", () => {
        const children = run.resources.filter((r) => r.parent === `${SITE}::shop`);
        // With the upgrade-db Job, the jobs' ServiceAccount, the preview Ingress (stg has a preview domain), and the edge
        // tenant with an A and an AAAA record for each of its two hostnames (stg has an edge with a
        // Route 53 zone), and the policy that lets its Jobs invalidate that tenant.
        expect(children).to.have.length(25);
        for (const child of children) expect(child.name).to.match(/^shop\//);
    });

    describe("database", () => {
        it("creates the site's database and user on the shared instance", () => {
            const mysqlProvider = `${PLATFORM}$pulumi:providers:mysql::platform-mysql`;
            const db = site("mysql:index/database:Database", "shop/db");
            expect(db.inputs).to.include({ name: "wp_shop", defaultCharacterSet: "utf8mb4" });
            expect(db.provider).to.match(new RegExp(`^${escape(mysqlProvider)}::`));
            const user = site("mysql:index/user:User", "shop/db-user");
            expect(user.inputs).to.include({ user: "wp_shop", host: "%", plaintextPassword: mockSecretValue("shop/db-password") });
            expect(user.provider).to.match(new RegExp(`^${escape(mysqlProvider)}::`));
        });

        it("grants the user its own database only, without GRANT OPTION or global privileges", () => {
            const grant = site("mysql:index/grant:Grant", "shop/db-grant");
            expect(grant.inputs).to.include({ user: "wp_shop", host: "%", database: "wp\\_shop", table: "*" });
            // What WordPress needs to run and to upgrade its own schema, written out: not the constant the code uses.
            expect(grant.inputs.privileges).to.deep.equal([
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
            ]);
            const forbidden = ["ALL", "ALL PRIVILEGES", "GRANT OPTION", "SUPER", "FILE", "PROCESS", "RELOAD", "SHUTDOWN", "CREATE USER"];
            for (const privilege of forbidden) expect(grant.inputs.privileges, privilege).not.to.include(privilege);
            expect(grant.inputs.grant ?? false).to.equal(false);
        });

        it("escapes the wildcards of a database-level GRANT, so `wp_shop_1` cannot cover `wp_shopx1`", async () => {
            const ids = await runProgram({ sites: { "shop-1.yaml": siteFile("shop-1"), "shopx1.yaml": siteFile("shopx1") } });
            expect(ids.get("mysql:index/grant:Grant", "shop-1/db-grant").inputs.database).to.equal("wp\\_shop\\_1");
            expect(ids.get("mysql:index/grant:Grant", "shopx1/db-grant").inputs.database).to.equal("wp\\_shopx1");
            expect(ids.get("mysql:index/database:Database", "shop-1/db").inputs.name).to.equal("wp_shop_1");
        });

        it("replaces a grant delete-first, so the old grant's REVOKE cannot strip the new one", () => {
            const grant = site("mysql:index/grant:Grant", "shop/db-grant");
            expect(grant.deleteBeforeReplace).to.equal(true);
            expect(grant.dependencies).to.include(`${SITE}$mysql:index/database:Database::shop/db`);
        });
    });

    describe("secrets", () => {
        it("stores the site's settings in Secrets Manager under wp-platform/<stack>/<id>, with a 7-day recovery window", () => {
            expect(site("aws:secretsmanager/secret:Secret", "shop/secret").inputs).to.include({
                name: "wp-platform/stg/shop",
                recoveryWindowInDays: 7,
            });
            const version = site("aws:secretsmanager/secretVersion:SecretVersion", "shop/secret-version");
            const values = JSON.parse(version.inputs.secretString);
            expect(values).to.include({
                WORDPRESS_DB_HOST: "wp-platform-stg.cmock.eu-west-1.rds.amazonaws.com",
                WORDPRESS_DB_NAME: "wp_shop",
                WORDPRESS_DB_USER: "wp_shop",
                WORDPRESS_DB_PASSWORD: mockSecretValue("shop/db-password"),
                WP_ADMIN_USER: "platform-admin",
                WP_ADMIN_PASSWORD: mockSecretValue("shop/admin-password"),
                WP_ADMIN_EMAIL: "platform-team@example.com",
                WP_SITE_URL: "https://www.shop.cloud2-stg.example.com",
                WP_S3_BUCKET: "platform-files-mock",
                WP_S3_PREFIX: "sites/shop/",
            });
            for (const salt of SALT_NAMES) expect(values[`WORDPRESS_${salt}`]).to.have.length(64);
            expect(new Set(SALT_NAMES.map((s) => values[`WORDPRESS_${s}`])).size).to.equal(8);
        });

        it("gives the Jobs the same values in a Kubernetes Secret, as the file <id>.json", () => {
            const k8sSecret = site("kubernetes:core/v1:Secret", "shop/k8s-secret");
            const version = site("aws:secretsmanager/secretVersion:SecretVersion", "shop/secret-version");
            expect(k8sSecret.inputs.metadata).to.include({ name: "shop.settings", namespace: "wp-platform" });
            expect(Object.keys(k8sSecret.inputs.stringData)).to.deep.equal(["shop.json"]);
            expect(JSON.parse(k8sSecret.inputs.stringData["shop.json"])).to.deep.equal(JSON.parse(version.inputs.secretString));
        });

        it("gives the serving pods the settings without the admin password, in a shared Secret", () => {
            const shards = run.ofType("kubernetes:core/v1:Secret").filter((r) => r.inputs.metadata.name.startsWith("site-settings-"));
            expect(shards.map((r) => r.inputs.metadata.name).sort()).to.deep.equal([
                "site-settings-0",
                "site-settings-1",
                "site-settings-2",
                "site-settings-3",
            ]);
            const holding = shards.filter((r) => "shop.json" in (r.inputs.stringData ?? {}));
            expect(holding).to.have.length(1);
            expect(isSecret(holding[0].raw.stringData)).to.equal(true);
            const serving = JSON.parse(holding[0].inputs.stringData["shop.json"]);
            const jobs = JSON.parse(site("kubernetes:core/v1:Secret", "shop/k8s-secret").inputs.stringData["shop.json"]);
            expect(serving).not.to.have.property("WP_ADMIN_PASSWORD");
            const { WP_ADMIN_PASSWORD: _, ...rest } = jobs;
            expect(serving).to.deep.equal(rest);
        });

        it("marks every sensitive value secret", () => {
            expect(isSecret(site("aws:secretsmanager/secretVersion:SecretVersion", "shop/secret-version").raw.secretString)).to.equal(true);
            expect(isSecret(site("kubernetes:core/v1:Secret", "shop/k8s-secret").raw.stringData)).to.equal(true);
            expect(isSecret(site("mysql:index/user:User", "shop/db-user").raw.plaintextPassword)).to.equal(true);
        });

        it("never shows a password, key or salt in plain text, in any input or output", () => {
            const randoms = run.resources.filter((r) => r.type.startsWith("random:"));
            expect(randoms.length).to.be.greaterThan(6);
            const visible = JSON.stringify([run.resources.map((r) => redact(r.raw)), run.outputs]);
            for (const r of randoms) {
                const value = mockSecretValue(r.name);
                expect(visible).not.to.contain(value);
                expect(visible).not.to.contain(Buffer.alloc(384, value).toString("base64").slice(0, 64));
            }
        });
    });

    describe("files", () => {
        it("gives the site a role that its own Jobs alone may take, through their ServiceAccount (IRSA)", () => {
            const role = site("aws:iam/role:Role", "shop/role");
            const issuer = "oidc.eks.eu-west-1.amazonaws.com/id/5C1B2E3F4A5D6E7F8091A2B3C4D5E6F7";
            expect(role.inputs).to.include({ name: "wp.stg.shop", path: "/wp-platform/stg/sites/" });
            expect(JSON.parse(role.inputs.assumeRolePolicy).Statement).to.deep.equal([
                {
                    Effect: "Allow",
                    Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${issuer}` },
                    Action: "sts:AssumeRoleWithWebIdentity",
                    Condition: {
                        StringEquals: {
                            [`${issuer}:sub`]: "system:serviceaccount:wp-platform:shop.jobs",
                            [`${issuer}:aud`]: "sts.amazonaws.com",
                        },
                    },
                },
            ]);
            const account = site("kubernetes:core/v1:ServiceAccount", "shop/jobs-service-account").inputs;
            expect(account.metadata).to.deep.include({
                name: "shop.jobs",
                annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/wp-platform/stg/sites/wp.stg.shop" },
            });
            expect(account.automountServiceAccountToken).to.equal(false);
            for (const job of run.ofType("kubernetes:batch/v1:Job").filter((j) => j.name.startsWith("shop/")))
                expect(job.inputs.spec.template.spec.serviceAccountName, job.name).to.equal("shop.jobs");
            // No serving pod runs as it: they run as the workload's ServiceAccount.
            for (const d of run.ofType("kubernetes:apps/v1:Deployment"))
                expect(d.inputs.spec.template.spec.serviceAccountName).to.equal("wordpress");
        });

        it("limits the role's policy to the site's own prefix", () => {
            const policy = JSON.parse(site("aws:iam/rolePolicy:RolePolicy", "shop/role-policy").inputs.policy);
            const [objects, list] = policy.Statement;
            expect(objects.Resource).to.equal("arn:aws:s3:::platform-files-mock/sites/shop/*");
            expect(objects.Action).not.to.include("s3:*");
            expect(list).to.deep.include({ Action: "s3:ListBucket", Resource: "arn:aws:s3:::platform-files-mock" });
            expect(list.Condition).to.deep.equal({ StringLike: { "s3:prefix": ["sites/shop/", "sites/shop/*"] } });
        });
    });

    describe("ingress", () => {
        it("routes every hostname to the Service of the site's color, with TLS", () => {
            const shop = site("kubernetes:networking.k8s.io/v1:Ingress", "shop/ingress").inputs;
            expect(shop.metadata).to.deep.include({
                name: "shop.site",
                namespace: "wp-platform",
                annotations: { "cert-manager.io/cluster-issuer": "letsencrypt" },
            });
            expect(shop.spec.ingressClassName).to.equal("nginx");
            expect(shop.spec.tls).to.deep.equal([
                { hosts: ["shop.cloud2-stg.example.com", "www.shop.cloud2-stg.example.com"], secretName: "shop.tls" },
            ]);
            expect(shop.spec.rules.map((r: any) => [r.host, r.http.paths[0].backend.service])).to.deep.equal([
                ["shop.cloud2-stg.example.com", { name: "blue", port: { number: 80 } }],
                ["www.shop.cloud2-stg.example.com", { name: "blue", port: { number: 80 } }],
            ]);
            const blog = site("kubernetes:networking.k8s.io/v1:Ingress", "blog/ingress").inputs;
            expect(blog.spec.rules[0].http.paths[0].backend.service.name).to.equal("green");
        });

        describe("TLS, as the stack's ingress config sets it", () => {
            const withIngress = (ingress: Record<string, unknown>) =>
                runProgram({
                    config: { ingress },
                    sites: { "shop.yaml": siteFile("shop", { hostnames: ["shop.cloud2-stg.example.com"] }) },
                });
            const ingresses = (r: ProgramRun) =>
                ["shop/ingress", "shop/preview-ingress"].map((n) => r.get("kubernetes:networking.k8s.io/v1:Ingress", n).inputs);

            it("cert-manager: a certificate Secret per Ingress, named after the site, and https URLs", async () => {
                const r = await withIngress({ className: "nginx", clusterIssuer: "letsencrypt" });
                const [live, preview] = ingresses(r);
                expect(live.spec.tls).to.deep.equal([{ hosts: ["shop.cloud2-stg.example.com"], secretName: "shop.tls" }]);
                expect(preview.spec.tls).to.deep.equal([
                    { hosts: ["shop.preview.cloud2-stg.example.com"], secretName: "shop.preview-tls" },
                ]);
                for (const i of [live, preview])
                    expect(i.metadata.annotations).to.deep.equal({ "cert-manager.io/cluster-issuer": "letsencrypt" });
                expect(r.outputs.sites.shop.url).to.equal("https://shop.cloud2-stg.example.com/");
            });

            it("one shared certificate: every Ingress names it, no cert-manager annotation, and https URLs", async () => {
                const r = await withIngress({ className: "nginx", tlsSecretName: "wildcard-cert" });
                for (const i of ingresses(r)) {
                    expect(i.spec.tls[0].secretName).to.equal("wildcard-cert");
                    expect(i.metadata.annotations).to.equal(undefined);
                }
                expect(r.outputs.sites.shop.url).to.equal("https://shop.cloud2-stg.example.com/");
                const install = r.get("kubernetes:batch/v1:Job", "shop/install").inputs.spec.template.spec.containers[0].env;
                expect(install).to.deep.include({ name: "WP_SITE_URL", value: "https://shop.cloud2-stg.example.com" });
            });

            it("no TLS: no tls section, no annotation, and http URLs everywhere WordPress reads them", async () => {
                const r = await withIngress({ className: "nginx" });
                for (const i of ingresses(r)) {
                    expect(i.spec.tls).to.equal(undefined);
                    expect(i.metadata.annotations).to.equal(undefined);
                }
                expect(r.outputs.sites.shop.url).to.equal("http://shop.cloud2-stg.example.com/");
                const install = r.get("kubernetes:batch/v1:Job", "shop/install").inputs.spec.template.spec.containers[0].env;
                expect(install).to.deep.include({ name: "WP_SITE_URL", value: "http://shop.cloud2-stg.example.com" });
                const settings = JSON.parse(r.get("kubernetes:core/v1:Secret", "shop/k8s-secret").inputs.stringData["shop.json"]);
                expect(settings.WP_SITE_URL).to.equal("http://shop.cloud2-stg.example.com");
            });
        });

        it("waits for the verify Job, which waits for the schema upgrade, which waits for the provisioning Jobs", () => {
            const ingress = site("kubernetes:networking.k8s.io/v1:Ingress", "shop/ingress");
            expect(ingress.dependencies).to.include(`${SITE}$kubernetes:batch/v1:Job::shop/verify`);
            expect(site("kubernetes:batch/v1:Job", "shop/verify").dependencies).to.include(
                `${SITE}$kubernetes:batch/v1:Job::shop/upgrade-db`,
            );
            expect(site("kubernetes:batch/v1:Job", "shop/upgrade-db").dependencies).to.include(
                `${SITE}$kubernetes:batch/v1:Job::shop/activate-theme`,
            );
        });
    });

    describe("provisioning Jobs", () => {
        const container = (name: string) => site("kubernetes:batch/v1:Job", name).inputs.spec.template.spec.containers[0];
        const env = (name: string) =>
            Object.fromEntries(container(name).env.map((e: { name: string; value: string }) => [e.name, e.value]));

        it("installs WordPress with the canonical URL and the title, after the site's database, user and grant", () => {
            const job = site("kubernetes:batch/v1:Job", "shop/install");
            expect(job.inputs.metadata.name).to.equal("shop.install");
            expect(container("shop/install").command).to.deep.equal(["wp", "platform", "install"]);
            expect(env("shop/install")).to.deep.equal({
                WP_SITE_ID: "shop",
                WP_SITE_URL: "https://www.shop.cloud2-stg.example.com",
                WP_SITE_TITLE: `Bob's | "Shop" $(reboot)`,
            });
            expect(job.dependencies).to.include.members([
                `${SITE}$mysql:index/database:Database::shop/db`,
                `${SITE}$mysql:index/user:User::shop/db-user`,
                `${SITE}$mysql:index/grant:Grant::shop/db-grant`,
            ]);
        });

        it("reads the settings from the site's Secret as a file, never from the environment or a command line", () => {
            for (const job of ["shop/install", "shop/activate-theme", "shop/verify", "shop/flush-caches"]) {
                const spec = site("kubernetes:batch/v1:Job", job).inputs.spec.template.spec;
                expect(spec.containers[0]).not.to.have.property("envFrom");
                expect(spec.containers[0].volumeMounts).to.deep.equal([
                    { name: "settings", mountPath: "/etc/wp-platform/settings", readOnly: true },
                ]);
                expect(spec.volumes).to.deep.equal([{ name: "settings", secret: { secretName: "shop.settings", defaultMode: 0o440 } }]);
                const text = JSON.stringify(spec.containers[0]);
                expect(text).not.to.contain(mockSecretValue("shop/admin-password"));
                expect(text).not.to.contain(mockSecretValue("shop/db-password"));
            }
        });

        it("passes site values as environment, never as shell text", () => {
            for (const job of ["shop/install", "shop/activate-theme", "shop/verify", "shop/flush-caches"]) {
                expect(container(job).command.join(" ")).not.to.contain("Bob's");
                expect(container(job).command.join(" ")).not.to.contain("storefront");
                expect(container(job).command.slice(0, 2)).to.deep.equal(["wp", "platform"]);
            }
        });

        it("activates the theme after the install", () => {
            const job = site("kubernetes:batch/v1:Job", "shop/activate-theme");
            expect(container("shop/activate-theme").command).to.deep.equal(["wp", "platform", "activate-theme"]);
            expect(env("shop/activate-theme")).to.deep.equal({ WP_SITE_ID: "shop", WP_THEME: "storefront" });
            expect(job.dependencies).to.include(`${SITE}$kubernetes:batch/v1:Job::shop/install`);
        });

        it("runs with the image of the site's color, and ignores later image changes", () => {
            const image = (name: string) => site("kubernetes:batch/v1:Job", name).inputs.spec.template.spec.containers[0].image;
            expect(image("shop/install")).to.equal(run.outputs.activeRelease.blue);
            expect(image("blog/install")).to.equal(run.outputs.activeRelease.green);
            expect(site("kubernetes:batch/v1:Job", "shop/install").ignoreChanges).to.deep.equal(["spec.template.spec.containers[0].image"]);
        });

        it("verifies the site's image against the site before traffic moves, and flushes caches after", () => {
            const verify = site("kubernetes:batch/v1:Job", "shop/verify");
            const flush = site("kubernetes:batch/v1:Job", "shop/flush-caches");
            expect(container("shop/verify").command).to.deep.equal(["wp", "platform", "verify"]);
            // It loads the site as a visitor would, from a web server of its own image: no Service URL.
            expect(env("shop/verify")).to.deep.equal({
                WP_SITE_ID: "shop",
                WP_SITE_URL: "https://www.shop.cloud2-stg.example.com",
                WP_THEME: "storefront",
                WP_PLATFORM_COLOR: "blue",
            });
            // Before it, the schema upgrade backs the database up into the site's own prefix.
            expect(container("shop/upgrade-db").command).to.deep.equal(["wp", "platform", "upgrade-db"]);
            expect(env("shop/upgrade-db")).to.deep.equal({
                WP_SITE_ID: "shop",
                WP_PLATFORM_BACKUP_URL: "s3://platform-files-mock/sites/shop/backups/",
                WP_PLATFORM_COLOR: "blue",
            });
            expect(container("shop/flush-caches").command).to.deep.equal(["wp", "platform", "flush-caches"]);
            // stg has an edge: the flush also invalidates the site's tenant, which the site's role alone may do.
            expect(env("shop/flush-caches")).to.deep.equal({
                WP_SITE_ID: "shop",
                WP_PLATFORM_EDGE_TENANT_ID: "shop/edge-tenant-id", // the mocks' id of the tenant
                WP_PLATFORM_COLOR: "blue",
            });
            const invalidation = JSON.parse(site("aws:iam/rolePolicy:RolePolicy", "shop/edge-policy").inputs.policy).Statement;
            expect(invalidation).to.deep.equal([
                {
                    Sid: "InvalidateOwnTenant",
                    Effect: "Allow",
                    Action: ["cloudfront:CreateInvalidationForDistributionTenant", "cloudfront:GetInvalidationForDistributionTenant"],
                    Resource: "arn:aws:cloudfront::123456789012:distribution-tenant/shop-edge-tenant-mock",
                },
            ]);
            expect(flush.dependencies).to.include.members([
                `${SITE}$kubernetes:networking.k8s.io/v1:Ingress::shop/ingress`,
                "urn:pulumi:stg::wp-platform::wp-platform:index:Release$kubernetes:apps/v1:Deployment::release-blue-deployment",
            ]);
            for (const job of [verify, flush]) {
                expect(job.ignoreChanges).to.deep.equal([]);
                expect(job.inputs.spec.template.spec.containers[0].env).to.deep.include({ name: "WP_PLATFORM_COLOR", value: "blue" });
            }
        });

        it("rolls a color's Deployment out only after the verify Jobs of its sites", () => {
            const blue = run.get("kubernetes:apps/v1:Deployment", "release-blue-deployment");
            const green = run.get("kubernetes:apps/v1:Deployment", "release-green-deployment");
            expect(blue.dependencies).to.include(`${SITE}$kubernetes:batch/v1:Job::shop/verify`);
            expect(blue.dependencies).not.to.include(`${SITE}$kubernetes:batch/v1:Job::blog/verify`);
            expect(green.dependencies).to.include(`${SITE}$kubernetes:batch/v1:Job::blog/verify`);
        });

        it("bounds each Job's retries and time, and Pulumi's wait beyond it", () => {
            const job = site("kubernetes:batch/v1:Job", "shop/install").inputs;
            expect(job.spec).to.include({ backoffLimit: 2, activeDeadlineSeconds: 600 });
            expect(job.metadata.annotations).to.deep.equal({ "pulumi.com/timeoutSeconds": "660", "pulumi.com/replaceUnready": "true" });
            expect(job.spec.template.spec.restartPolicy).to.equal("Never");
            expect(job.spec).not.to.have.property("ttlSecondsAfterFinished");
        });
    });

    describe("removal", () => {
        const dataTypes = [
            "mysql:index/database:Database",
            "mysql:index/user:User",
            "mysql:index/grant:Grant",
            "aws:secretsmanager/secret:Secret",
            "aws:secretsmanager/secretVersion:SecretVersion",
        ];

        it("keeps the database, user and secret in the cloud in a stack with retainDataOnDelete (prod)", () => {
            const data = prod.resources.filter((r) => r.parent.endsWith("::bluelaunch") && dataTypes.includes(r.type));
            expect(data).to.have.length(dataTypes.length);
            for (const r of data) expect(r.retainOnDelete, r.name).to.equal(true);
        });

        it("deletes them with the site in a stack without it (stg)", () => {
            const data = run.resources.filter((r) => r.parent.endsWith("::shop") && dataTypes.includes(r.type));
            expect(data).to.have.length(dataTypes.length);
            for (const r of data) expect(r.retainOnDelete, r.name).to.equal(false);
        });
    });
});

function escape(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
