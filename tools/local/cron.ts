// The cron runners of the local fleet: each Deployment the program registers with the cron
// runner's command (`wp platform cron-runner`, components/release.ts) and a replica (its color
// serves a site) runs here as one process, with the pod's environment and mounted files (pods.ts)
// and the image's, its interval and per-site limit shortened for a workstation. Started after the
// sites' Jobs and stopped with the fleet. Never as root: run by root (CI), it runs as www-data (or
// nobody), as the image runs it as a non-root uid; its mounted files are given to that user.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { type ImageEnv, materialize } from "./pods";
import type { Service, Services } from "./processes";
import type { Pod, StackPlan } from "./program";

/** The cron runner's command, as components/release.ts CRON_RUNNER_COMMAND registers it. */
const RUNNER_COMMAND = ["wp", "platform", "cron-runner"];

export interface CronOptions {
    /** Seconds between rounds (the pod's WP_CRON_INTERVAL; default 5 here). */
    readonly intervalSeconds?: number;
    /** Seconds a site's run may take before it is killed (default: the pod's WP_CRON_SITE_TIMEOUT). */
    readonly siteTimeoutSeconds?: number;
}

export const DEFAULT_LOCAL_CRON_INTERVAL = 5;

export interface CronRunner {
    readonly color: string;
    readonly service: Service;
    /** Its stdout and stderr: one line per site per round. */
    readonly log: string;
}

/** The Deployments that run the cron runner's command and have a replica: the runners to start. */
export function cronRunnerPods(plan: StackPlan): Pod[] {
    return plan.serving.filter((p) => p.argv.join(" ") === RUNNER_COMMAND.join(" ") && p.replicas !== 0);
}

/** The uid and gid to run PHP as when this process is root: www-data's, else nobody's. */
export function unprivilegedUser(): { uid: number; gid: number } | undefined {
    if (typeof process.getuid !== "function" || process.getuid() !== 0) return undefined;
    for (const name of ["www-data", "nobody"]) {
        const r = spawnSync("id", ["-u", name], { encoding: "utf8" });
        const g = spawnSync("id", ["-g", name], { encoding: "utf8" });
        if (r.status === 0 && g.status === 0) return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
    }
    throw new Error("running as root, and there is no www-data or nobody user to run the cron runners as");
}

function chownTree(dir: string, user: { uid: number; gid: number }): void {
    fs.chownSync(dir, user.uid, user.gid);
    for (const entry of fs.readdirSync(dir, { recursive: true }) as string[]) fs.chownSync(path.join(dir, entry), user.uid, user.gid);
}

export interface CronContext {
    readonly plan: StackPlan;
    readonly stateDir: string;
    readonly imageEnv: ImageEnv;
    /** Folders first on PATH (the image's `wp`). */
    readonly path: readonly string[];
}

/** Starts one runner per cron Deployment with a replica: files in <state>/cron/<name>/, log <state>/cron/<name>.log. */
export function startCronRunners(services: Services, context: CronContext, options: CronOptions = {}): CronRunner[] {
    const user = unprivilegedUser();
    const cronDir = path.join(context.stateDir, "cron");
    fs.mkdirSync(cronDir, { recursive: true });
    return cronRunnerPods(context.plan).map((pod) => {
        // Under <state>/cron, not the pods folder, which only root may enter.
        const local = materialize(pod, path.join(cronDir, pod.name), context.imageEnv);
        const home = path.join(cronDir, `${pod.name}.home`);
        fs.mkdirSync(home, { recursive: true });
        if (user) {
            chownTree(local.root, user);
            chownTree(home, user);
        }
        const env: Record<string, string> = {
            PATH: [...context.path, process.env.PATH ?? "/usr/bin:/bin"].join(path.delimiter),
            HOME: home,
            LANG: "C.UTF-8",
            ...local.env,
            WP_CRON_INTERVAL: String(options.intervalSeconds ?? DEFAULT_LOCAL_CRON_INTERVAL),
            ...(options.siteTimeoutSeconds ? { WP_CRON_SITE_TIMEOUT: String(options.siteTimeoutSeconds) } : {}),
        };
        const log = path.join(cronDir, `${pod.name}.log`);
        const service = services.start(pod.name, pod.argv[0], pod.argv.slice(1), { log, env, cwd: home, ...user });
        return { color: env.WP_PLATFORM_COLOR ?? pod.name, service, log };
    });
}
