// The local object cache: Debian's redis-server on 127.0.0.1 standing in for ElastiCache, as the
// cloud's: TLS only (`port 0`: no plain TCP; a CA and server certificate of its own, made with
// openssl at each start) and AUTH with a password (random per state folder, kept in
// <state>/redis/password, 0600). It holds nothing on disk (no RDB, no AOF). Run as root, it runs
// as the unprivileged user `redis` (Debian's package makes it; else `nobody`), which alone reads
// its config (the password) and key.
import { spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { type Certificates, makeCertificates } from "./certs";
import { findProgram } from "./mariadb";
import { type Service, type Services, waitUntil } from "./processes";
import { type StackPlan, withSettings } from "./program";
import { type ServerPidFile, reachableByOthers, writeEndpoints } from "./state";

export interface Redis {
    readonly host: string;
    readonly port: number;
    readonly password: string;
    readonly certs: Certificates;
    readonly service: Service;
    /** Runs redis-cli over TLS (verified against the CA) with the password; never throws. */
    cli(args: readonly string[], options?: { password?: string; noTls?: boolean }): { ok: boolean; output: string };
}

const redisDirOf = (stateDir: string): string => path.join(stateDir, "redis");

/** Redis's pid file; its process title names its config file, in the state folder. */
export function redisPidFile(stateDir: string): ServerPidFile {
    return { name: "Redis", pidFile: path.join(redisDirOf(stateDir), "redis.pid"), program: /\bredis-server\b/ };
}

const isRoot = (): boolean => typeof process.getuid === "function" && process.getuid() === 0;

/** The uid and gid to run Redis as when root: `redis`, else `nobody`. */
function unprivilegedUser(): { uid: number; gid: number } {
    for (const name of ["redis", "nobody"]) {
        const uid = spawnSync("id", ["-u", name], { encoding: "utf8" });
        const gid = spawnSync("id", ["-g", name], { encoding: "utf8" });
        if (uid.status === 0 && gid.status === 0) return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
    }
    throw new Error("running as root, and there is no user redis or nobody to run Redis as");
}

/** The state folder's Redis password: made once, kept 0600. */
function password(dir: string): string {
    const file = path.join(dir, "password");
    try {
        const kept = fs.readFileSync(file, "utf8").trim();
        if (/^[A-Za-z0-9]{32,}$/.test(kept)) return kept;
    } catch {
        // none yet
    }
    const made = randomBytes(24).toString("hex");
    fs.writeFileSync(file, `${made}\n`, { mode: 0o600 });
    return made;
}

/** Starts redis-server on `port` (TLS only, AUTH) and waits until it answers PING over TLS. */
export async function startRedis(services: Services, options: { stateDir: string; port: number }): Promise<Redis> {
    const dir = redisDirOf(options.stateDir);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    const server = findProgram(["redis-server"], "Redis (redis-server)");
    const client = findProgram(["redis-cli"], "the Redis client (redis-cli)");
    // Beside MariaDB's certificates, outside the folder only Redis enters: PHP reads the CA.
    const certs = makeCertificates(path.join(options.stateDir, "certs", "cache"), "wp-platform local cache CA");
    const secret = password(dir);
    const pid = redisPidFile(options.stateDir);
    fs.rmSync(pid.pidFile, { force: true });
    const conf = path.join(dir, "redis.conf");
    const lines = [
        "bind 127.0.0.1",
        "protected-mode yes",
        "port 0",
        `tls-port ${options.port}`,
        `tls-cert-file ${certs.cert}`,
        `tls-key-file ${certs.key}`,
        `tls-ca-cert-file ${certs.ca}`,
        "tls-auth-clients no",
        `requirepass ${secret}`,
        'save ""',
        "appendonly no",
        `dir ${dir}`,
        `pidfile ${pid.pidFile}`,
        'logfile ""',
        "daemonize no",
        'proc-title-template "{title} {listen-addr} {config-file}"',
    ];
    fs.writeFileSync(conf, `${lines.join("\n")}\n`, { mode: 0o600 });
    let user: { uid: number; gid: number } | undefined;
    if (isRoot() && reachableByOthers(path.dirname(dir))) {
        user = unprivilegedUser();
        for (const f of [dir, conf, certs.key, certs.cert, certs.ca]) fs.chownSync(f, user.uid, user.gid);
    }
    fs.chmodSync(certs.key, 0o600);
    const service = services.start("Redis", server, [conf], { log: path.join(dir, "redis.log"), ...user });
    const redis: Redis = {
        host: "127.0.0.1",
        port: options.port,
        password: secret,
        certs,
        service,
        cli(args, opts = {}) {
            const tls = opts.noTls ? [] : ["--tls", "--cacert", certs.ca];
            // The password in the environment of this one client process, not on its command line.
            const r = spawnSync(client, ["-h", "127.0.0.1", "-p", String(options.port), ...tls, "--no-auth-warning", ...args], {
                encoding: "utf8",
                env: { ...process.env, REDISCLI_AUTH: opts.password ?? secret },
                timeout: 10_000,
            });
            const output = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim();
            return { ok: r.status === 0 && !/^(ERR|NOAUTH|WRONGPASS|Error|Could not)/m.test(output), output };
        },
    };
    await waitUntil(service, "an answer to PING over TLS", () => redis.cli(["PING"]).output === "PONG", 30_000);
    return redis;
}

/** Whether anything accepts a TCP connection on 127.0.0.1:`port` and answers a plain-text PING. */
export function plainPing(port: number): Promise<string> {
    return new Promise((resolve) => {
        const socket = net.connect(port, "127.0.0.1");
        let answer = "";
        const done = (why: string) => {
            socket.destroy();
            resolve(answer || why);
        };
        socket.setTimeout(2_000, () => done("timeout"));
        socket.on("connect", () => socket.write("PING\r\n"));
        socket.on("data", (d: Buffer) => (answer += d.toString("latin1")));
        socket.on("error", (e) => done(`error: ${e.message}`));
        socket.on("close", () => done("closed"));
    });
}

/** Where the sites' settings say the cache is, replaced by the local Redis. */
export interface CacheEndpoint {
    readonly host: string;
    readonly port: number;
    readonly password: string;
}

/**
 * The plan with each settings file that names the program's cache host (the mocked ElastiCache
 * endpoint) pointed at `local`: WP_REDIS_HOST, WP_REDIS_PORT and WP_REDIS_PASSWORD; the prefix stays.
 */
export function withCacheEndpoint(plan: StackPlan, cacheHost: string | undefined, local: CacheEndpoint): StackPlan {
    if (cacheHost === undefined) return plan;
    const values: Record<string, string> = {
        WP_REDIS_HOST: local.host,
        WP_REDIS_PORT: String(local.port),
        WP_REDIS_PASSWORD: local.password,
    };
    return withSettings(plan, (settings) => (settings.WP_REDIS_HOST === cacheHost ? { ...settings, ...values } : undefined));
}

/** Adds the cache to `<state>/endpoints.json` (0600: it holds the password), keeping what else it holds. */
export function writeCacheEndpoint(stateDir: string, redis: Redis): void {
    writeEndpoints(stateDir, { cache: { host: redis.host, port: redis.port, tls: true, ca: redis.certs.ca, password: redis.password } });
}
