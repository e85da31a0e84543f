// The stack's sites served on this machine with no cloud (docs/local.md):
//
//   npm run local -- <stack> [--port N] [--sites DIR] [--fresh]
//
// Runs the program offline for <stack>, then MariaDB (TLS required), PHP-FPM and nginx with the
// image's files, creates each site's database, user and grant as the MySQL provider would, runs
// each site's Jobs with their exact commands and environment, and prints one line on stdout,
// `ready: http://127.0.0.1:<port>` (the Host header picks the site). Progress, and the hosts to
// try, go to stderr. Ctrl-C stops every process it started. Exit 1 on a failing Job or any error,
// 2 on a usage error (tools/cli.ts) or while another run uses the stack's state folder.
import { commandLine, readCommandLine, UsageError } from "./cli";
import { type Fleet, DEFAULT_PORT, startFleet } from "./local/fleet";
import { DEFAULT_LOCAL_CRON_INTERVAL } from "./local/cron";
import { killRunningJobs } from "./local/jobs";
import { Services } from "./local/processes";
import { servedHosts } from "./local/program";
import { AlreadyRunning } from "./local/state";

export const USAGE = `usage: npm run local -- <stack> [--port N] [--sites DIR] [--fresh] [--cron-interval S]

Serves <stack>'s sites on http://127.0.0.1:<port> (default ${DEFAULT_PORT}), state in .local/<stack>/.
  --port N     port of the web server on 127.0.0.1
  --sites DIR  folder of site files instead of the stack's sitesDir
  --fresh      delete .local/<stack>/ first (databases, sites) and start over
  --cron-interval S  seconds between the cron runners' rounds (default ${DEFAULT_LOCAL_CRON_INTERVAL})`;

interface Args {
    readonly stack: string;
    readonly port?: number;
    readonly sitesDir?: string;
    readonly fresh: boolean;
    readonly cronInterval?: number;
}

export function parseArgs(argv: readonly string[]): Args {
    const { values, positionals } = readCommandLine(
        argv,
        {
            port: { type: "string", needs: "a port number from 1 to 65535" },
            sites: { type: "string", needs: "a folder" },
            fresh: { type: "boolean" },
            "cron-interval": { type: "string", needs: "a number of seconds from 1 to 3600" },
        },
        { positionals: true },
    );
    const { port } = values;
    if (port !== undefined && (!/^[0-9]+$/.test(port) || Number(port) < 1 || Number(port) > 65535)) {
        throw new UsageError(`--port needs a port number from 1 to 65535 (got ${port})`);
    }
    const cron = values["cron-interval"];
    if (cron !== undefined && (!/^[0-9]+$/.test(cron) || Number(cron) < 1 || Number(cron) > 3600)) {
        throw new UsageError(`--cron-interval needs a number of seconds from 1 to 3600 (got ${cron})`);
    }
    if (positionals.length === 0) throw new UsageError("which stack?");
    if (positionals.length > 1) throw new UsageError(`one stack at a time (got ${positionals[0]} and ${positionals[1]})`);
    return {
        stack: positionals[0],
        port: port === undefined ? undefined : Number(port),
        sitesDir: values.sites,
        fresh: values.fresh === true,
        ...(cron === undefined ? {} : { cronInterval: Number(cron) }),
    };
}

async function main(argv: readonly string[]): Promise<number> {
    const line = commandLine({ tool: "local", usage: USAGE }, argv, parseArgs);
    if ("exitCode" in line) return line.exitCode;
    const { args } = line;
    const services = new Services();
    let stopping = false;
    const stop = async (code: number) => {
        if (stopping) return;
        stopping = true;
        killRunningJobs();
        await services.stopAll();
        process.exit(code);
    };
    // At any moment, during start-up too: every process started so far is stopped.
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void stop(0));
    let fleet: Fleet;
    try {
        const { cronInterval, ...fleetArgs } = args;
        fleet = await startFleet({
            ...fleetArgs,
            cron: { intervalSeconds: cronInterval },
            services,
            log: (line) => console.error(`local: ${line}`),
        });
    } catch (e) {
        if (stopping) return new Promise<number>(() => undefined);
        console.error(`local ${args.stack}: ${e instanceof Error ? e.message : String(e)}`);
        return e instanceof AlreadyRunning ? 2 : 1;
    }
    console.error(`local: one web server per color (${fleet.webs.map((w) => `${w.color} ${w.url}`).join(", ")}); each serves only`);
    console.error(`local: its color's hosts (send Host: <host> and X-Forwarded-Proto: https):`);
    for (const { host } of servedHosts(fleet.plan)) console.error(`  ${host}  at 127.0.0.1:${fleet.portOf(host)}`);
    console.log(`ready: ${fleet.url}`);
    // A server that dies after ready ends the run: the fleet would be half there.
    for (const service of [
        fleet.db.service,
        fleet.cache.service,
        fleet.s3.service,
        ...fleet.web.services,
        ...fleet.cron.map((c) => c.service),
    ]) {
        void service.exited.then((code) => {
            if (stopping) return;
            console.error(`local ${args.stack}: ${service.name} exited (${code ?? "signal"}); see ${service.log}; stopping`);
            void stop(1);
        });
    }
    return new Promise<number>(() => undefined);
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
