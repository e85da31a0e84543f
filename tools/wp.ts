// WP-CLI against a site of the running local fleet (docs/local.md):
//
//   npm run wp -- [--state DIR] <stack> <site> <wp-cli args...>
//   npm run wp -- stg rrr option get siteurl
//   npm run wp -- stg rrr core version
//
// Runs the image's `wp` (WP-CLI from image/composer.lock, with the image's commands) with the
// environment of the site's Jobs, as `npm run local -- <stack>` wrote it in .local/<stack>/
// (tools/local/wp-cli.ts), so it reaches the site's database over verified TLS as its Jobs do.
// WP-CLI's output and exit status are its own. The command line follows the tools' convention
// (tools/cli.ts: --help exits 0, a usage error 2); this tool's options come before the stack, and
// everything after the site is WP-CLI's, options included. Exit 1 when the stack's fleet is not
// running or has no such site. --state DIR reads another state folder.
import { spawn } from "child_process";
import * as path from "path";
import { HelpRequested, UsageError, commandLine } from "./cli";
import { rootEnv } from "./local/jobs";
import { runningIn } from "./local/state";
import { readWpCliState } from "./local/wp-cli";

const ROOT = path.resolve(__dirname, "..");

export const USAGE = `usage: npm run wp -- [--state DIR] <stack> <site> <wp-cli args...>

Runs WP-CLI against <site> of the local fleet \`npm run local -- <stack>\` runs, with the site's Job environment.
  --state DIR  the fleet's state folder (default .local/<stack>)`;

/** The fleet cannot run the command: not running, still starting, or no such site (exit 1). */
export class WpToolError extends Error {
    readonly code = 1;
}

export interface WpInvocation {
    readonly command: string;
    readonly args: readonly string[];
    readonly env: Record<string, string>;
}

export interface WpArgs {
    readonly stack: string;
    readonly site: string;
    /** WP-CLI's arguments, as given. */
    readonly args: readonly string[];
    readonly stateDir?: string;
}

/**
 * This tool's own arguments: options up to the stack, then the stack and the site; the rest goes to
 * WP-CLI untouched (`--format=json` is WP-CLI's). Throws UsageError or HelpRequested (tools/cli.ts).
 * Hand-read rather than by util.parseArgs, which cannot stop at the first positional.
 */
export function parseWpArgs(argv: readonly string[]): WpArgs {
    let stateDir: string | undefined;
    const rest = argv[0] === "--" ? argv.slice(1) : argv;
    let i = 0;
    for (; i < rest.length && rest[i].startsWith("-"); i++) {
        const [name, inline] = rest[i].split(/=(.*)/s, 2);
        if (name === "-h" || name === "--help") throw new HelpRequested();
        if (name !== "--state") throw new UsageError(`unknown option ${name} (options come before the stack; WP-CLI's after the site)`);
        stateDir = inline ?? rest[++i];
        if (stateDir === undefined) throw new UsageError("--state needs a folder");
    }
    const [stack, site, ...args] = rest.slice(i);
    if (stack === undefined) throw new UsageError("which stack?");
    if (site === undefined) throw new UsageError("which site?");
    return { stack, site, args, stateDir };
}

/** What to run for the parsed arguments; throws WpToolError saying why the fleet cannot. */
export function wpInvocation({ stack, site, args, stateDir }: WpArgs): WpInvocation {
    const dir = path.resolve(stateDir ?? path.join(ROOT, ".local", stack));
    const shown = path.relative(process.cwd(), dir) || dir;
    const holder = runningIn(dir);
    if (holder === undefined) {
        throw new WpToolError(
            `the local fleet of stack ${stack} is not running (no run holds ${shown}/local.pid); start it: npm run local -- ${stack}`,
        );
    }
    const state = readWpCliState(dir);
    if (state === undefined || state.pid !== holder) {
        throw new WpToolError(`the local fleet of stack ${stack} (pid ${holder}) is still starting: wait for its ready: line`);
    }
    const known = state.sites[site];
    if (known === undefined) {
        const ids = Object.keys(state.sites).sort();
        throw new WpToolError(
            `stack ${stack} has no site ${JSON.stringify(site)} in its local fleet; its sites: ${ids.join(", ") || "none"}`,
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
    const line = commandLine({ tool: "wp", usage: USAGE }, argv, parseWpArgs);
    if ("exitCode" in line) return line.exitCode;
    let run: WpInvocation;
    try {
        run = wpInvocation(line.args);
    } catch (e) {
        if (!(e instanceof WpToolError)) throw e;
        console.error(`wp: ${e.message}`);
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
