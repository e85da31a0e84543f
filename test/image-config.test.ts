// image/render-config.sh's hardening switches: the pod's config listens on every address with no
// user directive (it runs unprivileged), the local fleet's on 127.0.0.1 with its workers handed to
// an unprivileged user; never root, never a world-writable socket; the security headers at server
// level only (a location's own add_header would drop them).
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const IMAGE = path.join(__dirname, "..", "image");

function render(env: Record<string, string>): { status: number | null; stderr: string; nginx: string; fpm: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wp-render-"));
    try {
        const r = spawnSync("sh", [path.join(IMAGE, "render-config.sh"), path.join(dir, "conf")], {
            env: { PATH: process.env.PATH, WP_PLATFORM_STATE_DIR: path.join(dir, "state"), ...env },
            encoding: "utf8",
        });
        const read = (f: string) => (fs.existsSync(path.join(dir, "conf", f)) ? fs.readFileSync(path.join(dir, "conf", f), "utf8") : "");
        return { status: r.status, stderr: r.stderr, nginx: read("nginx.conf"), fpm: read("php-fpm.conf") };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("image/render-config.sh: listeners, users, socket, headers", () => {
    it("renders the pod's config: every address, no user directive, a 0660 socket", () => {
        const r = render({});
        expect(r.status, r.stderr).to.equal(0);
        expect(r.nginx).to.match(/^\s*listen 8080 default_server;$/m);
        expect(r.nginx).to.not.match(/^user\b/m);
        expect(r.fpm).to.not.match(/^(user|group|listen\.owner|listen\.group)\s*=/m);
        expect(r.fpm).to.match(/^listen\.mode = 0660$/m);
        expect(r.fpm).to.not.match(/0666/);
    });

    it("renders the local fleet's: 127.0.0.1, workers and socket given to the unprivileged user", () => {
        const r = render({ WP_PLATFORM_LISTEN_ADDRESS: "127.0.0.1", WP_PLATFORM_PORT: "8099", WP_PLATFORM_RUN_AS: "nobody" });
        expect(r.status, r.stderr).to.equal(0);
        expect(r.nginx).to.match(/^\s*listen 127\.0\.0\.1:8099 default_server;$/m);
        expect(r.nginx).to.match(/^user nobody \S+;$/m);
        expect(r.fpm).to.match(/^user = nobody$/m);
        expect(r.fpm).to.match(/^listen\.owner = nobody$/m);
    });

    it("refuses root as the workers' user, and an address that is not one", () => {
        for (const [env, why] of [
            [{ WP_PLATFORM_RUN_AS: "root" }, /never run as root/],
            [{ WP_PLATFORM_LISTEN_ADDRESS: "0.0.0.0;x" }, /not an IPv4 address/],
        ] as const) {
            const r = render(env);
            expect(r.status).to.equal(1);
            expect(r.stderr).to.match(why);
        }
    });

    it("adds the security headers at server level only, each with always", () => {
        const template = fs.readFileSync(path.join(IMAGE, "nginx.conf.template"), "utf8");
        const firstLocation = /^\s*location /m.exec(template)!.index;
        const headers = [...template.matchAll(/^\s*add_header .*$/gm)];
        expect(headers.map((m) => m[0].trim().split(" ")[1])).to.deep.equal([
            "Strict-Transport-Security",
            "X-Content-Type-Options",
            "X-Frame-Options",
            "Referrer-Policy",
        ]);
        for (const m of headers) {
            expect(m.index!).to.be.below(firstLocation);
            expect(m[0]).to.match(/ always;$/);
        }
    });
});
