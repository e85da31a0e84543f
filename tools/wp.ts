// WP-CLI against a site of the running local fleet (docs/local.md):
//
//   npm run wp -- [--state DIR] <stack> <site> <wp-cli args...>
//   npm run wp -- stg rrr option get siteurl
//   npm run wp -- stg rrr core version
//
// Runs the image's `wp` (WP-CLI from image/composer.lock, with the image's commands) with the
// environment of the site's Jobs, as `npm run local -- <stack>` wrote it in .local/<stack>/
// (tools/local/wp-cli.ts), so it reaches the site's database over verified TLS as its Jobs do.
// WP-CLI's output and exit status are its own. Errors of this tool: exit 2 on a usage error, 1 when
// the stack's fleet is not running or has no such site. --state DIR reads another state folder.
import { spawn } from "child_process";
import * as path from "path";
import { rootEnv } from "./local/jobs";
import { runningIn } from "./local/state";
import { readWpCliState } from "./local/wp-cli";

const ROOT = path.resolve(__dirname, "..");

export const USAGE = `usage: npm run wp -- [--state DIR] <stack> <site> <wp-cli args...>

Runs WP-CLI against <site> of the local fleet \`npm run local -- <stack>\` runs, with the site's Job environment.
  --state DIR  the fleet's state folder (default .local/<stack>)`;

export class WpToolError extends Error {
    constructor(
        message: string,
        readonly code: number,
    ) {
        super(message);
    }
}

export interface WpInvocation {
    readonly command: string;
    readonly args: readonly string[];
    readonly env: Record<string, string>;
}

/** What to run for `argv` (this tool's arguments); throws WpToolError saying why it cannot. */
export function wpInvocation(argv: readonly string[]): WpInvocation {
    let stateDir: string | undefined;
    let i = 0;
    for (; i < argv.length && argv[i].startsWith("-"); i++) {
        if (argv[i] === "--state") {
            stateDir = argv[++i];
            if (stateDir === undefined) throw new WpToolError("--state needs a folder", 2);
        } else if (argv[i] === "-h" || argv[i] === "--help") throw new WpToolError("", 2);
        else throw new WpToolError(`unknown option ${argv[i]} (options come before the stack; WP-CLI's after the site)`, 2);
    }
    const [stack, site, ...args] = argv.slice(i);
    if (stack === undefined) throw new WpToolError("which stack?", 2);
    if (site === undefined) throw new WpToolError("which site?", 2);
    const dir = path.resolve(stateDir ?? path.join(ROOT, ".local", stack));
    const shown = path.relative(process.cwd(), dir) || dir;
    const holder = runningIn(dir);
    if (holder === undefined) {
        throw new WpToolError(
            `the local fleet of stack ${stack} is not running (no run holds ${shown}/local.pid); start it: npm run local -- ${stack}`,
            1,
        );
    }
    const state = readWpCliState(dir);
    if (state === undefined || state.pid !== holder) {
        throw new WpToolError(`the local fleet of stack ${stack} (pid ${holder}) is still starting: wait for its ready: line`, 1);
    }
    const known = state.sites[site];
    if (known === undefined) {
        const ids = Object.keys(state.sites).sort();
        throw new WpToolError(
            `stack ${stack} has no site ${JSON.stringify(site)} in its local fleet; its sites: ${ids.join(", ") || "none"}`,
            1,
        );
    }
    const env: Record<string, string> = {
        PATH: [...state.path, process.env.PATH ?? "/usr/bin:/bin"].join(path.delimiter),
        HOME: process.env.HOME ?? "/tmp",
        LANG: "C.UTF-8",
        ...(process.env.TERM ? { TERM: process.env.TERM } : {}),
        ...rootEnv(),
        ...known.env,
    };
    return { command: "wp", args, env };
}

async function main(argv: readonly string[]): Promise<number> {
    let run: WpInvocation;
    try {
        run = wpInvocation(argv);
    } catch (e) {
        if (!(e instanceof WpToolError)) throw e;
        if (e.message) console.error(`wp: ${e.message}`);
        if (e.code === 2) console.error(USAGE);
        return e.code;
    }
    return new Promise((resolve) => {
        const child = spawn(run.command, run.args, { env: run.env, stdio: "inherit" });
        child.once("error", (e) => {
            console.error(`wp: cannot run the image's wp: ${e.message}`);
            resolve(127);
        });
        child.once("close", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e) => {
            console.error(e);
            process.exit(1);
        },
    );
}
