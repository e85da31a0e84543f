// What `npm run wp` (tools/wp.ts) needs to run WP-CLI against a site of a running fleet: each site's
// Job environment, written by the fleet into its state folder once its Jobs have run. The
// environment is the union of the site's Jobs' (the first Job's mounted settings, so the same file
// its Jobs read), on this machine's paths; the settings file itself stays in the pods folder with
// the Jobs' modes (0600). No secret of a site is in the state file: passwords are only in the
// mounted file; the local S3 server's key is, as in endpoints.json (both 0600, this machine's only).
import * as fs from "fs";
import * as path from "path";
import type { JobContext } from "./jobs";
import { materialize } from "./pods";
import type { StackPlan } from "./program";

export const WP_CLI_STATE = "wp-cli.json";

export interface WpCliState {
    /** The run that wrote it (the state folder's lock holder). */
    readonly pid: number;
    /** Folders first on PATH (the image's `wp`). */
    readonly path: readonly string[];
    /** Site id -> the environment of its Jobs. */
    readonly sites: Readonly<Record<string, { readonly env: Readonly<Record<string, string>> }>>;
}

/** Writes `<stateDir>/wp-cli.json` and each site's `<podsDir>/<id>.wp-cli/` mounted files. */
export function writeWpCliState(stateDir: string, plan: StackPlan, jobs: JobContext): WpCliState {
    const sites: Record<string, { env: Record<string, string> }> = {};
    for (const site of plan.sites) {
        const [first, ...rest] = site.jobs;
        if (!first) continue;
        const pod = materialize(first, path.join(jobs.podsDir, `${site.id}.wp-cli`), jobs.imageEnv);
        const env: Record<string, string> = {};
        for (const job of rest) Object.assign(env, job.env);
        sites[site.id] = { env: { ...env, ...pod.env } };
    }
    const state: WpCliState = { pid: process.pid, path: jobs.path, sites };
    const file = path.join(stateDir, WP_CLI_STATE);
    fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
    return state;
}

/** The state a run wrote, or undefined when there is none (a run still starting, or an older one). */
export function readWpCliState(stateDir: string): WpCliState | undefined {
    try {
        return JSON.parse(fs.readFileSync(path.join(stateDir, WP_CLI_STATE), "utf8")) as WpCliState;
    } catch {
        return undefined;
    }
}
