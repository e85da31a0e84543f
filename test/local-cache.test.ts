// npm run local's object cache (tools/local/redis.ts) without a server: how it points the sites'
// settings at the local Redis, and what it records in endpoints.json. test/e2e/cache.e2e.ts runs
// it for real.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { type StackPlan, readStack } from "../tools/local/program";
import { type Redis, withCacheEndpoint, writeCacheEndpoint } from "../tools/local/redis";

const E2E_SITES = path.join(__dirname, "e2e", "fixtures", "sites");

/** Every settings file (a JSON object with WP_REDIS_HOST) the Jobs and the serving pods mount. */
function settingsFiles(plan: StackPlan): Record<string, string>[] {
    return [...plan.sites.flatMap((s) => s.jobs), ...plan.serving]
        .flatMap((pod) => Object.values(pod.mounts).flatMap((files) => Object.values(files)))
        .map((content) => {
            try {
                return JSON.parse(content) as unknown;
            } catch {
                return undefined;
            }
        })
        .filter((v): v is Record<string, string> => typeof v === "object" && v !== null && "WP_REDIS_HOST" in v);
}

describe("npm run local: the object cache", () => {
    let plan: StackPlan;
    before(async () => {
        plan = await readStack("stg", { sitesDir: E2E_SITES });
    });
    const local = { host: "127.0.0.1", port: 6380, password: "local-password" };

    it("reads the cache host the program gives the sites (the mocked ElastiCache endpoint)", () => {
        expect(plan.cacheHost).to.match(/\.cache\.amazonaws\.com$/);
        const files = settingsFiles(plan);
        expect(files.length).to.be.greaterThan(0);
        for (const f of files) expect(f.WP_REDIS_HOST).to.equal(plan.cacheHost);
    });

    it("points every settings file at the local Redis, keeping each site's prefix", () => {
        const before = settingsFiles(plan);
        const after = settingsFiles(withCacheEndpoint(plan, plan.cacheHost, local));
        expect(after).to.have.length(before.length);
        after.forEach((f, i) => {
            expect(f).to.include({ WP_REDIS_HOST: "127.0.0.1", WP_REDIS_PORT: "6380", WP_REDIS_PASSWORD: "local-password" });
            expect(f.WP_REDIS_PREFIX)
                .to.equal(before[i].WP_REDIS_PREFIX)
                .and.to.match(/^[a-z0-9-]+:$/);
            expect({ ...f, WP_REDIS_HOST: "", WP_REDIS_PORT: "", WP_REDIS_PASSWORD: "" }).to.deep.equal({
                ...before[i],
                WP_REDIS_HOST: "",
                WP_REDIS_PORT: "",
                WP_REDIS_PASSWORD: "",
            });
        });
    });

    it("changes nothing for a stack with no cache", () => {
        expect(withCacheEndpoint(plan, undefined, local)).to.equal(plan);
    });

    it("adds the cache to endpoints.json (0600), keeping its other entries", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wp-local-cache-"));
        try {
            fs.writeFileSync(path.join(dir, "endpoints.json"), JSON.stringify({ media: { url: "http://127.0.0.1:9000" } }));
            writeCacheEndpoint(dir, { ...local, certs: { ca: "/ca.pem", cert: "", key: "" } } as unknown as Redis);
            const file = path.join(dir, "endpoints.json");
            expect(JSON.parse(fs.readFileSync(file, "utf8"))).to.deep.equal({
                media: { url: "http://127.0.0.1:9000" },
                cache: { host: "127.0.0.1", port: 6380, tls: true, ca: "/ca.pem", password: "local-password" },
            });
            expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
