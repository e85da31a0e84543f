// The local S3 server (s3rver) checks only that a request's access key exists, not its SigV4
// signature: here every request the image's PHP (the media plugin's client and s3:// stream
// wrapper, on the AWS SDK for PHP from image/vendor) sends is captured by a recording proxy in
// front of the local server, and its Authorization header is recomputed with AWS's own signer
// (@smithy/signature-v4). A broken signing setup (keys, region, endpoint, path style) fails here.
import { SignatureV4 } from "@smithy/signature-v4";
import { expect } from "chai";
import { spawn } from "child_process";
import { createHash, createHmac } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { Services, freePort } from "../../tools/local/processes";
import { type LocalS3, startS3 } from "../../tools/local/s3";

const ROOT = path.resolve(__dirname, "..", "..");
const PLUGIN = path.join(ROOT, "image", "wordpress", "wp-content", "mu-plugins", "wp-platform-media.php");
const BUCKET = "sig-test";

interface Captured {
    readonly method: string;
    readonly url: string;
    readonly headers: Record<string, string>;
    readonly body: Buffer;
}

type Data = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: Data): string | Buffer =>
    typeof d === "string" ? d : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d);

/** node's crypto as the signer's hash (SHA-256, HMAC when given a key). */
class Sha256 {
    private readonly hash;
    constructor(secret?: Data) {
        this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(secret));
    }
    update(data: Data): void {
        this.hash.update(bytes(data));
    }
    digest(): Promise<Uint8Array> {
        return Promise.resolve(new Uint8Array(this.hash.digest()));
    }
}

/** Forwards every request to `target` and records it as received. */
function recordingProxy(target: number, captured: Captured[]): http.Server {
    return http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const body = Buffer.concat(chunks);
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(",") : v;
            captured.push({ method: req.method ?? "", url: req.url ?? "", headers, body });
            const out = http.request({ host: "127.0.0.1", port: target, method: req.method, path: req.url, headers: req.headers }, (up) => {
                res.writeHead(up.statusCode ?? 502, up.headers);
                up.pipe(res);
            });
            out.on("error", () => res.writeHead(502).end());
            out.end(body);
        });
    });
}

/** Whether `request`'s Authorization is the SigV4 signature of its method, path, query, signed headers and payload. */
async function verify(request: Captured, secretAccessKey: string): Promise<{ ok: boolean; why?: string }> {
    const auth =
        /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
            request.headers.authorization ?? "",
        );
    if (!auth) return { ok: false, why: `no SigV4 Authorization: ${request.headers.authorization}` };
    const [, accessKeyId, , region, service, signed, signature] = auth;
    const amzDate = request.headers["x-amz-date"];
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate ?? "");
    if (!m) return { ok: false, why: `no x-amz-date` };
    const signingDate = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
    const payload = request.headers["x-amz-content-sha256"];
    if (payload !== "UNSIGNED-PAYLOAD" && !payload?.startsWith("STREAMING-")) {
        const actual = createHash("sha256").update(request.body).digest("hex");
        if (payload !== actual) return { ok: false, why: `x-amz-content-sha256 ${payload} is not the body's ${actual}` };
    }
    const signedHeaders = signed.split(";");
    const headers: Record<string, string> = {};
    for (const h of signedHeaders) headers[h] = request.headers[h] ?? "";
    const url = new URL(request.url, `http://${request.headers.host}`);
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of url.searchParams) {
        const prev = query[k];
        query[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
    }
    const signer = new SignatureV4({
        service,
        region,
        credentials: { accessKeyId, secretAccessKey },
        sha256: Sha256,
        uriEscapePath: false,
    });
    const resigned = await signer.sign(
        {
            method: request.method,
            protocol: "http:",
            hostname: url.hostname,
            port: Number(url.port),
            path: url.pathname,
            query,
            headers,
            body: request.body,
        },
        { signingDate, signableHeaders: new Set(signedHeaders) },
    );
    const again = /Signature=([0-9a-f]{64})/.exec(String(resigned.headers.authorization))?.[1];
    return again === signature ? { ok: true } : { ok: false, why: `signature ${signature}, AWS's signer says ${again}` };
}

describe("the image's S3 requests, signed (SigV4, checked with AWS's signer)", function () {
    this.timeout(60_000);
    const services = new Services();
    const captured: Captured[] = [];
    let stateDir: string;
    let s3: LocalS3;
    let proxy: http.Server;
    let php: { status: number | null; stdout: string; stderr: string };

    before(async function () {
        stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "wp-s3sig-"));
        fs.chmodSync(stateDir, 0o755); // the server runs as nobody when this runs as root
        s3 = await startS3(services, { stateDir, port: await freePort(), buckets: [BUCKET] });
        proxy = recordingProxy(Number(new URL(s3.s3.endpoint).port), captured);
        const proxyPort = await freePort();
        await new Promise<void>((resolve) => proxy.listen(proxyPort, "127.0.0.1", resolve));
        // What the plugin does for WordPress: a file written, stat'ed, listed, read, and deleted
        // through s3://, in a folder and with a name that need encoding.
        const script = `
            require getenv('PLUGIN');
            wp_platform_media_register_stream();
            $dir = 's3://${BUCKET}/sites/a/uploads/2026/12';
            mkdir($dir, 0755, true);
            $file = "$dir/ré d+1.png";
            if (file_put_contents($file, str_repeat('x', 70000)) !== 70000) exit(2);
            if (!is_file($file) || filesize($file) !== 70000) exit(3);
            if (!in_array('ré d+1.png', scandir($dir), true)) exit(4);
            if (strlen(file_get_contents($file)) !== 70000) exit(5);
            if (!unlink($file) || file_exists($file)) exit(6);
            echo 'ok';`;
        // Not spawnSync: the proxy answers in this process.
        php = await new Promise((resolve) => {
            const child = spawn("php", ["-r", script], {
                stdio: ["ignore", "pipe", "pipe"],
                env: {
                    PATH: process.env.PATH,
                    PLUGIN,
                    WP_PLATFORM_VENDOR_DIR: path.join(ROOT, "image", "vendor"),
                    ...s3.env,
                    WP_PLATFORM_S3_ENDPOINT: `http://127.0.0.1:${proxyPort}`,
                },
            });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
            child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
            child.once("close", (status) => resolve({ status, stdout, stderr }));
        });
    });

    after(async function () {
        proxy?.close();
        await services.stopAll();
        if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
    });

    it("the plugin's client writes, stats, lists, reads and deletes through the local server", function () {
        expect(php.stderr, String(php.stderr)).to.equal("");
        expect(php.stdout).to.equal("ok");
        expect(php.status).to.equal(0);
        expect(new Set(captured.map((r) => r.method))).to.include.members(["PUT", "GET", "HEAD", "DELETE"]);
    });

    it("every request carries the state folder's key and a SigV4 signature that AWS's signer computes too", async function () {
        expect(captured.length).to.be.greaterThan(4);
        for (const request of captured) {
            expect(request.headers.authorization, request.url).to.contain(`Credential=${s3.s3.accessKeyId}/`);
            expect(request.headers.authorization, request.url).to.contain(`/${s3.s3.region}/s3/aws4_request`);
            const result = await verify(request, s3.s3.secretAccessKey);
            expect(result.ok, `${request.method} ${request.url}: ${result.why}`).to.equal(true);
        }
    });

    it("a request changed after signing, or checked with another secret, fails the check", async function () {
        const put = captured.find((r) => r.method === "PUT" && r.body.length > 0)!;
        expect((await verify({ ...put, url: put.url.replace("sites/a", "sites/b") }, s3.s3.secretAccessKey)).ok).to.equal(false);
        expect((await verify({ ...put, body: Buffer.from("tampered") }, s3.s3.secretAccessKey)).ok).to.equal(false);
        expect((await verify(put, "not-the-secret")).ok).to.equal(false);
    });

    it("endpoints.json names the server and its key pair, readable by its owner only", function () {
        const file = path.join(stateDir, "endpoints.json");
        expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
        const { s3: named } = JSON.parse(fs.readFileSync(file, "utf8")) as { s3: Record<string, string> };
        expect(named).to.deep.equal({ ...s3.s3 });
        expect(Object.keys(named).sort()).to.deep.equal(["accessKeyId", "bucket", "endpoint", "region", "secretAccessKey"]);
    });
});
