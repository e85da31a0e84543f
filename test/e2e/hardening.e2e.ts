// End to end, the hardening of the image and of the local fleet (docs/image.md, "Hardening";
// docs/local.md): a pod serves only its color's hosts, visitors learn nothing they do not need, and
// the fleet binds loopback, runs PHP unprivileged and keeps its secrets random. A fleet of its own,
// so that nothing here depends on the order of fleet.e2e.ts.
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { type Fleet, startFleet } from "../../tools/local/fleet";
import { freePorts } from "../../tools/local/processes";
import { findJob } from "../../tools/local/jobs";
import { SECRETS_KEY } from "../../tools/local/secrets";
import { get, runtimeDirOf } from "../../tools/local/web";

const FIXTURES = path.join(__dirname, "fixtures", "sites");
const STACK = "stg";

interface SiteFile {
    id: string;
    name: string;
    hostnames: string[];
    canonicalHostname?: string;
    service?: string;
}
const fixture = (id: string): SiteFile => parse(fs.readFileSync(path.join(FIXTURES, `${id}.yaml`), "utf8")) as SiteFile;
const canonical = (s: SiteFile): string => s.canonicalHostname ?? s.hostnames[0];

interface RawResponse {
    readonly status: number;
    readonly head: string;
    readonly body: string;
}

/** Sends `request` as written (an absolute-form request line, say) to 127.0.0.1:`port`; reads the whole answer. */
export function raw(port: number, request: string): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
        // Written, not ended: nginx takes a half-closed connection for a client gone (499). The
        // request says Connection: close, so the server closes it once it has answered.
        const socket = net.connect(port, "127.0.0.1", () => socket.write(request));
        let data = "";
        socket.setEncoding("utf8");
        socket.setTimeout(30_000, () => socket.destroy(new Error("no answer in 30s")));
        socket.on("data", (d: string) => (data += d));
        socket.on("error", reject);
        socket.on("close", () => {
            const split = data.indexOf("\r\n\r\n");
            const head = split < 0 ? data : data.slice(0, split);
            resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0), head, body: split < 0 ? "" : data.slice(split + 4) });
        });
    });
}

interface Answer {
    readonly status: number;
    readonly headers: http.IncomingHttpHeaders;
    readonly body: string;
}

/** One request to 127.0.0.1:`port` with `host` as Host (a form body when given). */
function request(
    port: number,
    method: string,
    urlPath: string,
    host: string,
    headers: Record<string, string> = {},
    form?: Record<string, string>,
): Promise<Answer> {
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const all: Record<string, string> = { ...headers, Host: host };
    if (body !== undefined) all["Content-Type"] = "application/x-www-form-urlencoded";
    return new Promise((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, path: urlPath, method, headers: all }, (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (d: string) => (text += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        });
        req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${urlPath}: no answer in 30s`)));
        req.on("error", reject);
        req.end(body);
    });
}

/** The cookies a response sets, as a Cookie header. */
const cookiesOf = (res: Answer): string => (res.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]).join("; ");

describe("hardening, end to end", function () {
    let fleet: Fleet;
    let stateDir: string;
    /** The site index the serving pods mount. */
    let hosts: Record<string, { site: string; color: string; preview?: boolean }>;

    /** A folder only its owner may enter (mkdtemp's 0700), holding the state folder: a checkout under /root. */
    let closed: string;

    before(async function () {
        closed = fs.mkdtempSync(path.join(os.tmpdir(), "wp-e2e-hardening-"));
        stateDir = path.join(closed, "checkout", ".local", STACK);
        fleet = await startFleet({ stack: STACK, sitesDir: FIXTURES, port: await freePorts(2), stateDir, fresh: true });
        const index = Object.values(fleet.plan.serving[0].mounts).find((files) => "sites.json" in files)!["sites.json"];
        hosts = (JSON.parse(index) as { hosts: typeof hosts }).hosts;
    });

    after(async function () {
        await fleet?.stop();
        const runtime = stateDir ? runtimeDirOf(stateDir) : undefined;
        if (closed) fs.rmSync(closed, { recursive: true, force: true });
        if (runtime && runtime !== stateDir) expect(fs.existsSync(runtime), `${runtime} left after stop`).to.equal(false);
    });

    const portOf = (color: string): number => fleet.webs.find((w) => w.color === color)!.port;
    const previewOf = (id: string): string => Object.keys(hosts).find((h) => hosts[h].site === id && hosts[h].preview)!;
    const https = { "X-Forwarded-Proto": "https" };

    describe("a pod serves only its color", () => {
        // shopx1 is on green; shop-1 on the active color, blue.
        const green = fixture("shopx1");
        const blue = fixture("shop-1");

        it("runs one web server per color, each with its color", () => {
            expect(fleet.webs.map((w) => w.color)).to.deep.equal(["blue", "green"]);
            // The web Deployments only: the cron runners (a command of their own) serve nothing.
            expect(fleet.webs.map((w) => w.pod)).to.deep.equal(["blue-deployment", "green-deployment"]);
            expect(new Set(fleet.webs.map((w) => w.port)).size).to.equal(2);
            expect(hosts[canonical(green)].color).to.equal("green");
            expect(hosts[previewOf("shopx1")].color).to.equal("blue");
        });

        it("answers 404 on blue for a green site's live hosts, and serves them on green", async () => {
            for (const host of green.hostnames) {
                const res = await get(portOf("blue"), "/", host, https);
                expect(res.status, host).to.equal(404);
                expect(res.body).to.not.include(green.name);
            }
            const res = await get(portOf("green"), "/", canonical(green), https);
            expect(res.status).to.equal(200);
            expect(res.body).to.include(`<title>${green.name}`);
        });

        it("serves a green site's preview host on blue, and not on green", async () => {
            const preview = previewOf("shopx1");
            const res = await get(portOf("blue"), "/", preview, https);
            expect(res.status).to.equal(200);
            expect(res.body).to.include(`<title>${green.name}`);
            expect((await get(portOf("green"), "/", preview, https)).status).to.equal(404);
        });

        it("redirects no other color's non-canonical host: 404, not a 301", async () => {
            const other = blue.hostnames.find((h) => h !== canonical(blue))!;
            expect((await get(portOf("blue"), "/", other, https)).status).to.equal(301);
            expect((await get(portOf("green"), "/", other, https)).status).to.equal(404);
        });

        it("cannot be talked into another color's site by an absolute request URI", async () => {
            // The request line names a green site, the Host header a blue one: either way not served.
            const absolute = (target: string, host: string) =>
                raw(
                    portOf("blue"),
                    `GET http://${target}/ HTTP/1.1\r\nHost: ${host}\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n`,
                );
            for (const [target, host] of [
                [canonical(green), canonical(blue)],
                [canonical(blue), canonical(green)],
                [canonical(green), previewOf("shopx1")],
            ]) {
                const res = await absolute(target, host);
                expect(res.status, `${target} with Host ${host}: ${res.head}`).to.be.oneOf([400, 404]);
                expect(res.body).to.not.include(green.name);
                expect(res.body).to.not.include(blue.name);
            }
            // The same host in both is a plain request.
            expect((await absolute(canonical(blue), canonical(blue))).status).to.equal(200);
        });
    });

    describe("visitors", () => {
        const shop = fixture("shop-1");
        const host = canonical(shop);
        const visit = (urlPath: string, method = "GET", headers: Record<string, string> = {}, form?: Record<string, string>) =>
            request(portOf("blue"), method, urlPath, host, { ...https, ...headers }, form);
        /** The site's admin, from its install Job's mounted settings. */
        const admin = (): { user: string; password: string } => {
            const settings = JSON.parse(
                Object.values(
                    findJob(
                        fleet.plan.sites.find((x) => x.id === "shop-1")!,
                        "install",
                    ).mounts,
                )[0]["shop-1.json"],
            );
            return { user: settings.WP_ADMIN_USER as string, password: settings.WP_ADMIN_PASSWORD as string };
        };
        const login = (user: string, password: string) =>
            visit(
                "/wp-login.php",
                "POST",
                { Cookie: "wordpress_test_cookie=WP%20Cookie%20check" },
                { log: user, pwd: password, testcookie: "1", "wp-submit": "Log In" },
            );
        /** The text of the login page's error box. */
        const loginError = (res: Answer): string => (/<div id="login_error">([\s\S]*?)<\/div>/.exec(res.body)?.[1] ?? "").trim();

        it("does not list users to a visitor over REST, by path or rest_route", async () => {
            for (const url of [
                "/wp-json/wp/v2/users",
                "/wp-json/wp/v2/users/1",
                "/?rest_route=/wp/v2/users",
                "/?rest_route=/wp/v2/users/1",
            ]) {
                const res = await visit(url);
                expect(res.status, url).to.be.oneOf([401, 404]);
                expect(res.body, url).to.not.include(admin().user);
            }
        });

        it("lists users over REST to a logged-in admin (list_users)", async () => {
            const { user, password } = admin();
            const cookie = cookiesOf(await login(user, password));
            const nonce = (await visit("/wp-admin/admin-ajax.php?action=rest-nonce", "GET", { Cookie: cookie })).body.trim();
            expect(nonce).to.match(/^[0-9a-f]{10}$/);
            const res = await visit("/wp-json/wp/v2/users?context=edit", "GET", { Cookie: cookie, "X-WP-Nonce": nonce });
            expect(res.status, res.body).to.equal(200);
            expect((JSON.parse(res.body) as { username: string }[]).map((u) => u.username)).to.include(user);
        });

        it("does not redirect /?author=<n> to the author's slug", async () => {
            for (const url of ["/?author=1", "/?author=1&x=y", "/index.php?author=1"]) {
                const res = await visit(url);
                expect(res.status, url).to.equal(404);
                expect(res.headers.location ?? "", url).to.not.include("/author/");
            }
        });

        it("gives one login error for an unknown user and for a wrong password", async () => {
            const { user } = admin();
            const unknown = await login("nobody-here", "wrong-password");
            const wrong = await login(user, "wrong-password");
            expect(unknown.status).to.equal(200);
            expect(loginError(unknown)).to.not.equal("");
            expect(loginError(wrong)).to.equal(loginError(unknown));
            expect(wrong.body).to.not.include(user);
            const byEmail = await login("nobody@example.com", "wrong-password");
            expect(loginError(byEmail)).to.equal(loginError(unknown));
        });

        it("answers a lost-password request the same for a user that exists and one that does not", async () => {
            const { user } = admin();
            const ask = (login: string) =>
                visit("/wp-login.php?action=lostpassword", "POST", {}, { user_login: login, "wp-submit": "Get New Password" });
            const unknown = await ask("nobody-here");
            const known = await ask(user);
            expect([known.status, known.headers.location]).to.deep.equal([unknown.status, unknown.headers.location]);
            expect(known.body).to.equal(unknown.body);
            expect(unknown.status).to.equal(302);
        });

        it("sets the auth cookies of a real login with SameSite=Lax", async () => {
            const { user, password } = admin();
            const res = await login(user, password);
            expect(res.status).to.equal(302);
            const cookies = res.headers["set-cookie"] ?? [];
            const auth = cookies.filter((c) => /^wordpress_(sec|logged_in)_/.test(c));
            expect(auth.length, cookies.join("\n")).to.be.at.least(2);
            for (const c of auth) {
                expect(c).to.match(/;\s*SameSite=Lax/i);
                expect(c).to.match(/;\s*HttpOnly/i);
            }
            for (const c of cookies) expect(c, c).to.match(/;\s*SameSite=/i);
        });

        it("never concatenates scripts or styles for a visitor (load-scripts.php, load-styles.php)", async () => {
            const many = Array.from({ length: 40 }, (_, i) => `load[]=${i % 2 ? "jquery-core" : "wp-polyfill"}`).join("&");
            for (const url of [
                `/wp-admin/load-scripts.php?c=0&${many}`,
                "/wp-admin/load-styles.php?c=0&load[]=dashicons,admin-bar,buttons,common,forms",
            ]) {
                const res = await visit(url);
                expect(res.status, url).to.be.oneOf([403, 404]);
                expect(res.body.length, url).to.be.below(2000);
            }
        });

        it("does not tell the core version: no generator tag, no ver=<core version> on assets", async () => {
            const version = /\$wp_version = '([^']+)'/.exec(
                fs.readFileSync(path.join(stateDir, "wordpress", "wp-includes", "version.php"), "utf8"),
            )![1];
            for (const url of ["/", "/feed/", "/?feed=rss2"]) {
                const res = await visit(url);
                expect(res.status, url).to.be.oneOf([200, 301]);
                expect(res.body, url).to.not.match(/<meta name="generator"/i);
                expect(res.body, url).to.not.include(`ver=${version}`);
                expect(res.body, url).to.not.match(/wordpress\.org\/\?v=/);
            }
        });

        it("does not serve XML-RPC", async () => {
            expect((await visit("/xmlrpc.php", "POST", {}, { x: "1" })).status).to.be.oneOf([403, 404]);
            expect((await visit("/")).headers["x-pingback"]).to.equal(undefined);
        });

        it("sends the security headers on every response: page, static file, 301, 404, and PHP's own", async () => {
            const other = shop.hostnames.find((h) => h !== host)!;
            const answers: [string, Answer][] = [
                ["page", await visit("/")],
                ["login", await visit("/wp-login.php")],
                ["static", await visit("/wp-includes/css/dashicons.min.css")],
                ["static 404", await visit("/wp-includes/css/nope.css")],
                ["301", await request(portOf("blue"), "GET", "/", other, https)],
                ["unknown host 404", await request(portOf("blue"), "GET", "/", "unknown.example.com", https)],
                ["nginx 404", await visit("/xmlrpc.php")],
            ];
            for (const [what, res] of answers) {
                expect(res.headers["strict-transport-security"], what).to.match(/^max-age=\d{7,}/);
                expect(res.headers["x-content-type-options"], what).to.equal("nosniff");
                expect(res.headers["x-frame-options"], what).to.equal("SAMEORIGIN");
                expect(res.headers["referrer-policy"], what).to.equal("strict-origin-when-cross-origin");
            }
            expect(answers.map(([, r]) => r.status)).to.deep.equal([200, 200, 200, 404, 301, 404, 404]);
            // Over plain HTTP (no X-Forwarded-Proto: https), no HSTS: it would pin a site that has no TLS.
            const plain = await request(portOf("blue"), "GET", "/wp-includes/css/dashicons.min.css", host);
            expect(plain.headers["strict-transport-security"]).to.equal(undefined);
            expect(plain.headers["x-content-type-options"]).to.equal("nosniff");
        });
    });

    describe("the local fleet", () => {
        /** The process group of each server the fleet started (each is its group's leader), by pid. */
        const groups = () => new Set([fleet.db.service, ...fleet.webs.flatMap((w) => w.web.services)].map((s) => s.child.pid!));
        /** Every process of the fleet's servers: pid, uid, command. */
        const processes = () =>
            spawnSync("ps", ["-eo", "pid=,pgid=,uid=,args="], { encoding: "utf8" })
                .stdout.split("\n")
                .map((l) => /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(l))
                .filter((m): m is RegExpExecArray => m !== null && groups().has(Number(m[2])))
                .map((m) => ({ pid: Number(m[1]), uid: Number(m[3]), args: m[4] }));

        it("listens on 127.0.0.1 only: every TCP listener of nginx, PHP-FPM and MariaDB (ss -ltnp)", () => {
            const pids = new Set(processes().map((p) => p.pid));
            const ss = spawnSync("ss", ["-ltnpH"], { encoding: "utf8" });
            expect(ss.status, ss.stderr).to.equal(0);
            const ours = ss.stdout
                .split("\n")
                .filter((l) => [...l.matchAll(/pid=(\d+)/g)].some((m) => pids.has(Number(m[1]))))
                .map((l) => l.trim().split(/\s+/)[3]);
            // MariaDB, and nginx of each color.
            expect(ours.length, ss.stdout).to.be.at.least(1 + fleet.webs.length);
            for (const address of ours) expect(address, ss.stdout).to.match(/^127\.0\.0\.1:\d+$/);
        });

        it("never runs PHP-FPM's workers as root, and no socket of it is world-writable", () => {
            const workers = processes().filter((p) => /php-fpm: pool/.test(p.args));
            expect(workers.length).to.be.at.least(fleet.webs.length);
            for (const w of workers) expect(w.uid, w.args).to.not.equal(0);
            for (const { pod } of fleet.webs) {
                const conf = fs.readFileSync(path.join(stateDir, "web", pod, "conf", "php-fpm.conf"), "utf8");
                const socket = /^listen = "([^"]+)"/m.exec(conf)![1];
                const mode = fs.statSync(socket).mode & 0o777;
                expect(mode & 0o002, `${socket} mode ${mode.toString(8)}`).to.equal(0);
            }
        });

        it("serves from a state folder inside a 0700 folder: nginx's and PHP's workers never enter it", async () => {
            expect(fs.statSync(closed).mode & 0o777).to.equal(0o700);
            const workers = processes().filter((p) => /php-fpm: pool|nginx: worker/.test(p.args));
            const uids = new Set(workers.map((w) => w.uid));
            expect(uids.size, "one workers' user").to.equal(1);
            if (process.getuid?.() === 0) expect([...uids][0]).to.not.equal(0);
            const res = await get(portOf("blue"), "/", canonical(fixture("shop-1")), https);
            expect(res.status).to.equal(200);
            expect(res.body).to.include(`<title>${fixture("shop-1").name}`);
            expect((await get(portOf("blue"), "/wp-includes/css/dashicons.min.css", canonical(fixture("shop-1")), https)).status).to.equal(
                200,
            );
            // As root, the workers' files are in a runtime folder outside the state folder, and go with the run.
            if (process.getuid?.() === 0) {
                const runtime = runtimeDirOf(stateDir);
                expect(runtime).to.not.equal(stateDir);
                expect(fs.statSync(runtime).mode & 0o777).to.equal(0o711);
                expect(fs.realpathSync(path.join(stateDir, "wordpress"))).to.equal(path.join(runtime, "wordpress"));
            }
        });

        it("keeps random secrets of its own in the state folder, never derived from names", () => {
            const install = findJob(
                fleet.plan.sites.find((x) => x.id === "shop-1")!,
                "install",
            );
            const settings = JSON.parse(Object.values(install.mounts)[0]["shop-1.json"]) as Record<string, string>;
            for (const key of ["WP_ADMIN_PASSWORD", "WORDPRESS_DB_PASSWORD"]) {
                expect(settings[key], key).to.match(/^[0-9a-f]{32,}$/);
                expect(settings[key], key).to.not.include("MOCKSECRET");
            }
            // A salt is random bytes (base64): the tests' mocks fill them with MOCKSECRET...
            expect(Buffer.from(settings.WORDPRESS_AUTH_KEY, "base64").toString("latin1")).to.not.include("MOCKSECRET");
            expect(fleet.plan.sites.find((x) => x.id === "shop-1")!.user.plaintextPassword).to.not.include("MOCKSECRET");
            const key = path.join(stateDir, SECRETS_KEY);
            expect(fs.statSync(key).mode & 0o777).to.equal(0o600);
        });
    });
});
