// End to end, a site's life after install on the local fleet (tools/local/): the cron runner of
// each color (`wp platform cron-runner`, as components/release.ts registers it) running the due
// events with no visitor, verify loading the home page as a visitor would, and upgrade-db's
// backup before `wp core update-db`. Its own fleet and sites (fixtures/lifecycle/sites): news and
// faulty on blue, greens on green. The test-only mu-plugin and theme of fixtures/lifecycle are
// copied into this fleet's docroot; the image never ships them.
import { expect } from "chai";
import { type ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { type Fleet, startFleet } from "../../tools/local/fleet";
import { type JobResult, findJob, rootEnv, runJob } from "../../tools/local/jobs";
import { freePorts } from "../../tools/local/processes";
import type { SitePlan } from "../../tools/local/program";
import { IMAGE_BIN } from "../../tools/local/web";
import { readWpCliState } from "../../tools/local/wp-cli";

const FIXTURES = path.join(__dirname, "fixtures", "lifecycle");
const STACK = "stg";
const host = (id: string) => `${id}.cloud2-stg.example.com`;
/** The cron runners' round and per-site limit here: short, so the test waits little. */
const INTERVAL = 2;
const SITE_TIMEOUT = 4;

interface Run {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, ready: () => boolean, timeoutMs = 30_000, state: () => string = () => ""): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
        if (Date.now() > deadline) throw new Error(`no ${what} after ${timeoutMs / 1000}s ${state()}`);
        await sleep(200);
    }
}

describe("a site's lifecycle on the local fleet: cron, verify as a visitor, upgrade-db", function () {
    let fleet: Fleet;
    let stateDir: string;
    let scheduled: { news: string; greens: string };
    const started = Date.now();

    before(async function () {
        stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "wp-e2e-life-"));
        fs.chmodSync(stateDir, 0o755);
        fleet = await startFleet({
            stack: STACK,
            sitesDir: path.join(FIXTURES, "sites"),
            port: await freePorts(2),
            stateDir,
            fresh: true,
            cron: { intervalSeconds: INTERVAL, siteTimeoutSeconds: SITE_TIMEOUT },
        });
        const content = path.join(stateDir, "wordpress", "wp-content");
        fs.mkdirSync(path.join(content, "mu-plugins"), { recursive: true });
        fs.copyFileSync(path.join(FIXTURES, "mu-plugins", "e2e-cron-faults.php"), path.join(content, "mu-plugins", "e2e-cron-faults.php"));
        fs.cpSync(path.join(FIXTURES, "themes", "e2e-fatal"), path.join(content, "themes", "e2e-fatal"), { recursive: true });
        // WordPress's cron option is read, changed and written whole by every process that schedules
        // or runs an event, with no lock: a post scheduled while a run of its site saves the option
        // can lose its event (WordPress's own race, with wp-cron.php as much). The runners' first
        // round, which runs and reschedules WordPress's own due events, is over before the posts.
        await waitFor("a first round of each runner", () =>
            [
                ["blue", "news"],
                ["blue", "faulty"],
                ["green", "greens"],
            ].every(([color, id]) => logLines(color).some((l) => l.includes(`site=${id} outcome=ok`))),
        );
        // WordPress schedules a post only a minute or more ahead (wp_insert_post): these are made
        // first, and the last tests wait for them.
        scheduled = {
            news: await schedulePost("news", "E2E scheduled news"),
            greens: await schedulePost("greens", "E2E scheduled greens"),
        };
        console.log(`      fleet ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    });

    after(async function () {
        await fleet?.stop();
        if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
        console.log(`      lifecycle e2e: ${((Date.now() - started) / 1000).toFixed(1)}s`);
    });

    const site = (id: string): SitePlan => {
        const found = fleet.plan.sites.find((s) => s.id === id);
        if (!found) throw new Error(`no site ${id} in the plan`);
        return found;
    };
    /**
     * A statement on a site's database, then the site's object cache emptied: WordPress keeps its
     * options in Redis, so a row changed behind its back would not be seen by the next process.
     */
    const sql = (id: string, statement: string) => {
        const out = fleet.db.admin(`USE \`${site(id).database.name}\`;\n${statement}`).trim();
        const drop = fleet.cache.cli([
            "EVAL",
            "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('UNLINK', k) end return 1",
            "0",
            `${id}:*`,
        ]);
        expect(drop.ok, drop.output).to.equal(true);
        return out;
    };
    /** The image's `wp` against a site, with its Jobs' environment (as `npm run wp` runs it). */
    const wp = (id: string, ...args: string[]): Promise<Run> => {
        const state = readWpCliState(stateDir)!;
        const env = {
            PATH: [...state.path, process.env.PATH ?? "/usr/bin:/bin"].join(path.delimiter),
            HOME: process.env.HOME ?? "/tmp",
            ...rootEnv(),
            ...state.sites[id].env,
        };
        return new Promise((resolve) => {
            const child = spawn(path.join(IMAGE_BIN, "wp"), args, { env, stdio: ["ignore", "pipe", "pipe"] });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
            child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
            child.once("close", (code) => resolve({ code, stdout, stderr }));
        });
    };
    const runner = (color: string) => {
        const found = fleet.cron.find((c) => c.color === color);
        if (!found) throw new Error(`no cron runner of ${color}`);
        return found;
    };
    /** The runner's log lines from byte `from` on. */
    const logLines = (color: string, from = 0): string[] =>
        fs.readFileSync(runner(color).log, "utf8").slice(from).split("\n").filter(Boolean);
    const logSize = (color: string) => fs.statSync(runner(color).log).size;
    const postStatus = (id: string, post: string) => sql(id, `SELECT post_status FROM wp_posts WHERE ID = ${Number(post)}`);
    /** A post scheduled 62 seconds ahead, as soon as WordPress allows (its time zone is UTC here); its id. */
    const schedulePost = async (id: string, title: string): Promise<string> => {
        const date = new Date(Date.now() + 62_000).toISOString().slice(0, 19).replace("T", " ");
        const r = await wp(id, "post", "create", `--post_title=${title}`, "--post_status=future", `--post_date=${date}`, "--porcelain");
        expect(r.code, r.stderr).to.equal(0);
        const post = r.stdout.trim();
        expect(postStatus(id, post)).to.equal("future");
        return post;
    };
    /** Sets (or deletes) an option the test mu-plugin reads, in SQL: a `wp option` run would load the site and schedule. */
    const setOption = (id: string, name: string, value: string | undefined) =>
        sql(
            id,
            value === undefined
                ? `DELETE FROM wp_options WHERE option_name = '${name}'`
                : `INSERT INTO wp_options (option_name, option_value, autoload) VALUES ('${name}', '${value}', 'no') ON DUPLICATE KEY UPDATE option_value = '${value}'`,
        );
    const setFault = (id: string, fault: string | undefined) => setOption(id, "e2e_cron_fault", fault);
    const mark = (id: string) => sql(id, "SELECT option_value FROM wp_options WHERE option_name = 'e2e_cron_mark'");

    describe("the cron runner of each color", () => {
        it("runs one runner per color that serves a site, each as a process that is not root", () => {
            expect(fleet.cron.map((c) => c.color).sort()).to.deep.equal(["blue", "green"]);
            for (const c of fleet.cron) {
                const status = fs.readFileSync(`/proc/${c.service.child.pid}/status`, "utf8");
                const uid = /^Uid:\s+(\d+)/m.exec(status)![1];
                expect(uid, c.color).to.not.equal("0");
            }
        });

        it("runs only its own color's sites, each logged on one line with its outcome, duration and events", async () => {
            await waitFor(
                "a round of each color",
                () => logLines("blue").some((l) => l.includes("site=faulty")) && logLines("green").length > 1,
            );
            const sitesIn = (color: string) => new Set(logLines(color).flatMap((l) => /site=(\S+)/.exec(l)?.[1] ?? []));
            expect([...sitesIn("blue")].sort()).to.deep.equal(["faulty", "news"]);
            expect([...sitesIn("green")]).to.deep.equal(["greens"]);
            const line = logLines("blue").find((l) => l.includes("site=news"))!;
            expect(line).to.match(/^cron-runner: site=news outcome=ok duration=\d+\.\d\ds events=\d+$/);
        });

        it("skips a site whose cron lock another run holds (one run per site, across pods and colors)", async () => {
            const from = logSize("blue");
            // Another runner's child, as the other color's would be while the site moves.
            const holder: ChildProcess = spawn(
                "mariadb",
                [
                    "--no-defaults",
                    `--socket=${fleet.db.socket}`,
                    `--user=${os.userInfo().username}`,
                    "-e",
                    `SELECT GET_LOCK('wp-platform-cron:news', 0); SELECT SLEEP(${3 * INTERVAL + 2});`,
                ],
                { stdio: "ignore" },
            );
            try {
                await waitFor("a locked run of news", () => logLines("blue", from).some((l) => /site=news outcome=locked/.test(l)));
            } finally {
                holder.kill("SIGKILL");
            }
            await waitFor("a run of news again", () =>
                logLines("blue", logSize("blue") > from ? from : 0).some((l) => /site=news outcome=ok/.test(l)),
            );
        });

        it("logs a site whose events die with a PHP fatal error as failed, and still runs the other sites' events", async () => {
            const from = logSize("blue");
            setFault("faulty", "fatal");
            try {
                setOption("news", "e2e_cron_mark", "pending");
                await waitFor("a failed faulty and a news event run", () => {
                    const failed = logLines("blue", from).some((l) => /site=faulty outcome=failed .*reason=.*e2e_no_such_function/.test(l));
                    return failed && mark("news") === "done";
                });
            } finally {
                setFault("faulty", undefined);
            }
        });

        it("kills a site whose events hang at its time limit, logged as a timeout, and still runs the other sites' events", async () => {
            const from = logSize("blue");
            setFault("faulty", "hang");
            try {
                // Armed once faulty hangs: news must run while it does.
                let armed = false;
                await waitFor("a timed-out faulty and a news event run beside it", () => {
                    const lines = logLines("blue", from);
                    if (!armed && lines.some((l) => /site=faulty/.test(l))) {
                        setOption("news", "e2e_cron_mark", "pending");
                        armed = true;
                    }
                    const timeout = lines.some((l) =>
                        new RegExp(`site=faulty outcome=timeout duration=${SITE_TIMEOUT}\\.\\d\\ds .*killed after ${SITE_TIMEOUT}s`).test(
                            l,
                        ),
                    );
                    return armed && timeout && mark("news") === "done";
                });
            } finally {
                setFault("faulty", undefined);
            }
        });
    });

    describe("verify loads the home page as a visitor would", () => {
        const verify = (id: string, extraEnv: Record<string, string> = {}): Promise<JobResult> =>
            runJob(findJob(site(id), "verify"), fleet.jobs, extraEnv);

        it("passes for a working site, having fetched its page from a web server of its own image", async () => {
            const r = await verify("news");
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stdout).to.match(new RegExp(`page: GET http://127\\.0\\.0\\.1:\\d+/ with Host ${host("news")}: 200, site news`));
        });

        it("fails for a theme that dies rendering the page, where every earlier check passes", async () => {
            sql("faulty", "UPDATE wp_options SET option_value = 'e2e-fatal' WHERE option_name IN ('stylesheet', 'template')");
            try {
                const r = await verify("faulty", { WP_THEME: "e2e-fatal" });
                expect(r.code).to.equal(1);
                // Today's checks (database, install, admin, URLs, theme in the image and active) pass ...
                expect(r.stdout).to.include("verify: theme: e2e-fatal is in the image and active");
                // ... and the page fails.
                expect(r.stderr).to.match(/Error: home page: GET .* with Host faulty\.cloud2-stg\.example\.com answered 500/);
            } finally {
                sql("faulty", "UPDATE wp_options SET option_value = 'twentytwentytwo' WHERE option_name IN ('stylesheet', 'template')");
            }
            const again = await verify("faulty");
            expect(again.code, again.stderr).to.equal(0);
        });

        // Through a running web server (WP_PLATFORM_SERVICE_URL, which the program does not set): the
        // host the site's page comes from is one the index maps to another site.
        it("fails when the site's host serves another site's page", async () => {
            const pod = fleet.plan.serving[0];
            const mount = Object.keys(pod.mounts).find((m) => "sites.json" in pod.mounts[m])!;
            const file = path.join(fleet.web.root, mount, "sites.json");
            const original = fs.readFileSync(file, "utf8");
            const index = JSON.parse(original) as { hosts: Record<string, Record<string, unknown>> };
            index.hosts[host("faulty")] = { ...index.hosts[host("news")], canonical: host("faulty") };
            fs.writeFileSync(file, JSON.stringify(index));
            try {
                const r = await verify("faulty", { WP_PLATFORM_SERVICE_URL: fleet.webs.find((w) => w.pod === pod.name)!.url });
                expect(r.code).to.equal(1);
                expect(r.stderr).to.include("is the page of site news, not faulty (its host is mapped to another site)");
            } finally {
                fs.writeFileSync(file, original);
            }
        });
    });

    describe("upgrade-db", () => {
        const backups = () => path.join(stateDir, "backups", "news");
        /** The command the upgrade Job will run, with the site's Job environment and settings. */
        const upgradeDb = (): Promise<JobResult> => {
            const verifyJob = findJob(site("news"), "verify");
            return runJob(
                { ...verifyJob, name: "news.upgrade-db", job: "upgrade-db", argv: ["wp", "platform", "upgrade-db"] },
                fleet.jobs,
                {
                    WP_PLATFORM_BACKUP_URL: backups(),
                },
            );
        };
        const dbVersion = () => sql("news", "SELECT option_value FROM wp_options WHERE option_name = 'db_version'");
        const versionFile = () => fs.readFileSync(path.join(stateDir, "wordpress", "wp-includes", "version.php"), "utf8");
        const coreDb = () => /\$wp_db_version = (\d+);/.exec(versionFile())![1];
        const core = () => /\$wp_version = '([^']+)'/.exec(versionFile())![1];
        const OLD = "51917";

        it("makes no backup when the schema is this core's", async () => {
            const r = await upgradeDb();
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stdout).to.include(`db version ${coreDb()} is this core's`);
            expect(r.stdout).to.include("no update needed, no backup");
            expect(fs.existsSync(backups())).to.equal(false);
        });

        it("backs up an older schema, then updates it; the backup restores the site's tables as they were", async () => {
            sql("news", `UPDATE wp_options SET option_value = '${OLD}' WHERE option_name = 'db_version'`);
            const r = await upgradeDb();
            expect(r.code, r.stderr).to.equal(0);
            expect(dbVersion()).to.equal(coreDb());
            const files = fs.readdirSync(backups());
            expect(files).to.have.length(1);
            expect(files[0]).to.match(new RegExp(`^\\d{8}T\\d{6}Z-db${OLD}-wp${core().replace(/\./g, "\\.")}\\.sql\\.gz$`));
            expect(r.stdout).to.include(`backup: ${path.join(backups(), files[0])}`);
            const dump = zlib.gunzipSync(fs.readFileSync(path.join(backups(), files[0]))).toString("utf8");
            for (const table of ["wp_options", "wp_posts", "wp_users", "wp_usermeta"]) {
                expect(dump).to.include(`CREATE TABLE \`${table}\``);
                expect(dump).to.include(`INSERT INTO \`${table}\` VALUES`);
            }
            expect(dump).to.include("E2E scheduled news");

            // A second run: nothing to do, no backup.
            const second = await upgradeDb();
            expect(second.code, second.stderr).to.equal(0);
            expect(second.stdout).to.include("no update needed, no backup");
            expect(fs.readdirSync(backups())).to.have.length(1);

            // The restore of image/README.md, as the site's own user over TLS: the old schema is back.
            const s = site("news");
            const restored = fleet.db.as(s.user.user, s.user.plaintextPassword!, dump, { database: s.database.name });
            expect(restored.ok, restored.output).to.equal(true);
            expect(dbVersion()).to.equal(OLD);
            expect((await upgradeDb()).code).to.equal(0);
            expect(dbVersion()).to.equal(coreDb());
        });

        it("refuses a database newer than this core: that is a restore, not an upgrade", async () => {
            const real = dbVersion();
            sql("news", `UPDATE wp_options SET option_value = '${Number(real) + 1000}' WHERE option_name = 'db_version'`);
            try {
                const r = await upgradeDb();
                expect(r.code).to.equal(1);
                expect(r.stderr).to.include(`newer than this core's ${real}`);
            } finally {
                sql("news", `UPDATE wp_options SET option_value = '${real}' WHERE option_name = 'db_version'`);
            }
        });
    });

    describe("scheduled posts, with no visitor", () => {
        it("are published by the runner of each color, and no request ever reaches wp-cron.php", async () => {
            expect(postStatus("news", scheduled.news)).to.be.oneOf(["future", "publish"]);
            await waitFor(
                "published posts",
                () => postStatus("news", scheduled.news) === "publish" && postStatus("greens", scheduled.greens) === "publish",
                90_000,
                () =>
                    `(news ${postStatus("news", scheduled.news)}, greens ${postStatus("greens", scheduled.greens)}; ` +
                    `blue: ${logLines("blue").slice(-4).join(" | ")}; green: ${logLines("green").slice(-4).join(" | ")})`,
            );
            // Each color's web server keeps its own log (web/<deployment>/log/).
            const logs = fs.readdirSync(path.join(stateDir, "web")).map((d) => path.join(stateDir, "web", d, "log", "nginx-access.log"));
            expect(logs.filter((f) => fs.existsSync(f))).to.have.length(fleet.webs.length);
            for (const log of logs) expect(fs.readFileSync(log, "utf8"), log).to.not.include("wp-cron.php");
        });
    });
});
