// End to end: the fixture stack's sites served by the local fleet (tools/local/: real MariaDB with
// TLS required, PHP-FPM, nginx, WordPress and the image's files), provisioned by the Jobs' exact
// commands. Not part of `npm test`: `npm run test:e2e` (docs/local.md).
import { expect } from "chai";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { makeCertificates } from "../../tools/local/certs";
import { type Fleet, serverPidFiles, startFleet } from "../../tools/local/fleet";
import { type JobContext, type JobResult, findJob, runJob } from "../../tools/local/jobs";
import { type MariaDB, startMariaDB, stopMariaDB } from "../../tools/local/mariadb";
import { createDatabaseSql } from "../../tools/local/mysql-provider";
import { Services, freePorts } from "../../tools/local/processes";
import type { SitePlan } from "../../tools/local/program";
import { AlreadyRunning, findLeftovers } from "../../tools/local/state";
import { assembleDocroot, get } from "../../tools/local/web";

const FIXTURES = path.join(__dirname, "fixtures", "sites");
/** Test only: a WP-CLI --require file that kills install after the step WP_PLATFORM_CRASH_AT names. */
const CRASH_HOOK = path.join(__dirname, "fixtures", "crash.php");
const ROOT = path.resolve(__dirname, "..", "..");

interface Run {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}
/** `npm run wp -- <args>`, as package.json runs it. */
function npmRunWp(args: readonly string[]): Promise<Run> {
    const script = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.wp;
    const [command, ...scriptArgs] = script.split(" ");
    const argv = [...scriptArgs, ...args];
    return new Promise((resolve) => {
        const child = spawn(command === "node" ? process.execPath : command, argv, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.once("close", (code) => resolve({ code, stdout, stderr }));
    });
}
const STACK = "stg";

interface SiteFile {
    id: string;
    name: string;
    theme: string;
    hostnames: string[];
    canonicalHostname?: string;
}
const siteFiles: SiteFile[] = fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => parse(fs.readFileSync(path.join(FIXTURES, f), "utf8")) as SiteFile);
const fixture = (id: string): SiteFile => siteFiles.find((s) => s.id === id)!;
const canonical = (s: SiteFile): string => s.canonicalHostname ?? s.hostnames[0];

describe("the local fleet, end to end", function () {
    let fleet: Fleet;
    let db: MariaDB;
    let stateDir: string;
    const started = Date.now();

    before(async function () {
        stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "wp-e2e-"));
        // As .local/<stack> is made: run as root, nginx's workers run as another user, and must
        // reach PHP-FPM's socket inside (mkdtemp makes a folder only its owner may enter).
        fs.chmodSync(stateDir, 0o755);
        // No cron runner: these tests run (and count on nothing else running) the sites' events.
        fleet = await startFleet({ stack: STACK, sitesDir: FIXTURES, port: await freePorts(2), stateDir, fresh: true, cron: false });
        db = fleet.db;
        console.log(`      fleet ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    });

    after(async function () {
        await fleet?.stop();
        if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
        console.log(`      whole e2e: ${((Date.now() - started) / 1000).toFixed(1)}s`);
    });

    const site = (id: string): SitePlan => {
        const found = fleet.plan.sites.find((s) => s.id === id);
        if (!found) throw new Error(`no site ${id} in the plan`);
        return found;
    };
    // Each host at the web server of its color, as the Ingress routes it.
    const page = (host: string, urlPath = "/") => get(fleet.portOf(host), urlPath, host, { "X-Forwarded-Proto": "https" });
    const job = (
        id: string,
        name: string,
        extraEnv: Record<string, string> = {},
        context: JobContext = fleet.jobs,
        extraArgs: string[] = [],
    ): Promise<JobResult> => runJob(findJob(site(id), name), context, extraEnv, extraArgs);
    const expectFails = (result: JobResult, why: RegExp) => {
        expect(result.code, `expected a failure; stdout: ${result.stdout}`).to.not.equal(0);
        expect(result.stderr).to.match(why);
    };
    const expectOk = (result: JobResult) => expect(result.code, result.stderr.trim().split("\n").pop()).to.equal(0);
    const sql = (id: string, statement: string) => db.admin(`USE \`${site(id).database.name}\`;\n${statement}`);

    describe("one run per state folder", () => {
        /** Every file under the state folder's web server with its size and time: what a second run must not touch. */
        const webFiles = () =>
            (fs.readdirSync(path.join(stateDir, "web"), { recursive: true }) as string[]).sort().map((f) => {
                const stat = fs.statSync(path.join(stateDir, "web", f));
                return `${f} ${stat.size} ${stat.mtimeMs}`;
            });

        it("refuses a second fleet on the same state folder, touching nothing, and the first keeps serving", async () => {
            const before = webFiles();
            let error: unknown;
            try {
                const second = await startFleet({ stack: STACK, sitesDir: FIXTURES, port: await freePorts(2), stateDir });
                await second.stop();
            } catch (e) {
                error = e;
            }
            expect(error).to.be.instanceOf(AlreadyRunning);
            expect((error as Error).message).to.equal(`already running (pid ${process.pid}); stop it first, or use another stack`);
            expect(webFiles()).to.deep.equal(before);
            expect((await page(canonical(fixture("shop-1")))).status).to.equal(200);
        });

        it("refuses a second MariaDB on the same data at once, and the first keeps answering", async () => {
            const services = new Services();
            let error: unknown;
            try {
                await startMariaDB(services, { dir: stateDir, certs: fleet.certs, port: await freePorts(2) });
            } catch (e) {
                error = e;
            } finally {
                await services.stopAll();
            }
            expect(String(error)).to.match(new RegExp(`MariaDB \\(pid ${db.service.child.pid}\\) already runs`));
            expect(db.admin("SELECT 1").trim()).to.equal("1");
        });

        it("finds this fleet's servers by their pid files, as the run after a hard kill does", () => {
            expect(findLeftovers(stateDir, serverPidFiles(stateDir))).to.deep.equal([
                ...fleet.webs.flatMap(
                    ({
                        web: {
                            services: [fpm, nginx],
                        },
                    }) => [
                        { name: "nginx", pid: nginx.child.pid },
                        { name: "php-fpm", pid: fpm.child.pid },
                    ],
                ),
                { name: "s3rver", pid: fleet.s3.service.child.pid },
                { name: "Redis", pid: fleet.cache.service.child.pid },
                { name: "MariaDB", pid: db.service.child.pid },
            ]);
        });
    });

    describe("routing by Host", () => {
        it("serves each site at its canonical host, with its own title", async () => {
            for (const s of siteFiles) {
                const res = await page(canonical(s));
                expect(res.status, s.id).to.equal(200);
                expect(res.body).to.include(`<title>${s.name}`);
                for (const other of siteFiles.filter((o) => o.id !== s.id)) expect(res.body).to.not.include(`<title>${other.name}`);
            }
        });

        it("redirects a non-canonical host permanently to the canonical one, path and query kept", async () => {
            const shop = fixture("shop-1");
            const other = shop.hostnames.find((h) => h !== canonical(shop))!;
            const res = await page(other, "/a/b?x=1");
            expect(res.status).to.equal(301);
            expect(res.headers.location).to.equal(`https://${canonical(shop)}/a/b?x=1`);
        });

        it("serves a preview host as the site itself, links included", async () => {
            // The preview host as the program's site index gives it.
            const indexFile = Object.values(fleet.plan.serving[0].mounts).find((files) => "sites.json" in files)!["sites.json"];
            const hosts = JSON.parse(indexFile).hosts as Record<string, { site: string; preview?: boolean }>;
            const host = Object.keys(hosts).find((h) => hosts[h].site === "shopx1" && hosts[h].preview)!;
            expect(host, "a preview host for shopx1 in the site index").to.be.a("string");
            const res = await page(host);
            expect(res.status).to.equal(200);
            expect(res.body).to.include(`<title>${fixture("shopx1").name}`);
            expect(res.body).to.include(`https://${host}/`);
        });

        it("answers 404 to an unknown host, never a site or the installer", async () => {
            for (const host of ["unknown.example.com", "127.0.0.1"]) {
                const res = await page(host);
                expect(res.status, host).to.equal(404);
                for (const s of siteFiles) expect(res.body).to.not.include(s.name);
            }
            expect((await page("unknown.example.com", "/wp-admin/install.php")).status).to.equal(404);
        });

        it("does not tell any host WordPress's version through readme.html", async () => {
            for (const host of ["unknown.example.com", canonical(fixture("shopx1"))]) {
                for (const file of ["/readme.html", "/license.txt"]) expect((await page(host, file)).status, host + file).to.equal(404);
            }
        });

        it("never picks the site from X-Forwarded-Host", async () => {
            const res = await get(fleet.port, "/", "unknown.example.com", { "X-Forwarded-Host": canonical(fixture("shopx1")) });
            expect(res.status).to.equal(404);
        });
    });

    describe("the upgrade and install scripts", () => {
        const previewHost = (id: string): string => {
            const indexFile = Object.values(fleet.plan.serving[0].mounts).find((files) => "sites.json" in files)!["sites.json"];
            const hosts = JSON.parse(indexFile).hosts as Record<string, { site: string; preview?: boolean }>;
            return Object.keys(hosts).find((h) => hosts[h].site === id && hosts[h].preview)!;
        };
        const dbVersion = (id: string) => sql(id, "SELECT option_value FROM wp_options WHERE option_name = 'db_version'").trim();

        it("never serves upgrade.php: an anonymous upgrade_db on the site's host and preview host is 404 and changes no db_version", async () => {
            const id = "shopx1";
            const real = dbVersion(id);
            // An older schema: what a new core would find, and upgrade.php would upgrade.
            sql(id, "UPDATE wp_options SET option_value = '51917' WHERE option_name = 'db_version'");
            try {
                for (const host of [canonical(fixture(id)), previewHost(id)]) {
                    for (const url of [
                        "/wp-admin/upgrade.php?step=upgrade_db",
                        "/wp-admin/upgrade.php?step=1",
                        "/wp-admin/UPGRADE.php",
                        "/wp-admin/upgrade.php/x",
                    ]) {
                        const res = await page(host, url);
                        expect(res.status, host + url).to.equal(404);
                    }
                    expect(dbVersion(id), host).to.equal("51917");
                }
            } finally {
                sql(id, `UPDATE wp_options SET option_value = '${real}' WHERE option_name = 'db_version'`);
            }
        });

        it("never serves install.php, on any host", async () => {
            for (const host of [canonical(fixture("shop-1")), previewHost("shop-1"), "unknown.example.com"]) {
                for (const url of ["/wp-admin/install.php", "/wp-admin/install.php?step=2", "/wp-admin/setup-config.php"]) {
                    expect((await page(host, url)).status, host + url).to.equal(404);
                }
            }
        });
    });

    describe("npm run wp, and the standard WP-CLI commands the image has", () => {
        const wp = (id: string, ...args: string[]) => npmRunWp(["--state", stateDir, STACK, id, ...args]);
        const ok = (run: Run) => {
            expect(run.code, run.stderr).to.equal(0);
            return run.stdout;
        };

        it("runs WP-CLI against a site with its Job's environment", async () => {
            const s = fixture("shop-1");
            expect(ok(await wp("shop-1", "option", "get", "siteurl")).trim()).to.equal(`https://${canonical(s)}`);
            expect(ok(await wp("shopx1", "option", "get", "blogname")).trim()).to.equal(fixture("shopx1").name);
            // entity-command, from the lock: the site's own users, its admin among them.
            const admin = JSON.parse(Object.values(findJob(site("shop-1"), "install").mounts)[0]["shop-1.json"]).WP_ADMIN_USER as string;
            expect(
                ok(await wp("shop-1", "user", "list", "--role=administrator", "--field=user_login"))
                    .trim()
                    .split("\n"),
            ).to.deep.equal([admin]);
        });

        it("runs the Jobs' commands too, with their environment, and they take no arguments", async () => {
            expect(ok(await wp("shop-1", "platform", "verify"))).to.include("verify: ok: site shop-1");
            const extra = await wp("shop-1", "platform", "verify", "extra", "--force");
            expect(extra.code).to.equal(1);
            expect(extra.stderr).to.include("Error: wp platform verify takes no arguments (got: extra --force)");
        });

        it("prints the core version (wp core version)", async () => {
            const version = /\$wp_version = '([^']+)'/.exec(
                fs.readFileSync(path.join(stateDir, "wordpress", "wp-includes", "version.php"), "utf8"),
            )![1];
            expect(ok(await wp("shop-1", "core", "version")).trim()).to.equal(version);
        });

        it("says so when the site is unknown, or the stack's fleet is not running", async () => {
            const unknown = await wp("nope", "option", "get", "siteurl");
            expect(unknown.code).to.equal(1);
            expect(unknown.stderr).to.include(`stack ${STACK} has no site "nope" in its local fleet; its sites: crash, shop-1, shopx1`);
            const idle = fs.mkdtempSync(path.join(os.tmpdir(), "wp-e2e-idle-"));
            try {
                const stopped = await npmRunWp(["--state", idle, STACK, "shop-1", "core", "version"]);
                expect(stopped.code).to.equal(1);
                expect(stopped.stderr).to.match(new RegExp(`the local fleet of stack ${STACK} is not running .*npm run local -- ${STACK}`));
            } finally {
                fs.rmSync(idle, { recursive: true, force: true });
            }
            const usage = await npmRunWp([]);
            expect(usage.code).to.equal(2);
            expect(usage.stderr).to.include("usage: npm run wp --");
        });

        it("upgrades an older schema with wp core update-db", async () => {
            const real = sql("shop-1", "SELECT option_value FROM wp_options WHERE option_name = 'db_version'").trim();
            sql("shop-1", "UPDATE wp_options SET option_value = '51917' WHERE option_name = 'db_version'");
            expect(ok(await wp("shop-1", "core", "update-db", "--dry-run"))).to.include(
                `will be upgraded from db version 51917 to ${real}`,
            );
            expect(ok(await wp("shop-1", "core", "update-db"))).to.include(`upgraded successfully from db version 51917 to ${real}`);
            expect(sql("shop-1", "SELECT option_value FROM wp_options WHERE option_name = 'db_version'").trim()).to.equal(real);
            expect(ok(await wp("shop-1", "core", "update-db"))).to.include(`already at latest db version ${real}`);
        });

        it("activates only a theme the image ships (wp theme activate), never downloading one", async () => {
            const missing = await wp("shopx1", "theme", "activate", "astra");
            expect(missing.code).to.equal(1);
            expect(missing.stderr).to.match(
                /theme astra is not in this image .* the image ships: twentytwentyone, twentytwentythree, twentytwentytwo/,
            );
            const theme = fixture("shopx1").theme;
            const other = ["twentytwentyone", "twentytwentytwo"].find((t) => t !== theme)!;
            expect(ok(await wp("shopx1", "theme", "activate", other))).to.include(`Switched to '${other}' theme.`);
            expect(ok(await wp("shopx1", "option", "get", "stylesheet")).trim()).to.equal(other);
            expect(ok(await wp("shopx1", "theme", "activate", theme))).to.include(`Switched to '${theme}' theme.`);
            expectOk(await job("shopx1", "verify"));
        });

        it("flushes the object cache (wp cache flush)", async () => {
            expect(ok(await wp("shop-1", "cache", "flush"))).to.match(/Success: The cache was flushed: \d+ keys? under shop-1:\./);
        });

        it("runs no WP-Cron on a request (DISABLE_WP_CRON); wp cron event run --due-now runs the due events", async () => {
            const cron = () => sql("shop-1", "SELECT option_value FROM wp_options WHERE option_name = 'cron'").trim();
            const due = Math.floor(Date.now() / 1000) - 60;
            // A due single event of a hook nothing handles, as wp_schedule_single_event() stores it.
            const str = (t: string) => `s:${Buffer.byteLength(t)}:"${t}";`;
            // The key of an event with no arguments is md5(serialize(array())).
            const event = `i:${due};a:1:{${str("e2e_cron_hook")}a:1:{${str("40cd750bba9870f18aada2478b24840a")}a:2:{${str("schedule")}b:0;${str("args")}a:0:{}}}}`;
            const before = cron();
            const withEvent = before.replace(/^a:(\d+):\{/, (_m, n: string) => `a:${Number(n) + 1}:{${event}`);
            sql("shop-1", `UPDATE wp_options SET option_value = '${withEvent}' WHERE option_name = 'cron'`);
            sql("shop-1", "DELETE FROM wp_options WHERE option_name = '_transient_doing_cron'");
            expect((await page(canonical(fixture("shop-1")))).status).to.equal(200);
            await new Promise((resolve) => setTimeout(resolve, 500));
            expect(cron(), "a page request ran WP-Cron").to.include("e2e_cron_hook");
            // spawn_cron() marks its start in this transient before it calls wp-cron.php.
            expect(sql("shop-1", "SELECT COUNT(*) FROM wp_options WHERE option_name = '_transient_doing_cron'").trim()).to.equal("0");
            const run = ok(await wp("shop-1", "cron", "event", "run", "--due-now"));
            expect(run).to.include("Executed the cron event 'e2e_cron_hook'");
            expect(run).to.match(/Success: Executed a total of \d+ cron events?\./);
            expect(cron()).to.not.include("e2e_cron_hook");
        });
    });

    describe("database isolation, with the grants the program registers", () => {
        const pairs = [
            ["shop-1", "shopx1"],
            ["shopx1", "shop-1"],
        ] as const;

        it("grants each user exactly the registered privileges", () => {
            for (const id of ["shop-1", "shopx1"]) {
                const s = site(id);
                const grants = db.admin(`SHOW GRANTS FOR '${s.user.user}'@'${s.user.host}'`).trim().split("\n");
                const onDatabases = grants.filter((g) => !g.includes(" ON *.* "));
                expect(onDatabases, id).to.have.length(1);
                for (const privilege of s.grant.privileges) expect(onDatabases[0]).to.include(privilege);
            }
        });

        for (const [own, other] of pairs) {
            it(`lets ${own}'s user read and write its own database`, () => {
                const s = site(own);
                const r = db.as(
                    s.user.user,
                    s.user.plaintextPassword!,
                    "CREATE TABLE IF NOT EXISTS e2e (v INT); INSERT INTO e2e VALUES (1); SELECT COUNT(*) FROM e2e;",
                    {
                        database: s.database.name,
                    },
                );
                expect(r.ok, r.output).to.be.true;
            });

            it(`keeps ${own}'s user out of ${other}'s database (a '_' in a grant is a wildcard)`, () => {
                const s = site(own);
                const target = site(other).database.name;
                for (const statement of [`SELECT COUNT(*) FROM \`${target}\`.wp_options`, `CREATE TABLE \`${target}\`.intruder (v INT)`]) {
                    const r = db.as(s.user.user, s.user.plaintextPassword!, statement);
                    expect(r.ok, `${s.user.user} ran: ${statement}`).to.be.false;
                    expect(r.output).to.match(/denied/);
                }
            });
        }

        it("keeps root off TCP: it exists at localhost only, by unix_socket, and 127.0.0.1 is refused", () => {
            const root = db.as("root", "", "SELECT 1");
            expect(root.ok, root.output).to.be.false;
            expect(root.output).to.match(/denied|not allowed/i);
            const accounts = db
                .admin("SELECT user, host, priv FROM mysql.global_priv")
                .trim()
                .split("\n")
                .map((l) => l.split("\t"));
            const rootAccounts = accounts.filter(([user]) => user === "root");
            expect(rootAccounts.map(([, host]) => host)).to.deep.equal(["localhost"]);
            expect(rootAccounts[0][2]).to.include('"unix_socket"');
            // Nothing but the sites' users reaches the server over TCP.
            const siteUsers = fleet.plan.sites.map((s) => `${s.user.user}@${s.user.host}`);
            const remote = accounts.filter(([, host]) => host !== "localhost").map(([user, host]) => `${user}@${host}`);
            expect(remote).to.have.members(siteUsers);
        });

        it("refuses a connection without TLS, with the credentials that work over TLS", () => {
            const s = site("shop-1");
            expect(db.as(s.user.user, s.user.plaintextPassword!, "SELECT 1").ok).to.be.true;
            const plain = db.as(s.user.user, s.user.plaintextPassword!, "SELECT 1", { noTls: true });
            expect(plain.ok).to.be.false;
            // MariaDB 10.11 answers an insecure transport with "Access denied" (1045); MySQL with 3159.
            expect(plain.output).to.match(/denied|insecure transport/i);
        });
    });

    describe("TLS to the database", () => {
        it("refuses a server certificate from another CA (verify fails), and passes once the server is trusted again", async () => {
            const other = makeCertificates(path.join(stateDir, "other-ca"), "another CA");
            await stopMariaDB(fleet.services, db);
            db = await startMariaDB(fleet.services, { dir: fleet.stateDir, certs: other, port: db.port });
            try {
                expectFails(await job("shop-1", "verify"), /TLS|SSL|certificate/i);
            } finally {
                await stopMariaDB(fleet.services, db);
                db = await startMariaDB(fleet.services, { dir: fleet.stateDir, certs: fleet.certs, port: db.port });
            }
            expectOk(await job("shop-1", "verify"));
        });

        it("answers /healthz with 200 while the database is stopped; verify then fails", async () => {
            await stopMariaDB(fleet.services, db);
            try {
                const res = await get(fleet.port, "/healthz", canonical(fixture("shop-1")));
                expect(res.status).to.equal(200);
                expectFails(await job("shop-1", "verify"), /database not reachable over TLS/);
            } finally {
                db = await startMariaDB(fleet.services, { dir: fleet.stateDir, certs: fleet.certs, port: db.port });
            }
            expect((await page(canonical(fixture("shop-1")))).status).to.equal(200);
        });
    });

    describe("install, killed and re-run", () => {
        /** The crash site's database, empty again: dropped and created with the provider's SQL (its grant stays). */
        const resetDatabase = () => {
            const s = site("crash");
            db.admin(`DROP DATABASE \`${s.database.name}\`; ${createDatabaseSql(s.database)}`);
        };

        for (const step of ["database", "schema", "roles", "admin", "content", "finish"]) {
            it(`finishes a site whose install was killed after "${step}"`, async () => {
                resetDatabase();
                const killed = await job("crash", "install", { WP_PLATFORM_CRASH_AT: step }, fleet.jobs, [`--require=${CRASH_HOOK}`]);
                expect(killed.code, killed.stderr).to.equal(137);
                expectOk(await job("crash", "install"));
                expectOk(await job("crash", "activate-theme"));
                expectOk(await job("crash", "verify"));
                const res = await page(canonical(fixture("crash")));
                expect(res.status).to.equal(200);
                expect(res.body).to.include(`<title>${fixture("crash").name}`);
            });
        }

        it("never wipes a finished site on a re-run", async () => {
            sql("crash", "INSERT INTO wp_options (option_name, option_value, autoload) VALUES ('e2e_marker', 'kept', 'no')");
            expectOk(await job("crash", "install"));
            expect(sql("crash", "SELECT option_value FROM wp_options WHERE option_name = 'e2e_marker'").trim()).to.equal("kept");
        });
    });

    describe("verify fails on each broken site", () => {
        afterEach(async () => {
            // Back to a working site for the next case.
            expectOk(await job("crash", "install"));
            expectOk(await job("crash", "activate-theme"));
            expectOk(await job("crash", "verify"));
        });

        it("not installed", async () => {
            const s = site("crash");
            db.admin(`DROP DATABASE \`${s.database.name}\`; ${createDatabaseSql(s.database)}`);
            expectFails(await job("crash", "verify"), /not installed/);
        });

        it("no admin", async () => {
            const admin = JSON.parse(Object.values(findJob(site("crash"), "verify").mounts)[0]["crash.json"]).WP_ADMIN_USER as string;
            sql("crash", `DELETE u, m FROM wp_users u LEFT JOIN wp_usermeta m ON m.user_id = u.ID WHERE u.user_login = '${admin}'`);
            // The user is in the object cache (Redis) too: a change behind WordPress's back needs a flush.
            expectOk(await job("crash", "flush-caches"));
            expectFails(await job("crash", "verify"), /admin/);
        });

        it("siteurl is not the expected URL", async () => {
            sql("crash", "UPDATE wp_options SET option_value = 'https://elsewhere.example.com' WHERE option_name = 'siteurl'");
            expectFails(await job("crash", "verify"), /siteurl/);
        });

        it("the active theme is not the site's", async () => {
            sql("crash", "UPDATE wp_options SET option_value = 'twentytwentyone' WHERE option_name IN ('stylesheet', 'template')");
            expectFails(await job("crash", "verify"), /theme/);
        });
    });

    describe("a release", () => {
        it("fails verify for the site whose theme the new image lacks, and only that site", async () => {
            const theme = fixture("crash").theme;
            const release = assembleDocroot(path.join(stateDir, "release-docroot"), [theme]);
            const context: JobContext = {
                ...fleet.jobs,
                imageEnv: { ...fleet.jobs.imageEnv, local: { ...fleet.jobs.imageEnv.local, WP_PLATFORM_WORDPRESS_DIR: release } },
            };
            expectFails(await job("crash", "verify", {}, context), new RegExp(theme));
            expectOk(await job("shop-1", "verify", {}, context));
            expectOk(await job("shopx1", "verify", {}, context));
        });
    });
});
