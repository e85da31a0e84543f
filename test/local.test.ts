// npm run local's reading of the program (tools/local/program.ts) and the provider's SQL it replays
// (tools/local/mysql-provider.ts), without any server: the e2e test (test/e2e) runs them for real.
import { expect } from "chai";
import * as path from "path";
import { createDatabaseSql, createGrantSql, createUserSql } from "../tools/local/mysql-provider";
import { type StackPlan, readStack, withDatabaseHost } from "../tools/local/program";

const E2E_SITES = path.join(__dirname, "e2e", "fixtures", "sites");

describe("npm run local: the plan it reads from the program", () => {
    let plan: StackPlan;
    before(async () => {
        plan = await readStack("stg", { sitesDir: E2E_SITES });
    });
    const site = (id: string) => plan.sites.find((s) => s.id === id)!;

    it("finds every site of the folder with its database, user and grant", () => {
        expect(plan.sites.map((s) => s.id)).to.have.members(["crash", "shop-1", "shopx1"]);
        const shop = site("shop-1");
        expect(shop.database.name).to.equal(shop.user.user);
        expect(shop.grant.user).to.equal(shop.user.user);
        expect(shop.user.plaintextPassword).to.be.a("string").with.length.greaterThan(0);
    });

    it("orders each site's Jobs by their registered dependencies", () => {
        for (const s of plan.sites)
            expect(
                s.jobs.map((j) => j.job),
                s.id,
            ).to.deep.equal(["install", "activate-theme", "verify", "flush-caches"]);
    });

    it("gives each Job its command and mounted settings, never a password in its env or command", () => {
        for (const job of plan.sites.flatMap((s) => s.jobs)) {
            const text = JSON.stringify([job.argv, job.env]);
            const files = Object.values(job.mounts).flatMap((f) => Object.values(f));
            const password = JSON.parse(files.find((f) => f.includes("WP_ADMIN_PASSWORD"))!).WP_ADMIN_PASSWORD as string;
            expect(text, job.name).to.not.include(password);
        }
    });

    it("replaces the database host, and nothing else, with the local server", () => {
        const local = withDatabaseHost(plan, "127.0.0.1:3307");
        const settings = (p: StackPlan) => JSON.parse(Object.values(p.sites[0].jobs[0].mounts)[0][`${p.sites[0].id}.json`]);
        const before = settings(plan);
        const after = settings(local);
        expect(before.WORDPRESS_DB_HOST).to.match(new RegExp(`^${plan.databaseHost.replace(/\./g, "\\.")}(:\\d+)?$`));
        expect(after).to.deep.equal({ ...before, WORDPRESS_DB_HOST: "127.0.0.1:3307" });
        const served = Object.values(local.serving[0].mounts)
            .flatMap((f) => Object.values(f))
            .join("\n");
        expect(served).to.not.include(plan.databaseHost);
    });
});

describe("npm run local: the provider's SQL", () => {
    it("creates the database with its character set and collation quoted", () => {
        expect(createDatabaseSql({ name: "wp_a", defaultCharacterSet: "utf8mb4", defaultCollation: "utf8mb4_unicode_ci" })).to.equal(
            "CREATE DATABASE `wp_a` CHARACTER SET `utf8mb4` COLLATE `utf8mb4_unicode_ci`",
        );
    });

    it("creates the user with REQUIRE NONE, as the provider does on MySQL 8", () => {
        expect(createUserSql({ user: "wp_a", host: "%", plaintextPassword: "pw" })).to.equal(
            "CREATE USER 'wp_a'@'%' IDENTIFIED BY 'pw' REQUIRE NONE",
        );
    });

    it("pastes the grant's database between backquotes as given: escaping _ is the program's job", () => {
        const grant = { user: "wp_a_1", host: "%", table: "*", privileges: ["SELECT", "INSERT"] };
        expect(createGrantSql({ ...grant, database: "wp_a_1" })).to.equal("GRANT SELECT, INSERT ON `wp_a_1`.* TO 'wp_a_1'@'%'");
        expect(createGrantSql({ ...grant, database: "wp\\_a\\_1" })).to.equal("GRANT SELECT, INSERT ON `wp\\_a\\_1`.* TO 'wp_a_1'@'%'");
    });
});
