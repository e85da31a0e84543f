// The local fleet's S3: s3rver (tools/local/s3-server.js, the project's devDependency) on
// 127.0.0.1 with the stack's bucket, its objects in <state>/s3/data (kept across runs, gone with
// --fresh), a random key pair per state folder, and `.local/<stack>/endpoints.json` (0600) naming
// it. PHP reaches it through the SDK's standard environment (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_REGION) and WP_PLATFORM_S3_ENDPOINT (path-style), given to PHP-FPM's
// pool and the Jobs. It runs in the fleet's process tree; when the fleet is root, as nobody.
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { type Service, type Services, waitUntil } from "./processes";
import type { StackPlan } from "./program";
import { type ServerPidFile, reachableByOthers, writeEndpoints } from "./state";

export const S3_REGION = "us-east-1";

export interface S3Endpoint {
    readonly endpoint: string;
    readonly region: string;
    readonly bucket: string;
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
}

export interface LocalS3 {
    readonly service: Service;
    readonly s3: S3Endpoint;
    /** What PHP (PHP-FPM's pool, the Jobs) needs to reach it with the SDK's default chain. */
    readonly env: Readonly<Record<string, string>>;
}

const s3DirOf = (stateDir: string): string => path.join(stateDir, "s3");

export function s3PidFile(stateDir: string): ServerPidFile {
    return { name: "s3rver", pidFile: path.join(s3DirOf(stateDir), "s3rver.pid"), program: /s3-server\.js/ };
}

/** The buckets the stack's sites' settings name (WP_S3_BUCKET of each settings file the serving pod mounts). */
export function stackBuckets(plan: StackPlan): string[] {
    const buckets = new Set<string>();
    for (const pod of plan.serving) {
        for (const files of Object.values(pod.mounts)) {
            for (const content of Object.values(files)) {
                try {
                    const bucket = (JSON.parse(content) as { WP_S3_BUCKET?: unknown }).WP_S3_BUCKET;
                    if (typeof bucket === "string" && bucket) buckets.add(bucket);
                } catch {
                    // not a settings file
                }
            }
        }
    }
    return [...buckets].sort();
}

/** The state folder's key pair: made once, kept in <state>/s3/credentials.json (0600). */
export function s3Credentials(stateDir: string): { accessKeyId: string; secretAccessKey: string } {
    const file = path.join(s3DirOf(stateDir), "credentials.json");
    try {
        return JSON.parse(fs.readFileSync(file, "utf8")) as { accessKeyId: string; secretAccessKey: string };
    } catch {
        const made = {
            accessKeyId: `LOCAL${randomBytes(8).toString("hex").toUpperCase()}`,
            secretAccessKey: randomBytes(30).toString("base64url"),
        };
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        fs.writeFileSync(file, `${JSON.stringify(made)}\n`, { mode: 0o600 });
        return made;
    }
}

/** Root runs it as nobody: its folder (and only it) becomes nobody's. */
const NOBODY = 65534;
const isRoot = (): boolean => typeof process.getuid === "function" && process.getuid() === 0;

function chownTree(dir: string, uid: number, gid: number): void {
    fs.chownSync(dir, uid, gid);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) chownTree(p, uid, gid);
        else fs.lchownSync(p, uid, gid);
    }
}

/** PHP's environment for an S3 endpoint. */
export function s3Environment(s3: S3Endpoint): Record<string, string> {
    return {
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        AWS_REGION: s3.region,
        WP_PLATFORM_S3_ENDPOINT: s3.endpoint,
    };
}

/** Starts the S3 server on `port` with `buckets` and writes endpoints.json; resolves once it answers. */
export async function startS3(
    services: Services,
    options: { stateDir: string; port: number; buckets: readonly string[] },
): Promise<LocalS3> {
    const dir = s3DirOf(options.stateDir);
    const data = path.join(dir, "data");
    fs.mkdirSync(data, { recursive: true, mode: 0o700 });
    const credentials = s3Credentials(options.stateDir);
    const pidFile = s3PidFile(options.stateDir).pidFile;
    fs.rmSync(pidFile, { force: true });
    const config = path.join(dir, "config.json");
    fs.writeFileSync(
        config,
        `${JSON.stringify({ port: options.port, directory: data, buckets: options.buckets, pidFile, ...credentials }, null, 2)}\n`,
        { mode: 0o600 },
    );
    const drop = isRoot() && reachableByOthers(path.dirname(dir));
    const user = drop ? { uid: NOBODY, gid: NOBODY } : {};
    if (drop) chownTree(dir, NOBODY, NOBODY);
    const service = services.start("s3rver", process.execPath, [path.join(__dirname, "s3-server.js"), config], {
        log: path.join(dir, "s3rver.out"),
        ...user,
    });
    await waitUntil(service, "a pid file (listening)", () => fs.existsSync(pidFile), 30_000);
    const s3: S3Endpoint = {
        endpoint: `http://127.0.0.1:${options.port}`,
        region: S3_REGION,
        bucket: options.buckets[0] ?? "",
        ...credentials,
    };
    writeEndpoints(options.stateDir, { s3 });
    return { service, s3, env: s3Environment(s3) };
}
