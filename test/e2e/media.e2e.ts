// End to end, media (docs/local.md, "Media"): two sites of the local fleet whose uploads live in
// the local S3 server (s3rver, tools/local/s3.ts) under each site's own prefix, written through
// the image's media plugin and served by uploads.php behind nginx, with no edge. Two web servers of
// one color that share no disk (the fleet's, and a second nginx + PHP-FPM with its own state
// folder), a fleet restart, a release to the other color, the refused types, and the files cleanup
// hook (components/site-files-cleanup.ts) against the local S3 server.
import { DeleteObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cleanUpSiteFiles } from "../../components/site-files-cleanup";
import { type Fleet, startFleet } from "../../tools/local/fleet";
import { Services, freePort, freePorts } from "../../tools/local/processes";
import { readStack, withDatabaseHost } from "../../tools/local/program";
import { type Response, get, startWeb } from "../../tools/local/web";

const FIXTURES = path.join(__dirname, "fixtures", "media-sites");
const ROOT = path.resolve(__dirname, "..", "..");
const STACK = "stg";
const A = "media-a.cloud2-stg.example.com";
const B = "media-b.cloud2-stg.example.com";
const HTTPS = { "X-Forwarded-Proto": "https" };

interface Run {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

describe("media in each site's S3 prefix, end to end", function () {
    let stateDir: string;
    let fleet: Fleet;
    let s3: S3Client;
    const extra = new Services();
    let secondPort: number;
    let image: string;
    let imported: { id: string; path: string };
    let started = Date.now();

    /** `npm run wp -- --state <state> stg <site> <args>`, as package.json runs it. */
    const wp = (site: string, ...args: string[]): Promise<Run> => {
        const script = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts
            .wp;
        const [, ...scriptArgs] = script.split(" ");
        return new Promise((resolve) => {
            const child = spawn(process.execPath, [...scriptArgs, "--state", stateDir, STACK, site, ...args], {
                cwd: ROOT,
                stdio: ["ignore", "pipe", "pipe"],
            });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
            child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
            child.once("close", (code) => resolve({ code, stdout, stderr }));
        });
    };
    const keys = async (prefix: string): Promise<string[]> => {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: fleet.s3.s3.bucket, Prefix: prefix }));
        return (page.Contents ?? []).map((o) => o.Key!).sort();
    };
    const binary = (port: number, urlPath: string, host: string): Promise<Response & { bytes: Buffer }> =>
        new Promise((resolve, reject) => {
            // get() reads text; the image's bytes are compared here.
            void import("http").then((http) => {
                const req = http.request({ host: "127.0.0.1", port, path: urlPath, headers: { ...HTTPS, Host: host } }, (res) => {
                    const chunks: Buffer[] = [];
                    res.on("data", (c: Buffer) => chunks.push(c));
                    res.on("end", () => {
                        const bytes = Buffer.concat(chunks);
                        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: bytes.toString("latin1"), bytes });
                    });
                });
                req.on("error", reject);
                req.end();
            });
        });
    /** The fleet's image environment, for a web server on `port`. */
    const onPort = (port: number) => ({ ...fleet.jobs.imageEnv, local: { ...fleet.jobs.imageEnv.local, WP_PLATFORM_PORT: String(port) } });
    const startFleetHere = async (fresh: boolean): Promise<Fleet> =>
        startFleet({ stack: STACK, sitesDir: FIXTURES, port: await freePorts(2), stateDir, fresh });

    const connect = (): S3Client => {
        const { endpoint, region, accessKeyId, secretAccessKey } = fleet.s3.s3;
        return new S3Client({ endpoint, region, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
    };

    before(async function () {
        this.timeout(180_000);
        started = Date.now();
        stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "wp-media-"));
        fs.chmodSync(stateDir, 0o755);
        fleet = await startFleetHere(true);
        s3 = connect();
        // The second web server of the color: its own state folder (config, sockets, temp files).
        secondPort = await freePort();
        await startWeb(extra, {
            plan: fleet.plan,
            stateDir: path.join(stateDir, "second"),
            podsDir: path.join(stateDir, "second-pods"),
            imageEnv: onPort(secondPort),
            port: secondPort,
        });
        image = path.join(stateDir, "upload-test.png");
        const made = await new Promise<number | null>((resolve) =>
            spawn(
                "php",
                [
                    "-r",
                    `$i = imagecreatetruecolor(640, 480); imagefill($i, 0, 0, imagecolorallocate($i, 200, 30, 30)); imagepng($i, '${image}');`,
                ],
                {
                    stdio: "inherit",
                },
            ).once("close", resolve),
        );
        expect(made).to.equal(0);
        console.log(`      media fleet ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    });

    after(async function () {
        this.timeout(60_000);
        await extra.stopAll();
        await fleet?.stop();
        if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
        console.log(`      media e2e: ${((Date.now() - started) / 1000).toFixed(1)}s`);
    });

    it("wp media import puts the file and its sizes in the site's prefix, with a URL on its own host", async function () {
        const run = await wp("media-a", "media", "import", image, "--porcelain");
        expect(run.code, run.stderr).to.equal(0);
        const id = run.stdout.trim();
        expect(id).to.match(/^[0-9]+$/);
        const guid = (await wp("media-a", "post", "get", id, "--field=guid")).stdout.trim();
        expect(guid).to.match(new RegExp(`^https://${A.replace(/\./g, "\\.")}/wp-content/uploads/\\d{4}/\\d{2}/upload-test\\.png$`));
        imported = { id, path: new URL(guid).pathname };
        const folder = `sites/media-a/uploads/${imported.path.split("/").slice(3, 5).join("/")}/`;
        expect(await keys(folder)).to.include.members([
            `${folder}upload-test.png`,
            `${folder}upload-test-150x150.png`,
            `${folder}upload-test-300x225.png`,
        ]);
        // No file of A's under B's prefix (B's own folder markers, made when B renders a page, aside).
        expect((await keys("sites/media-b/")).filter((k) => !k.endsWith("/"))).to.deep.equal([]);
    });

    it("is served by the other web server of the color, which shares no disk with the first, safely", async function () {
        for (const port of [fleet.port, secondPort]) {
            const res = await binary(port, imported.path, A);
            expect(res.status, `port ${port}`).to.equal(200);
            expect(res.bytes.equals(fs.readFileSync(image))).to.equal(true);
            expect(res.headers["content-type"]).to.equal("image/png");
            expect(res.headers["x-content-type-options"]).to.equal("nosniff");
            expect(res.headers["content-disposition"]).to.equal(undefined);
        }
        expect((await binary(secondPort, imported.path.replace(".png", "-150x150.png"), A)).status).to.equal(200);
    });

    it("is 404 under another site's host, under an unknown host, and for a path that climbs out", async function () {
        expect((await get(secondPort, imported.path, B, HTTPS)).status).to.equal(404);
        expect((await get(secondPort, imported.path, "nobody.example.com", HTTPS)).status).to.equal(404);
        const [, , , year, month, file] = imported.path.split("/");
        for (const sneaky of [
            `/wp-content/uploads/%2e%2e/%2e%2e/sites/media-a/uploads/${year}/${month}/${file}`,
            `/wp-content/uploads/${year}%2f${month}%2f${file}`,
            `/wp-content/uploads/${year}/${month}/${file}%00.txt`,
        ]) {
            // nginx itself answers 400 to a NUL; either way nothing is served.
            expect((await get(secondPort, sneaky, B, HTTPS)).status, sneaky).to.be.oneOf([400, 404]);
            expect((await get(secondPort, sneaky, A, HTTPS)).status, sneaky).to.be.oneOf([400, 404]);
        }
        expect((await get(secondPort, "/wp-content/uploads/2001/01/none.png", A, HTTPS)).status).to.equal(404);
    });

    it("refuses .html, .js and .svg uploads, and serves anything else that is not media as a download", async function () {
        for (const [name, content] of [
            ["page.html", "<script>alert(1)</script>"],
            ["code.js", "alert(1)"],
            ["logo.svg", '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'],
        ]) {
            const file = path.join(stateDir, name);
            fs.writeFileSync(file, content);
            const run = await wp("media-a", "media", "import", file);
            expect(run.code, name).to.equal(1);
            expect(run.stderr).to.contain("not allowed to upload this file type");
        }
        expect((await keys("sites/media-a/")).filter((k) => /\.(html|js|svg)$/.test(k))).to.deep.equal([]);
        const notes = path.join(stateDir, "notes.txt");
        fs.writeFileSync(notes, "plain notes\n");
        const run = await wp("media-a", "media", "import", notes, "--porcelain");
        expect(run.code, run.stderr).to.equal(0);
        const guid = (await wp("media-a", "post", "get", run.stdout.trim(), "--field=guid")).stdout.trim();
        const res = await get(secondPort, new URL(guid).pathname, A, HTTPS);
        expect(res.status).to.equal(200);
        expect(res.headers["content-type"]).to.equal("application/octet-stream");
        expect(res.headers["content-disposition"]).to.equal('attachment; filename="notes.txt"');
        expect(res.headers["x-content-type-options"]).to.equal("nosniff");
    });

    it("wp media regenerate makes a lost size again; deleting an attachment deletes it and its sizes", async function () {
        const thumb = `sites/media-a${imported.path.slice("/wp-content".length).replace(".png", "-150x150.png")}`;
        await s3.send(new DeleteObjectCommand({ Bucket: fleet.s3.s3.bucket, Key: thumb }));
        const regen = await wp("media-a", "media", "regenerate", imported.id, "--yes");
        expect(regen.code, regen.stderr).to.equal(0);
        expect(regen.stdout).to.contain("Regenerated 1 of 1 images.");
        expect(await keys(thumb)).to.deep.equal([thumb]);

        const again = await wp("media-a", "media", "import", image, "--porcelain");
        expect(again.code, again.stderr).to.equal(0);
        const guid = (await wp("media-a", "post", "get", again.stdout.trim(), "--field=guid")).stdout.trim();
        const base = `sites/media-a${new URL(guid).pathname.slice("/wp-content".length).replace(/\.png$/, "")}`;
        const its = [`${base}.png`, `${base}-150x150.png`, `${base}-300x225.png`];
        const folder = base.slice(0, base.lastIndexOf("/") + 1);
        expect(await keys(folder)).to.include.members(its);
        const deleted = await wp("media-a", "post", "delete", again.stdout.trim(), "--force");
        expect(deleted.code, deleted.stderr).to.equal(0);
        const left = await keys(folder);
        expect(left.filter((k) => its.includes(k))).to.deep.equal([]);
        // The first attachment, whose name the second one's begins with, keeps its files.
        expect(left).to.include.members([`sites/media-a${imported.path.slice("/wp-content".length)}`, thumb]);
        expect((await get(fleet.port, new URL(guid).pathname, A, HTTPS)).status).to.equal(404);
    });

    it("survives a fleet restart", async function () {
        this.timeout(180_000);
        await extra.stopAll();
        await fleet.stop();
        fleet = await startFleetHere(false);
        s3 = connect(); // a new port for the same data
        const res = await binary(fleet.port, imported.path, A);
        expect(res.status).to.equal(200);
        expect(res.bytes.equals(fs.readFileSync(image))).to.equal(true);
    });

    it("is served by the other color after a release moves the site there", async function () {
        this.timeout(60_000);
        const sites = path.join(stateDir, "released-sites");
        fs.mkdirSync(sites);
        for (const f of fs.readdirSync(FIXTURES)) fs.copyFileSync(path.join(FIXTURES, f), path.join(sites, f));
        const active = fleet.plan.serving.find((p) => p.env.WP_PLATFORM_COLOR)?.env.WP_PLATFORM_COLOR;
        const colors = fleet.plan.serving.map((p) => p.env.WP_PLATFORM_COLOR);
        const other = colors.find((c) => c !== active);
        expect(other, `colors ${colors.join(", ")}`).to.be.a("string");
        fs.appendFileSync(path.join(sites, "media-a.yaml"), `service: ${other}\n`);
        const plan = withDatabaseHost(await readStack(STACK, { sitesDir: sites }), `127.0.0.1:${fleet.db.port}`);
        const pod = plan.serving.find((p) => p.env.WP_PLATFORM_COLOR === other)!;
        const port = await freePort();
        await startWeb(extra, {
            plan: { ...plan, serving: [pod] },
            stateDir: path.join(stateDir, "other-color"),
            podsDir: path.join(stateDir, "other-color-pods"),
            imageEnv: onPort(port),
            port,
        });
        const res = await binary(port, imported.path, A);
        expect(res.status).to.equal(200);
        expect(res.bytes.equals(fs.readFileSync(image))).to.equal(true);
        expect((await get(port, imported.path, B, HTTPS)).status).to.equal(404);
        await extra.stopAll();
    });

    it("a removed site's prefix goes through the cleanup hook's code with retainDataOnDelete false, and stays with true", async function () {
        const run = await wp("media-b", "media", "import", image, "--porcelain");
        expect(run.code, run.stderr).to.equal(0);
        const bucket = fleet.s3.s3.bucket;
        const hook = (retain: boolean) => cleanUpSiteFiles(retain, () => s3);
        const args = (site: string, retainData: boolean) =>
            ({
                name: site,
                type: "wp-platform:index:Site",
                urn: "",
                id: "",
                oldInputs: { files: `s3://${bucket}/sites/${site}/`, retainData },
                newInputs: {},
            }) as unknown as Parameters<ReturnType<typeof cleanUpSiteFiles>>[0];
        const beforeA = await keys("sites/media-a/");
        await hook(true)(args("media-a", false));
        expect(await keys("sites/media-a/")).to.deep.equal(beforeA);
        await hook(false)(args("media-a", true));
        expect(await keys("sites/media-a/")).to.deep.equal(beforeA);

        expect((await keys("sites/media-b/")).length).to.be.greaterThan(2);
        await hook(false)(args("media-b", false));
        expect(await keys("sites/media-b/")).to.deep.equal([]);
        expect(await keys("sites/media-a/")).to.deep.equal(beforeA);
        expect((await get(fleet.port, imported.path, A, HTTPS)).status).to.equal(200);
    });
});
