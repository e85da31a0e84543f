// End to end: the object cache (image/wordpress/wp-content/object-cache.php) on the local fleet's
// real Redis, which requires TLS and a password as ElastiCache does: one Redis for this file, two
// sites sharing it, each under its own prefix. Not part of `npm test`: `npm run test:e2e`.
import { expect } from "chai";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { type Fleet, startFleet } from "../../tools/local/fleet";
import { findJob, runJob } from "../../tools/local/jobs";
import { freePorts } from "../../tools/local/processes";
import { plainPing } from "../../tools/local/redis";
import { get } from "../../tools/local/web";

const ROOT = path.resolve(__dirname, "..", "..");
const FIXTURES = path.join(__dirname, "fixtures", "sites");
const STACK = "stg";
/** Two sites of the fixtures: A is flushed, B must keep its keys. */
const A = "shop-1";
const B = "shopx1";
/** The host a site is served at as itself: its canonical host. */
const hostOf = (id: string): string => {
    const file = parse(fs.readFileSync(path.join(FIXTURES, `${id}.yaml`), "utf8")) as { hostnames: string[]; canonicalHostname?: string };
    return file.canonicalHostname ?? file.hostnames[0];
};

interface Run {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** `npm run wp -- --state <dir> <stack> <site> <args>`, as package.json runs it: a PHP process of its own. */
function npmRunWp(stateDir: string, id: string, args: readonly string[]): Promise<Run> {
    const script = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.wp;
    const [command, ...scriptArgs] = script.split(" ");
    const argv = [...scriptArgs, "--state", stateDir, STACK, id, ...args];
    return new Promise((resolve) => {
        const child = spawn(command === "node" ? process.execPath : command, argv, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.once("close", (code) => resolve({ code, stdout, stderr }));
    });
}

describe("the object cache on the fleet's Redis (TLS and a password required)", function () {
    let fleet: Fleet;
    let stateDir: string;
    const started = Date.now();

    before(async function () {
        stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "wp-e2e-cache-"));
        fs.chmodSync(stateDir, 0o755);
        // Two sites are enough, and quicker to install than the whole fixture folder.
        const sitesDir = path.join(stateDir, "sites");
        fs.mkdirSync(sitesDir);
        for (const id of [A, B]) fs.copyFileSync(path.join(FIXTURES, `${id}.yaml`), path.join(sitesDir, `${id}.yaml`));
        fleet = await startFleet({ stack: STACK, sitesDir, port: await freePorts(2), stateDir: path.join(stateDir, "state"), fresh: true });
        fs.chmodSync(fleet.stateDir, 0o755);
        console.log(`      fleet ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    });

    after(async function () {
        await fleet?.stop();
        if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
        console.log(`      cache e2e: ${((Date.now() - started) / 1000).toFixed(1)}s`);
    });

    const wp = (id: string, ...args: string[]) => npmRunWp(fleet.stateDir, id, args);
    const ok = (r: Run): string => {
        expect(r.code, `${r.stderr}${r.stdout}`).to.equal(0);
        return r.stdout;
    };
    const page = (id: string) => get(fleet.portOf(hostOf(id)), "/", hostOf(id), { "X-Forwarded-Proto": "https" });
    const redis = (...args: string[]) => {
        const r = fleet.cache.cli(args);
        expect(r.ok, r.output).to.equal(true);
        return r.output;
    };
    const keysOf = (id: string): string[] => redis("--scan", "--pattern", `${id}:*`).split("\n").filter(Boolean);
    const site = (id: string) => fleet.plan.sites.find((s) => s.id === id)!;

    it("gives every site its own prefix and the local Redis in its settings, and records the endpoint", () => {
        const settings = JSON.parse(Object.values(findJob(site(A), "verify").mounts)[0][`${A}.json`]) as Record<string, string>;
        expect(settings.WP_REDIS_HOST).to.equal("127.0.0.1");
        expect(settings.WP_REDIS_PORT).to.equal(String(fleet.cache.port));
        expect(settings.WP_REDIS_PASSWORD).to.equal(fleet.cache.password);
        expect(settings.WP_REDIS_PREFIX).to.equal(`${A}:`);
        const file = path.join(fleet.stateDir, "endpoints.json");
        expect(fs.statSync(file).mode & 0o077, "endpoints.json is the owner's alone").to.equal(0);
        const endpoints = JSON.parse(fs.readFileSync(file, "utf8")) as { cache: Record<string, unknown> };
        expect(endpoints.cache).to.include({ host: "127.0.0.1", port: fleet.cache.port, tls: true, password: fleet.cache.password });
    });

    it("runs Redis as an unprivileged user, its password and key readable by it alone", () => {
        const pid = fleet.cache.service.child.pid!;
        const uid = Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
        expect(uid, "not root").to.not.equal(0);
        for (const f of ["redis/redis.conf", "redis/password", "certs/cache/server-key.pem"]) {
            expect(fs.statSync(path.join(fleet.stateDir, f)).mode & 0o077, f).to.equal(0);
        }
    });

    it("refuses plain TCP", async () => {
        const answer = await plainPing(fleet.cache.port);
        expect(answer).to.not.match(/^[+-]/, "no Redis reply without TLS");
        const r = fleet.cache.cli(["PING"], { noTls: true });
        expect(r.ok, r.output).to.equal(false);
        expect(r.output).to.not.include("PONG");
    });

    it("refuses a wrong password, and no password", () => {
        const wrong = fleet.cache.cli(["PING"], { password: "not-the-password" });
        expect(wrong.ok).to.equal(false);
        expect(wrong.output).to.match(/WRONGPASS|invalid/i);
        const none = fleet.cache.cli(["GET", `${A}:x`], { password: "" });
        expect(none.ok).to.equal(false);
        expect(none.output).to.match(/NOAUTH/);
    });

    it("caches what a page loads in Redis, under the site's prefix", async () => {
        for (const id of [A, B]) {
            expect((await page(id)).status).to.equal(200);
            const keys = keysOf(id);
            expect(keys.length, id).to.be.greaterThan(0);
            expect(
                keys.some((k) => k === `${id}:1:options:alloptions`),
                `${id}: alloptions`,
            ).to.equal(true);
        }
    });

    it("serves a value one PHP process sets to another, from Redis, not the database", async () => {
        // A non-autoloaded option: add_option() puts it in the cache's options group too.
        ok(await wp(A, "option", "add", "e2e_cross", "from-the-first-process", "--autoload=no"));
        expect(redis("EXISTS", `${A}:1:options:e2e_cross`)).to.equal("1");
        // Gone from the database behind WordPress's back: only the cache still has it.
        fleet.db.admin(`DELETE FROM \`${site(A).database.name}\`.wp_options WHERE option_name = 'e2e_cross'`);
        expect(ok(await wp(A, "option", "get", "e2e_cross")).trim()).to.equal("from-the-first-process");
        // The other site has no such value: its own prefix.
        fleet.db.admin(`DELETE FROM \`${site(B).database.name}\`.wp_options WHERE option_name = 'e2e_cross'`);
        expect((await wp(B, "option", "get", "e2e_cross")).code).to.not.equal(0);
    });

    /** The statements one front page of `id` sends to the database, from MariaDB's general log. */
    const statementsOf = async (id: string): Promise<string[]> => {
        const user = site(id).user.user;
        fleet.db.admin("SET GLOBAL log_output = 'TABLE'; TRUNCATE mysql.general_log; SET GLOBAL general_log = 'ON'");
        try {
            expect((await page(id)).status).to.equal(200);
        } finally {
            fleet.db.admin("SET GLOBAL general_log = 'OFF'");
        }
        return fleet.db
            .admin(`SELECT command_type, argument FROM mysql.general_log WHERE user_host LIKE '${user}[%' ORDER BY event_time`)
            .split("\n")
            .filter((r) => r.startsWith("Query\t"))
            .map((r) => r.slice("Query\t".length));
    };

    it("counts a repeat anonymous front page's database statements (printed, not asserted)", async () => {
        await page(A);
        const statements = await statementsOf(A);
        console.log(`      database statements of a repeat anonymous front page, cache on: ${statements.length}`);
        for (const s of statements) console.log(`        ${s.slice(0, 140)}`);
    });

    it("flushes one site's keys alone (wp cache flush), with SCAN and UNLINK, never FLUSHALL or FLUSHDB", async () => {
        const before = keysOf(A).length;
        const other = keysOf(B).sort();
        expect(other.length).to.be.greaterThan(0);
        redis("CONFIG", "RESETSTAT");
        const out = ok(await wp(A, "cache", "flush"));
        const m = /Success: The cache was flushed: (\d+) keys? under shop-1:\./.exec(out);
        expect(m, out).to.not.equal(null);
        expect(Number(m![1])).to.be.at.least(before);
        expect(redis("EXISTS", `${A}:1:options:e2e_cross`)).to.equal("0");
        expect(keysOf(B).sort()).to.deep.equal(other);
        const stats = redis("INFO", "commandstats");
        expect(stats).to.not.match(/cmdstat_flush(all|db)/);
        expect(stats).to.match(/cmdstat_scan:/);
        expect(stats).to.match(/cmdstat_unlink:/);
    });

    it("flushes one site's keys alone (wp platform flush-caches), and says how many", async () => {
        expect((await page(A)).status).to.equal(200);
        const other = keysOf(B).sort();
        const result = await runJob(findJob(site(A), "flush-caches"), fleet.jobs);
        expect(result.code, result.stderr).to.equal(0);
        expect(result.stdout).to.match(/flush-caches: object cache: flushed [1-9]\d* keys? under shop-1:/);
        expect(keysOf(B).sort()).to.deep.equal(other);
        expect(redis("INFO", "commandstats")).to.not.match(/cmdstat_flush(all|db)/);
    });

    it("verifies Redis's certificate: a server the CA bundle does not vouch for gets nothing, and the flush says so", async () => {
        // MariaDB's CA did not sign Redis's certificate.
        const result = await runJob(findJob(site(A), "flush-caches"), fleet.jobs, { WP_PLATFORM_CACHE_CA: fleet.certs.ca });
        expect(result.code).to.equal(1);
        expect(result.stderr).to.match(/Error: The object cache could not be flushed: Redis at 127\.0\.0\.1:\d+ is unavailable/);
        expect(result.stderr.match(/object cache at 127\.0\.0\.1:\d+ unavailable/g) ?? [], "logged once").to.have.length(1);
    });

    it("with Redis stopped, still serves pages (uncached, quickly), and wp cache flush says it could not flush", async () => {
        await fleet.services.stop(fleet.cache.service);
        for (const id of [A, B]) {
            const t0 = Date.now();
            const res = await page(id);
            const ms = Date.now() - t0;
            console.log(`      ${id} front page with Redis stopped: ${res.status} in ${ms} ms`);
            expect(res.status, id).to.equal(200);
            expect(ms, id).to.be.below(5_000);
        }
        console.log(`      database statements of the same front page, Redis stopped: ${(await statementsOf(A)).length}`);
        const flush = await wp(A, "cache", "flush");
        expect(flush.code).to.equal(1);
        expect(flush.stderr).to.match(/Error: The object cache could not be flushed: Redis at 127\.0\.0\.1:\d+ is unavailable/);
    });
});
