// Runs a site's Jobs on this machine: each Job's exact command (no shell added), with the Job's
// environment and mounted files (see pods.ts) plus the image's, one after another in the order the
// program's dependencies give. A failing Job stops the run with the Job's own message.
import { type ChildProcess, spawn } from "child_process";
import * as path from "path";
import { type ImageEnv, materialize } from "./pods";
import type { Job, SitePlan } from "./program";

export interface JobContext {
    /** Folder under which each Job's files are written (<dir>/<job name>). */
    readonly podsDir: string;
    /** The image's environment, as `npm run local` sets it (WordPress folder, CA bundle, ...). */
    readonly imageEnv: ImageEnv;
    /** Folders put first on PATH: the image's commands (`wp`). */
    readonly path: readonly string[];
    /** Seconds before a Job is killed: the Job's activeDeadlineSeconds plays this role in the cluster. */
    readonly timeoutSeconds?: number;
}

export interface JobResult {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

export class JobFailed extends Error {
    constructor(
        readonly site: string,
        readonly job: string,
        readonly result: JobResult,
    ) {
        const why = result.stderr.trim().split("\n").filter(Boolean).pop() ?? result.stdout.trim().split("\n").pop() ?? "";
        super(`site ${site}: Job ${job} failed (${result.code === null ? "killed" : `exit ${result.code}`}): ${why || "no message"}`);
    }
}

const running = new Set<ChildProcess>();

/** Kills the Jobs running now (a signal stops `npm run local` mid-way through a site's Jobs). */
export function killRunningJobs(): void {
    for (const child of running) child.kill("SIGKILL");
}

/**
 * WP-CLI refuses to run as root unless told it may: the image runs the Jobs as a non-root user, but
 * this machine may be root (CI), so there, and only there, it is told.
 */
export function rootEnv(): Record<string, string> {
    return typeof process.getuid === "function" && process.getuid() === 0 ? { WP_CLI_ALLOW_ROOT: "1" } : {};
}

/** Runs one Job and returns how it ended; `extraEnv` and `extraArgs` are for tests (a hook to crash it). */
export function runJob(
    job: Job,
    context: JobContext,
    extraEnv: Readonly<Record<string, string>> = {},
    extraArgs: readonly string[] = [],
): Promise<JobResult> {
    const pod = materialize(job, path.join(context.podsDir, job.name), context.imageEnv);
    const env: Record<string, string> = {
        PATH: [...context.path, process.env.PATH ?? "/usr/bin:/bin"].join(path.delimiter),
        HOME: process.env.HOME ?? "/tmp",
        LANG: "C.UTF-8",
        ...rootEnv(),
        ...pod.env,
        ...extraEnv,
    };
    if (job.argv.length === 0) return Promise.reject(new Error(`Job ${job.name} has no command`));
    return new Promise((resolve) => {
        const child = spawn(job.argv[0], [...job.argv.slice(1), ...extraArgs], { env, stdio: ["ignore", "pipe", "pipe"] });
        running.add(child);
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill("SIGKILL"), (context.timeoutSeconds ?? 600) * 1000);
        child.once("error", (e) => {
            running.delete(child);
            clearTimeout(timer);
            resolve({ code: 127, stdout, stderr: `${stderr}${job.argv[0]}: ${e.message}\n` });
        });
        child.once("close", (code) => {
            running.delete(child);
            clearTimeout(timer);
            resolve({ code, stdout, stderr });
        });
    });
}

/** Runs `site`'s Jobs in order (optionally only those named); throws JobFailed at the first failure. */
export async function runSiteJobs(site: SitePlan, context: JobContext, only?: readonly string[]): Promise<void> {
    for (const job of site.jobs) {
        if (only && !only.includes(job.job)) continue;
        const result = await runJob(job, context);
        if (result.code !== 0) throw new JobFailed(site.id, job.job, result);
    }
}

export function findJob(site: SitePlan, name: string): Job {
    const job = site.jobs.find((j) => j.job === name);
    if (!job) throw new Error(`site ${site.id} has no Job ${name} (it has ${site.jobs.map((j) => j.job).join(", ")})`);
    return job;
}
