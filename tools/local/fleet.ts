// The whole local fleet, start to ready: the program's plan, certificates, MariaDB with each site's
// database, user and grant, the local image's docroot, PHP-FPM and nginx serving the Deployment's
// files, then every site's Jobs. Used by `npm run local` (tools/local.ts) and the e2e test.
import * as fs from "fs";
import * as path from "path";
import { type Certificates, makeCertificates } from "./certs";
import { type CronOptions, type CronRunner, startCronRunners } from "./cron";
import { type JobContext, runSiteJobs } from "./jobs";
import { type MariaDB, mariadbPidFile, startMariaDB } from "./mariadb";
import { Services, checkPortFree, freePort } from "./processes";
import { type Pod, type StackPlan, readStack, withDatabaseHost } from "./program";
import { SITE_INDEX_FILE } from "../../src/naming";
import { compareText } from "../../src/text";
import { provisionSites } from "./provision";
import { type Redis, redisPidFile, startRedis, withCacheEndpoint, writeCacheEndpoint } from "./redis";
import { type LocalS3, s3PidFile, stackBuckets, startS3 } from "./s3";
import { localMocks, readSecretsKey, saveSecretsKey } from "./secrets";
import { LOCK_FILE, type ServerPidFile, lockState, stopLeftovers, writeEndpoints } from "./state";
import {
    type Web,
    assembleDocroot,
    imageEnvironment,
    imageFiles,
    installImageVendor,
    makeRuntimeDir,
    runtimeDirOf,
    startWeb,
    webPidFiles,
} from "./web";
import { writeWpCliState } from "./wp-cli";
import { ROOT } from "../offline";

export interface FleetOptions {
    readonly stack: string;
    /** Folder of site files (default: the stack's sitesDir). */
    readonly sitesDir?: string;
    /** Port the first color's nginx listens on (127.0.0.1); the next color's is the next port. */
    readonly port?: number;
    /** State folder (default .local/<stack>): MariaDB's data, certificates, docroot, pods' files. */
    readonly stateDir?: string;
    /** Start over: delete the state folder first. */
    readonly fresh?: boolean;
    /** Stop after the MySQL objects and the web server, without running the Jobs (tests run them). */
    readonly skipJobs?: boolean;
    /** The cron runners' interval and per-site limit; false: start no cron runner (tests that run events themselves). */
    readonly cron?: CronOptions | false;
    /** Where started processes are tracked (default: a new one): a caller that stops on a signal passes its own. */
    readonly services?: Services;
    /** Reports progress, one line at a time. */
    readonly log?: (line: string) => void;
}

/** One color's web server: its Deployment's pod on this machine, with that pod's WP_PLATFORM_COLOR. */
export interface ColorWeb {
    readonly color: string;
    /** Its Deployment's name. */
    readonly pod: string;
    readonly port: number;
    readonly url: string;
    readonly web: Web;
}

export interface Fleet {
    /** The first color's web server (blue's): `webs[0]`. */
    readonly url: string;
    readonly port: number;
    /** One web server per color (per Deployment), by color. */
    readonly webs: readonly ColorWeb[];
    /** The port of the web server that serves `host` (its color in the site index); the first for an unknown host. */
    portOf(host: string): number;
    readonly stateDir: string;
    /** The plan with the local database host: what the Jobs and pods got. */
    readonly plan: StackPlan;
    readonly certs: Certificates;
    readonly db: MariaDB;
    /** The object cache (Redis, TLS and AUTH required). */
    readonly cache: Redis;
    readonly web: Web;
    /** The local S3 server holding the sites' uploads (endpoints.json names it). */
    readonly s3: LocalS3;
    readonly services: Services;
    /** How Jobs run here: the e2e test runs them again with this. */
    readonly jobs: JobContext;
    /** The cron runners started (one per color that serves a site), after the Jobs. */
    readonly cron: readonly CronRunner[];
    /** Stops every process this fleet started. */
    stop(): Promise<void>;
}

export const DEFAULT_PORT = 8080;

export function defaultStateDir(stack: string): string {
    return path.join(ROOT, ".local", stack);
}

const MYSQL_STATE = "mysql-state.json";

/** A Deployment's color: its WP_PLATFORM_COLOR, as its pods get it. */
function colorOf(pod: Pod): string {
    const color = pod.env.WP_PLATFORM_COLOR;
    if (!color) throw new Error(`${pod.name} sets no WP_PLATFORM_COLOR: cannot tell which hosts it serves`);
    return color;
}

/** Host -> the color that serves it, from the site index the serving pods mount. */
function indexColors(plan: StackPlan): Record<string, string> {
    const index = plan.serving.flatMap((pod) => Object.values(pod.mounts)).find((files) => SITE_INDEX_FILE in files)?.[SITE_INDEX_FILE];
    if (index === undefined) return {};
    const hosts = (JSON.parse(index) as { hosts: Record<string, { color: string }> }).hosts;
    return Object.fromEntries(Object.entries(hosts).map(([host, entry]) => [host, entry.color]));
}

/** The servers a fleet starts in `stateDir`, by their pid files, in the order to stop them. */
export function serverPidFiles(stateDir: string): ServerPidFile[] {
    return [...webPidFiles(stateDir), s3PidFile(stateDir), redisPidFile(stateDir), mariadbPidFile(stateDir)];
}

/** `dir` for a message: relative to the working folder when inside it. */
function shown(dir: string): string {
    const relative = path.relative(process.cwd(), dir);
    return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : dir;
}

/** Empties the state folder but for its lock (this run's); returns one line saying what it deleted. */
export function freshStart(stateDir: string): string {
    const entries = fs
        .readdirSync(stateDir)
        .filter((e) => e !== LOCK_FILE)
        .sort();
    if (entries.length === 0) return `--fresh: ${shown(stateDir)}/ held nothing yet`;
    let sites: string[] = [];
    try {
        const applied = JSON.parse(fs.readFileSync(path.join(stateDir, MYSQL_STATE), "utf8")) as Record<string, string>;
        sites = Object.keys(applied)
            .filter((k) => k.endsWith("/database"))
            .map((k) => k.slice(0, -"/database".length));
    } catch {
        // no record of databases: a folder that never got that far
    }
    for (const entry of entries) fs.rmSync(path.join(stateDir, entry), { recursive: true, force: true });
    const listed = sites.length > 6 ? `${sites.slice(0, 5).join(", ")} and ${sites.length - 5} more` : sites.join(", ");
    const databases = sites.length > 0 ? `the databases of ${sites.length} site(s) (${listed}); ` : "";
    return `--fresh: deleted ${shown(stateDir)}/: ${databases}${entries.join(", ")}`;
}

/**
 * Starts the fleet; on any failure stops what it started and rethrows. Throws AlreadyRunning,
 * having touched nothing, while another run uses the state folder.
 */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
    const log = options.log ?? (() => undefined);
    const stateDir = path.resolve(options.stateDir ?? defaultStateDir(options.stack));
    const port = options.port ?? DEFAULT_PORT;
    const lock = lockState(stateDir);
    const services = options.services ?? new Services();
    try {
        const left = await stopLeftovers(stateDir, serverPidFiles(stateDir));
        if (left.length > 0) {
            log(
                `stopped what a run killed earlier left running in ${shown(stateDir)}: ${left.map((l) => `${l.name} (pid ${l.pid})`).join(", ")}`,
            );
        }
        // Random secrets of this state folder's own (a new key with --fresh, saved once the old state is gone).
        const secrets = readSecretsKey(stateDir, options.fresh);
        const programPlan = await readStack(options.stack, { sitesDir: options.sitesDir, mocks: localMocks(secrets.key) });
        // The web Deployments: those that run the image's entrypoint (the cron runners have a command).
        const pods = programPlan.serving.filter((p) => p.argv.length === 0).sort((a, b) => compareText(colorOf(a), colorOf(b)));
        for (const [i] of pods.entries()) await checkPortFree(port + i, `nginx of ${colorOf(pods[i])}`);
        log(`program: ${programPlan.sites.length} site(s) in stack ${options.stack}`);
        if (options.fresh) log(freshStart(stateDir));
        if (secrets.isNew) saveSecretsKey(stateDir, secrets.key);

        const certs = makeCertificates(path.join(stateDir, "certs"));
        const db = await startMariaDB(services, { dir: stateDir, certs, port: await freePort() });
        log(`mariadb: 127.0.0.1:${db.port}, TLS required`);
        // Each site's own user and password are in its settings (pods/<id>/...); root is local only, by unix_socket.
        writeEndpoints(stateDir, { database: { host: "127.0.0.1", port: db.port, tls: true, ca: certs.ca } });
        const cache = await startRedis(services, { stateDir, port: await freePort() });
        log(`redis: 127.0.0.1:${cache.port}, TLS and AUTH required`);
        writeCacheEndpoint(stateDir, cache);
        const plan = withCacheEndpoint(withDatabaseHost(programPlan, `127.0.0.1:${db.port}`), programPlan.cacheHost, cache);
        provisionSites(db, plan.sites, path.join(stateDir, MYSQL_STATE));

        const s3 = await startS3(services, { stateDir, port: await freePort(), buckets: stackBuckets(plan) });
        log(`s3: ${s3.s3.endpoint}, bucket ${s3.s3.bucket} (endpoints.json)`);

        installImageVendor();
        // What the workers read, where they may read it (the state folder, or a runtime folder as root).
        const runtime = runtimeDirOf(stateDir);
        const readable = (file: string, name: string): string => {
            if (runtime === stateDir) return file;
            const copy = path.join(runtime, name);
            fs.copyFileSync(file, copy);
            fs.chmodSync(copy, 0o644);
            return copy;
        };
        if (runtime !== stateDir) {
            if (options.fresh) fs.rmSync(runtime, { recursive: true, force: true });
            makeRuntimeDir(runtime);
        }
        const ca = readable(certs.ca, "ca.pem");
        const image = imageFiles(runtime === stateDir ? undefined : runtime);
        const cacheCa = readable(cache.certs.ca, "cache-ca.pem");
        const docroot = assembleDocroot(path.join(runtime, "wordpress"));
        if (runtime !== stateDir) {
            // The state folder still shows the docroot where it always was.
            fs.rmSync(path.join(stateDir, "wordpress"), { recursive: true, force: true });
            fs.symlinkSync(docroot, path.join(stateDir, "wordpress"));
        }
        // verify's GET goes through its color's Service (WP_PLATFORM_SERVICE_URL): here the web server
        // of that color, one per color, on port, port + 1.
        const colorUrls = Object.fromEntries(pods.map((pod, i) => [colorOf(pod), `http://127.0.0.1:${port + i}`]));
        const imageEnv = {
            ...imageEnvironment({ docroot, ca, port, cacheCa, extra: s3.env, vendorDir: image.vendor }),
            services: colorUrls,
        };
        const podsDir = path.join(runtime, "pods");
        const webs: ColorWeb[] = [];
        for (const [i, pod] of pods.entries()) {
            const servingPod = plan.serving.find((p) => p.name === pod.name)!;
            const web = await startWeb(services, {
                plan,
                stateDir,
                podsDir,
                imageEnv,
                port: port + i,
                pod: servingPod,
                runtimeDir: runtime,
            });
            webs.push({ color: colorOf(pod), pod: pod.name, port: port + i, url: `http://127.0.0.1:${port + i}`, web });
            log(`web: ${colorOf(pod)}: nginx and php-fpm on 127.0.0.1:${port + i}`);
        }
        const hostColors = indexColors(plan);
        const portOf = (host: string): number => webs.find((w) => w.color === hostColors[host])?.port ?? webs[0].port;
        const jobs: JobContext = { podsDir, imageEnv, path: [image.bin] };
        if (!options.skipJobs) {
            for (const site of plan.sites) {
                await runSiteJobs(site, jobs);
                log(`site ${site.id}: ${site.jobs.map((j) => j.job).join(", ")} done`);
            }
        }
        // For `npm run wp`: each site's Job environment, once the sites are there.
        writeWpCliState(stateDir, plan, jobs);
        const cron =
            options.cron === false || options.skipJobs
                ? []
                : startCronRunners(services, { plan, stateDir, imageEnv, path: jobs.path }, options.cron);
        for (const runner of cron) log(`cron: ${runner.service.name} runs the ${runner.color} sites' events; log ${shown(runner.log)}`);
        const stop = async () => {
            await services.stopAll();
            // The runtime folder is made again at each start: nothing in it outlives the run.
            if (runtime !== stateDir) fs.rmSync(runtime, { recursive: true, force: true });
            lock.release();
        };
        return {
            url: webs[0].url,
            port: webs[0].port,
            webs,
            portOf,
            stateDir,
            plan,
            certs,
            db,
            cache,
            web: webs[0].web,
            s3,
            services,
            jobs,
            cron,
            stop,
        };
    } catch (e) {
        await services.stopAll();
        lock.release();
        throw e;
    }
}
