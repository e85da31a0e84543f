// End to end, the hardening of the image and of the local fleet (docs/image.md, "Hardening";
// docs/local.md): a pod serves only its color's hosts, visitors learn nothing they do not need, and
// the fleet binds loopback, runs PHP unprivileged and keeps its secrets random. A fleet of its own,
// so that nothing here depends on the order of fleet.e2e.ts.
import { expect } from "chai";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { type Fleet, startFleet } from "../../tools/local/fleet";
import { freePort } from "../../tools/local/processes";
import { get } from "../../tools/local/web";

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

describe("hardening, end to end", function () {
    let fleet: Fleet;
    let stateDir: string;
    /** The site index the serving pods mount. */
    let hosts: Record<string, { site: string; color: string; preview?: boolean }>;

    before(async function () {
        stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "wp-e2e-hardening-"));
        fs.chmodSync(stateDir, 0o755);
        fleet = await startFleet({ stack: STACK, sitesDir: FIXTURES, port: await freePort(), stateDir, fresh: true });
        const index = Object.values(fleet.plan.serving[0].mounts).find((files) => "sites.json" in files)!["sites.json"];
        hosts = (JSON.parse(index) as { hosts: typeof hosts }).hosts;
    });

    after(async function () {
        await fleet?.stop();
        if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
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
});
