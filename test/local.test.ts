// npm run local's reading of the program (tools/local/program.ts), the provider's SQL it replays
// (tools/local/mysql-provider.ts), its hold on the state folder (tools/local/state.ts) and how
// npm run wp finds a site of a running fleet (tools/wp.ts), without any server: the e2e test
// (test/e2e) runs them for real.
import { expect } from "chai";
import { type ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { freshStart } from "../tools/local/fleet";
import { createDatabaseSql, createGrantSql, createUserSql } from "../tools/local/mysql-provider";
import { type StackPlan, readStack, servedHosts, withDatabaseHost } from "../tools/local/program";
import { AlreadyRunning, LOCK_FILE, type ServerPidFile, isRunning, lockState, stopLeftovers } from "../tools/local/state";
import { WP_CLI_STATE } from "../tools/local/wp-cli";
import { HelpRequested, UsageError } from "../tools/cli";
import { WpToolError, parseWpArgs, wpInvocation } from "../tools/wp";

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
            ).to.deep.equal(["install", "activate-theme", "upgrade-db", "verify", "flush-caches"]);
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

    it("names, as the hosts to try, each site's canonical and preview hosts, never a host that redirects", () => {
        const files = fs.readdirSync(E2E_SITES).map(
            (f) =>
                parse(fs.readFileSync(path.join(E2E_SITES, f), "utf8")) as {
                    id: string;
                    hostnames: string[];
                    canonicalHostname?: string;
                },
        );
        const hosts = servedHosts(plan);
        for (const file of files) {
            const canonical = file.canonicalHostname ?? file.hostnames[0];
            const ofSite = hosts.filter((h) => h.site === file.id).map((h) => h.host);
            expect(ofSite, file.id).to.include(canonical);
            for (const other of file.hostnames.filter((h) => h !== canonical)) expect(ofSite, file.id).to.not.include(other);
            // The stack has a preview domain: one more host per site, served as itself.
            expect(ofSite, file.id).to.have.length(2);
        }
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

describe("npm run local: one run per state folder", () => {
    let dir: string;
    const children: ChildProcess[] = [];
    /** A process whose command line is `node -e <script> ...args`, in a process group of its own as a run's servers are. */
    const start = (script: string, ...args: string[]): ChildProcess => {
        const child = spawn(process.execPath, ["-e", script, ...args], { stdio: "ignore", detached: true });
        children.push(child);
        return child;
    };
    const idle = "setInterval(() => undefined, 1000)";
    const exit = (child: ChildProcess) =>
        new Promise<void>((resolve) =>
            child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve()),
        );

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "wp-local-state-"));
    });
    afterEach(async () => {
        for (const child of children.splice(0)) {
            child.kill("SIGKILL");
            await exit(child);
        }
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("refuses a second run while the first holds the folder, naming the first, and touches nothing", () => {
        const lock = lockState(dir);
        const before = fs.readFileSync(lock.file, "utf8");
        expect(() => lockState(dir))
            .to.throw(AlreadyRunning)
            .with.property("message", `already running (pid ${process.pid}); stop it first, or use another stack`);
        expect(fs.readFileSync(lock.file, "utf8")).to.equal(before);
        expect(fs.readdirSync(dir)).to.deep.equal([LOCK_FILE]);
        lock.release();
        expect(fs.existsSync(lock.file)).to.be.false;
        lockState(dir).release();
    });

    it("refuses while another live process holds the lock, and takes the lock over once that process has died", async () => {
        const other = start(idle);
        fs.writeFileSync(path.join(dir, LOCK_FILE), `${other.pid}\n`);
        expect(() => lockState(dir)).to.throw(AlreadyRunning, `(pid ${other.pid})`);
        other.kill("SIGKILL");
        await exit(other);
        const lock = lockState(dir);
        expect(fs.readFileSync(lock.file, "utf8").split("\n")[0]).to.equal(String(process.pid));
        lock.release();
    });

    it("takes over a lock whose pid now belongs to a process started at another time", function () {
        if (!fs.existsSync("/proc/self/stat")) this.skip();
        const other = start(idle);
        fs.writeFileSync(path.join(dir, LOCK_FILE), `${other.pid}\n1\n`);
        lockState(dir).release();
    });

    it("stops the servers a killed run left, only those of that program in that folder", async () => {
        const data = path.join(dir, "data");
        const left = start(idle, data);
        const otherFolder = start(idle, `${dir}-other/data`);
        const otherProgram = start(idle, data);
        const dead = start("");
        await exit(dead);
        const pidFile = (name: string, child: ChildProcess) => {
            const file = path.join(dir, `${name}.pid`);
            fs.writeFileSync(file, `${child.pid}\n`);
            return file;
        };
        const servers: ServerPidFile[] = [
            { name: "left", pidFile: pidFile("left", left), program: /node/ },
            { name: "other-folder", pidFile: pidFile("other-folder", otherFolder), program: /node/ },
            { name: "other-program", pidFile: pidFile("other-program", otherProgram), program: /mariadbd/ },
            { name: "dead", pidFile: pidFile("dead", dead), program: /node/ },
            { name: "no-pid-file", pidFile: path.join(dir, "none.pid"), program: /node/ },
        ];
        expect(await stopLeftovers(dir, servers)).to.deep.equal([{ name: "left", pid: left.pid }]);
        await exit(left);
        expect(isRunning(otherFolder.pid!)).to.be.true;
        expect(isRunning(otherProgram.pid!)).to.be.true;
    });

    it("kills a left server that ignores SIGTERM once the grace time is over", async () => {
        const stubborn = start(`process.on("SIGTERM", () => undefined); ${idle}`, path.join(dir, "data"));
        // Until node has set its handler, SIGTERM would end it the ordinary way.
        await new Promise((resolve) => setTimeout(resolve, 300));
        fs.writeFileSync(path.join(dir, "s.pid"), `${stubborn.pid}\n`);
        const stopped = await stopLeftovers(dir, [{ name: "stubborn", pidFile: path.join(dir, "s.pid"), program: /node/ }], 200);
        expect(stopped).to.have.length(1);
        await exit(stubborn);
        expect(stubborn.signalCode).to.equal("SIGKILL");
    });

    it("--fresh deletes everything but the lock, and says in one line what it deleted", () => {
        const lock = lockState(dir);
        fs.mkdirSync(path.join(dir, "data"));
        fs.mkdirSync(path.join(dir, "certs"));
        const applied = { "b/database": "1", "b/user": "2", "a/database": "3", "a/grant": "4" };
        fs.writeFileSync(path.join(dir, "mysql-state.json"), JSON.stringify(applied));
        expect(freshStart(dir)).to.equal(`--fresh: deleted ${dir}/: the databases of 2 site(s) (b, a); certs, data, mysql-state.json`);
        expect(fs.readdirSync(dir)).to.deep.equal([LOCK_FILE]);
        expect(freshStart(dir)).to.equal(`--fresh: ${dir}/ held nothing yet`);
        lock.release();
    });
});

describe("npm run wp: which site of which running fleet", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "wp-tool-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const thrown = (run: () => unknown): Error => {
        try {
            run();
        } catch (e) {
            return e as Error;
        }
        throw new Error("expected an error");
    };
    const fails = (argv: string[], code: number, message: RegExp | string) => {
        const error = thrown(() => wpInvocation(parseWpArgs(argv)));
        expect(error).to.be.instanceOf(WpToolError);
        expect((error as WpToolError).code).to.equal(code);
        if (typeof message === "string") expect(error.message).to.include(message);
        else expect(error.message).to.match(message);
    };
    const usageError = (argv: string[], message: string) => {
        const error = thrown(() => parseWpArgs(argv));
        expect(error).to.be.instanceOf(UsageError);
        expect(error.message).to.include(message);
    };

    it("is a usage error (exit 2, tools/cli.ts) without a stack or a site, or with an unknown option; --help is help", () => {
        usageError([], "which stack?");
        usageError(["stg"], "which site?");
        usageError(["--nope", "stg", "rrr"], "unknown option --nope");
        usageError(["--state"], "--state needs a folder");
        expect(thrown(() => parseWpArgs(["--help"]))).to.be.instanceOf(HelpRequested);
        // After the site, everything is WP-CLI's: its own --help and options pass through.
        expect(parseWpArgs(["--state=/x", "stg", "rrr", "help", "--help", "--format=json"])).to.deep.equal({
            stack: "stg",
            site: "rrr",
            args: ["help", "--help", "--format=json"],
            stateDir: "/x",
        });
    });

    it("says the fleet is not running when no live run holds the state folder", () => {
        fails(["--state", dir, "stg", "rrr", "core", "version"], 1, /local fleet of stack stg is not running .*npm run local -- stg/);
    });

    it("says a running fleet is still starting until it has written the sites' environment", () => {
        const lock = lockState(dir);
        try {
            fails(["--state", dir, "stg", "rrr"], 1, `(pid ${process.pid}) is still starting`);
            // A state file of an earlier run does not count.
            fs.writeFileSync(path.join(dir, WP_CLI_STATE), JSON.stringify({ pid: 1, path: [], sites: { rrr: { env: {} } } }));
            fails(["--state", dir, "stg", "rrr"], 1, "is still starting");
        } finally {
            lock.release();
        }
    });

    it("names the fleet's sites for an unknown one, and runs wp with the site's Job environment for a known one", () => {
        const lock = lockState(dir);
        try {
            const env = { WP_SITE_ID: "rrr", WP_PLATFORM_SETTINGS_DIR: "/x/pods/rrr.wp-cli/etc/wp-platform/settings" };
            fs.writeFileSync(
                path.join(dir, WP_CLI_STATE),
                JSON.stringify({ pid: process.pid, path: ["/img/bin"], sites: { rrr: { env }, "harbor-cafe": { env: {} } } }),
            );
            fails(["--state", dir, "stg", "nope"], 1, 'stack stg has no site "nope" in its local fleet; its sites: harbor-cafe, rrr');
            const run = wpInvocation(parseWpArgs(["--state", dir, "stg", "rrr", "option", "get", "siteurl", "--format=json"]));
            expect(run.command).to.equal("wp");
            expect(run.args).to.deep.equal(["option", "get", "siteurl", "--format=json"]);
            expect(run.env).to.include(env);
            expect(run.env.PATH.split(path.delimiter)[0]).to.equal("/img/bin");
        } finally {
            lock.release();
        }
    });
});
