// The local image: WordPress core with the image's files laid out by image/assemble.sh, the
// image's environment pointed at local paths, and PHP-FPM plus nginx rendered from the image's
// templates, serving the Deployment's mounted files (the site index and the stack's settings).
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../offline";
import { findProgram } from "./mariadb";
import { type ImageEnv, materialize } from "./pods";
import { type Service, type Services, waitUntil } from "./processes";
import type { Pod, StackPlan } from "./program";
import type { ServerPidFile } from "./state";

export const IMAGE_DIR = path.join(ROOT, "image");
/** The image's commands (`wp`: WP-CLI from the image's lock), first on the Jobs' PATH as in the image. */
export const IMAGE_BIN = path.join(IMAGE_DIR, "bin");

/**
 * Installs the image's PHP packages (WP-CLI) into image/vendor from image/composer.lock, exactly as
 * the Dockerfile does; a no-op when vendor already matches the lock. Throws with Composer's last
 * line when it fails (no Composer, or the registry unreachable for a package not in its cache).
 */
export function installImageVendor(): void {
    const result = spawnSync(
        "composer",
        ["install", "--no-dev", "--no-interaction", "--no-progress", "--classmap-authoritative", "--working-dir", IMAGE_DIR],
        { encoding: "utf8", env: { ...process.env, COMPOSER_ALLOW_SUPERUSER: "1", COMPOSER_NO_AUDIT: "1" } },
    );
    if (result.status !== 0) {
        const why = (result.stderr || String(result.error)).trim().split("\n").filter(Boolean).pop();
        throw new Error(`composer install in image/ (the image's WP-CLI, from composer.lock) failed: ${why}`);
    }
    // Some packages' archives hold files of mode 0600: the workers' user must read every one.
    readableByAll(path.join(IMAGE_DIR, "vendor"));
}

/** `chmod -R a+rX`: every file readable, every folder enterable, by anyone. */
export function readableByAll(dir: string): void {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        if (entry.isSymbolicLink()) continue;
        const mode = fs.statSync(p).mode;
        if (entry.isDirectory()) {
            fs.chmodSync(p, mode | 0o555);
            readableByAll(p);
        } else fs.chmodSync(p, mode | 0o444 | (mode & 0o100 ? 0o111 : 0));
    }
}

/** The image's WP-CLI and its vendor folder, where the workers' user reads them (web.ts, imageFiles). */
export interface ImageFiles {
    /** The folder of the image's `wp`. */
    readonly bin: string;
    /** The image's Composer vendor folder (WP-CLI, the AWS SDK). */
    readonly vendor: string;
}

/**
 * The image's WP-CLI files in the checkout, or, when the fleet's workers cannot reach the checkout
 * (as root, a runtime folder: docs/local.md), a copy of them in `runtime`/image, made at each start.
 */
export function imageFiles(runtime?: string): ImageFiles {
    if (runtime === undefined) return { bin: IMAGE_BIN, vendor: path.join(IMAGE_DIR, "vendor") };
    const dest = path.join(runtime, "image");
    fs.rmSync(dest, { recursive: true, force: true });
    fs.mkdirSync(dest, { recursive: true, mode: 0o755 });
    for (const part of ["bin", "wp-cli", "wp-cli.yml", "vendor"])
        fs.cpSync(path.join(IMAGE_DIR, part), path.join(dest, part), { recursive: true });
    readableByAll(dest);
    return { bin: path.join(dest, "bin"), vendor: path.join(dest, "vendor") };
}

/** Where Debian's packages (and the macOS steps of docs/local.md) put WordPress core and its themes. */
export const WORDPRESS_CORE = process.env.WP_PLATFORM_LOCAL_WORDPRESS ?? "/usr/share/wordpress";
export const THEMES_SOURCE = path.join(WORDPRESS_CORE, "wp-content", "themes");

/** Lays out a docroot in `dest` (replacing it) with image/assemble.sh; `excludeThemes` makes a release lacking them. */
export function assembleDocroot(dest: string, excludeThemes: readonly string[] = []): string {
    fs.rmSync(dest, { recursive: true, force: true });
    const args = [
        path.join(IMAGE_DIR, "assemble.sh"),
        WORDPRESS_CORE,
        THEMES_SOURCE,
        dest,
        ...excludeThemes.flatMap((t) => ["--exclude-theme", t]),
    ];
    const result = spawnSync("sh", args, { encoding: "utf8" });
    if (result.status !== 0) {
        throw new Error(`image/assemble.sh failed: ${(result.stderr || String(result.error)).trim().split("\n").pop()}`);
    }
    return dest;
}

/**
 * The image's environment: its Dockerfile's ENV (the settings folder and the site index, which
 * pods.ts moves under the pod's mounts) as defaults, and this machine's docroot, CA bundle and port.
 */
export function imageEnvironment(local: {
    docroot: string;
    ca: string;
    port: number;
    cacheCa?: string;
    extra?: Readonly<Record<string, string>>;
    /** Where the workers read the image's vendor folder (imageFiles); default image/vendor. */
    vendorDir?: string;
}): ImageEnv {
    const dockerfile = fs.readFileSync(path.join(IMAGE_DIR, "Dockerfile"), "utf8").replace(/\\\n/g, " ");
    const defaults: Record<string, string> = {};
    for (const line of dockerfile.split("\n").filter((l) => /^ENV\s/.test(l))) {
        for (const m of line.matchAll(/(WP_PLATFORM_[A-Z_]+)=(\S+)/g)) defaults[m[1]] = m[2];
    }
    if (!defaults.WP_PLATFORM_SETTINGS_DIR)
        throw new Error("image/Dockerfile sets no ENV WP_PLATFORM_SETTINGS_DIR: cannot tell the image's defaults");
    return {
        defaults,
        local: {
            WP_PLATFORM_WORDPRESS_DIR: local.docroot,
            WP_PLATFORM_DB_CA: local.ca,
            WP_PLATFORM_PORT: String(local.port),
            ...(local.cacheCa ? { WP_PLATFORM_CACHE_CA: local.cacheCa } : {}),
            // The SDK for the media plugin (uploads.php, mu-plugins): image/vendor, from the same lock.
            WP_PLATFORM_VENDOR_DIR: local.vendorDir ?? path.join(IMAGE_DIR, "vendor"),
            // No edge here: the cache flush has no CloudFront tenant to invalidate.
            WP_PLATFORM_EDGE_TENANT_ID: "",
            // The local S3 server (s3.ts), through the SDK's standard environment.
            ...local.extra,
        },
    };
}

export interface Web {
    readonly services: readonly Service[];
    /** The serving pod's files and environment (site index, settings) on this machine. */
    readonly root: string;
}

export interface WebOptions {
    readonly plan: StackPlan;
    readonly stateDir: string;
    readonly podsDir: string;
    readonly imageEnv: ImageEnv;
    readonly port: number;
    /** The Deployment this web server stands for (default: the first the program registers). */
    readonly pod?: Pod;
    /** Where the workers' socket and temp files go when not in the state folder (`runtimeDirOf`). */
    readonly runtimeDir?: string;
}

/**
 * The folder for what nginx's and PHP-FPM's workers must reach (docroot, the pods' files, the CA,
 * sockets, temp files): the state folder itself, except as root, whose workers run as another user
 * that may not traverse the checkout (a checkout in /root, or any 0700 folder): then
 * <tmp>/wp-platform-0-<hash of the state folder>, created 0711 (enterable, not listable) and
 * refused if someone else made it first.
 */
export function runtimeDirOf(stateDir: string): string {
    if (!isRoot()) return stateDir;
    const hash = crypto.createHash("sha256").update(path.resolve(stateDir)).digest("hex").slice(0, 16);
    return path.join(os.tmpdir(), `wp-platform-0-${hash}`);
}

/** Creates the runtime folder (0711, root's); throws if it exists and is not root's own folder. */
export function makeRuntimeDir(dir: string): void {
    fs.mkdirSync(dir, { recursive: true, mode: 0o711 });
    const stat = fs.lstatSync(dir);
    if (!stat.isDirectory() || stat.uid !== process.getuid?.())
        throw new Error(`${dir} is not a folder of this user's own: remove it (someone else made it) and start again`);
    fs.chmodSync(dir, 0o711);
}

/** The web servers' state in the state folder: one folder per Deployment (config, sockets, pid files, logs). */
const webDirOf = (stateDir: string, pod: string): string => path.join(stateDir, "web", pod);

/**
 * nginx's and PHP-FPM's pid files of every web server in the state folder (render-config.sh puts
 * them in <state>/web/<pod>/run), nginx first: the order to stop them in. Both rewrite their
 * process titles but keep the config file's path there.
 */
export function webPidFiles(stateDir: string): ServerPidFile[] {
    const web = path.join(stateDir, "web");
    let pods: string[] = [];
    try {
        pods = fs.readdirSync(web).sort();
    } catch {
        // no web server yet
    }
    return pods.flatMap((pod) => {
        const run = path.join(web, pod, "run");
        return [
            { name: "nginx", pidFile: path.join(run, "nginx.pid"), program: /\bnginx\b/ },
            { name: "php-fpm", pidFile: path.join(run, "php-fpm.pid"), program: /\bphp-fpm/ },
        ];
    });
}

/** Starts PHP-FPM and nginx for the stack's serving pod, configured by the image's render-config.sh, and waits until /healthz answers. */
export async function startWeb(services: Services, options: WebOptions): Promise<Web> {
    const pod = options.pod ?? options.plan.serving[0];
    if (!pod) throw new Error("the program registers no Deployment: nothing to serve");
    // Traversable (not listable) by the workers' user; each pod's and Job's own folder is 0700.
    fs.mkdirSync(options.podsDir, { recursive: true });
    fs.chmodSync(options.podsDir, 0o711);
    const local = materialize(pod, path.join(options.podsDir, pod.name), options.imageEnv);
    const webDir = webDirOf(options.stateDir, pod.name);
    const confDir = path.join(webDir, "conf");
    fs.rmSync(path.join(webDir, "run"), { recursive: true, force: true });
    const env: Record<string, string> = {
        ...local.env,
        WP_PLATFORM_PORT: String(options.port),
        WP_PLATFORM_STATE_DIR: webDir,
        WP_PLATFORM_LOG: "files",
        // Loopback only: a pod listens on its own address, a workstation on nobody's network.
        WP_PLATFORM_LISTEN_ADDRESS: "127.0.0.1",
        WP_PLATFORM_NGINX_WORKERS: "2",
        WP_PLATFORM_FPM_MAX_CHILDREN: "4",
    };
    // As root (CI), the workers run as an unprivileged user, as a pod's run as uid 33; they read the
    // pod's mounted files as the pod's user does (the kubelet gives them the pod's fsGroup).
    if (isRoot()) {
        const user = unprivilegedUser();
        env.WP_PLATFORM_RUN_AS = user.name;
        chownTree(local.root, user.uid, user.gid);
    }
    // A Unix socket path is limited to about 100 bytes: a deep state folder gets one in the temp folder.
    const socket = path.join(webDir, "run", "php-fpm.sock");
    if (options.runtimeDir && options.runtimeDir !== options.stateDir) {
        // Socket and temp files where the workers may go; conf, pid files and logs stay in the state folder.
        const workDir = path.join(options.runtimeDir, "web", pod.name);
        fs.rmSync(workDir, { recursive: true, force: true });
        fs.mkdirSync(workDir, { recursive: true });
        fs.chmodSync(path.join(options.runtimeDir, "web"), 0o711);
        fs.chmodSync(workDir, 0o711);
        env.WP_PLATFORM_FPM_SOCKET = path.join(workDir, "php-fpm.sock");
        env.WP_PLATFORM_TEMP_DIR = path.join(workDir, "tmp");
    } else if (Buffer.byteLength(socket) > 100)
        env.WP_PLATFORM_FPM_SOCKET = path.join(os.tmpdir(), `wp-platform-fpm-${process.pid}-${options.port}.sock`);
    const rendered = spawnSync("sh", [path.join(IMAGE_DIR, "render-config.sh"), confDir], {
        env: { ...process.env, ...env },
        encoding: "utf8",
    });
    if (rendered.status !== 0)
        throw new Error(`image/render-config.sh failed: ${(rendered.stderr || String(rendered.error)).trim().split("\n").pop()}`);

    const fpmBin = findProgram(["php-fpm8.2", "php-fpm"], "PHP-FPM (php-fpm)");
    const nginxBin = findProgram(["nginx"], "nginx");
    const logDir = path.join(webDir, "log");
    const root = isRoot() ? ["--allow-to-run-as-root"] : [];
    // The pool passes on only the variables php-fpm.conf names (media: AWS_*, WP_PLATFORM_S3_ENDPOINT).
    const fpm = services.start("php-fpm", fpmBin, ["--nodaemonize", "--fpm-config", path.join(confDir, "php-fpm.conf"), ...root], {
        log: path.join(logDir, "php-fpm.out"),
        env: { ...process.env, ...env },
    });
    const nginx = services.start("nginx", nginxBin, ["-e", path.join(logDir, "nginx-error.log"), "-c", path.join(confDir, "nginx.conf")], {
        log: path.join(logDir, "nginx.out"),
    });
    const healthy = async () => (await get(options.port, "/healthz", "localhost").catch(() => undefined))?.status === 200;
    await waitUntil(fpm, "a socket", () => fs.existsSync(env.WP_PLATFORM_FPM_SOCKET ?? socket), 30_000);
    await waitUntil(nginx, "an answer on /healthz", healthy, 30_000);
    return { services: [fpm, nginx], root: local.root };
}

const isRoot = (): boolean => typeof process.getuid === "function" && process.getuid() === 0;

/** The user root's servers hand their workers to: www-data (the pods' uid 33) where it exists, else nobody. */
function unprivilegedUser(): { name: string; uid: number; gid: number } {
    for (const name of ["www-data", "nobody"]) {
        const id = spawnSync("id", [name], { encoding: "utf8" });
        const m = /uid=(\d+).*?gid=(\d+)/.exec(id.stdout);
        if (id.status === 0 && m && m[1] !== "0") return { name, uid: Number(m[1]), gid: Number(m[2]) };
    }
    throw new Error("no unprivileged user (www-data or nobody) for PHP-FPM's and nginx's workers: PHP never runs as root");
}

function chownTree(dir: string, uid: number, gid: number): void {
    fs.chownSync(dir, uid, gid);
    for (const entry of fs.readdirSync(dir, { recursive: true }) as string[]) fs.chownSync(path.join(dir, entry), uid, gid);
}

export interface Response {
    readonly status: number;
    readonly headers: http.IncomingHttpHeaders;
    readonly body: string;
}

/** One HTTP request to the local server with `host` as the Host header (and any other headers). */
export function get(port: number, urlPath: string, host: string, headers: Record<string, string> = {}): Promise<Response> {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, path: urlPath, method: "GET", headers: { ...headers, Host: host } }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (d: string) => (body += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        });
        req.setTimeout(30_000, () => req.destroy(new Error(`GET ${urlPath} (Host ${host}): no answer in 30s`)));
        req.on("error", reject);
        req.end();
    });
}
