// The long-running processes `npm run local` and the e2e test start (MariaDB, PHP-FPM, nginx):
// each one tracked from spawn, so a stop, an error or a signal ends every one of them and no other.
import { type ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";

export interface Service {
    readonly name: string;
    readonly child: ChildProcess;
    /** Where its stdout and stderr go: named in errors, so a failed start points at its log. */
    readonly log: string;
    /** Settles when the process has exited. */
    readonly exited: Promise<number | null>;
}

/** The processes started so far; `stopAll` ends each, newest first. */
export class Services {
    private readonly running: Service[] = [];

    /** Starts `command` with its output appended to `log`; throws if it cannot be spawned. */
    start(
        name: string,
        command: string,
        args: readonly string[],
        options: { log: string; env?: NodeJS.ProcessEnv; cwd?: string; uid?: number; gid?: number },
    ): Service {
        const out = fs.openSync(options.log, "a");
        // Its own process group: a Ctrl-C in the terminal reaches `npm run local`, which stops the
        // servers in order, rather than every server at once.
        const child = spawn(command, args, {
            stdio: ["ignore", out, out],
            env: options.env ?? process.env,
            cwd: options.cwd,
            // Another user (Redis, the S3 server and the cron runners, when started by root).
            uid: options.uid,
            gid: options.gid,
            detached: true,
        });
        fs.closeSync(out);
        const exited = new Promise<number | null>((resolve) => {
            child.once("exit", (code, signal) => resolve(code ?? (signal ? null : 0)));
            child.once("error", () => resolve(null));
        });
        const service: Service = { name, child, log: options.log, exited };
        this.running.push(service);
        return service;
    }

    /** Ends one process: SIGTERM, then SIGKILL after `graceMs`. */
    async stop(service: Service, graceMs = 10_000): Promise<void> {
        const index = this.running.indexOf(service);
        if (index >= 0) this.running.splice(index, 1);
        if (service.child.exitCode !== null || service.child.signalCode !== null || service.child.pid === undefined) return;
        service.child.kill("SIGTERM");
        const timer = setTimeout(() => service.child.kill("SIGKILL"), graceMs);
        await service.exited;
        clearTimeout(timer);
    }

    /** Ends every process this object started, newest first (nginx before PHP-FPM before MariaDB). */
    async stopAll(): Promise<void> {
        for (const service of [...this.running].reverse()) await this.stop(service);
    }
}

/** The last lines of a log file, for an error message. */
export function tail(file: string, lines = 5): string {
    try {
        return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
        return "";
    }
}

/** Polls `ready` every 100 ms until it is true; fails when `service` exits first or after `timeoutMs`. */
export async function waitUntil(
    service: Service,
    what: string,
    ready: () => boolean | Promise<boolean>,
    timeoutMs = 30_000,
): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void service.exited.then(() => (exited = true));
    for (;;) {
        if (await ready()) return;
        if (exited) throw new Error(`${service.name} exited before ${what}; see ${service.log}:\n${tail(service.log)}`);
        if (Date.now() > deadline) throw new Error(`${service.name}: no ${what} after ${timeoutMs / 1000}s; see ${service.log}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}

/** A TCP port on 127.0.0.1 that nothing listens on now (the OS picks it). */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
        });
    });
}

/**
 * A free port p of 127.0.0.1 whose next `count - 1` ports are free too: the fleet's web servers take
 * `port`, `port + 1` (one per color).
 */
export async function freePorts(count: number): Promise<number> {
    for (let attempt = 0; attempt < 50; attempt++) {
        const port = await freePort();
        if (port + count - 1 > 65535) continue;
        const rest = await Promise.all(
            Array.from({ length: count - 1 }, (_, i) =>
                checkPortFree(port + i + 1, "").then(
                    () => true,
                    () => false,
                ),
            ),
        );
        if (rest.every(Boolean)) return port;
    }
    throw new Error(`no ${count} consecutive free ports on 127.0.0.1`);
}

/** Fails with a clear message when `port` on 127.0.0.1 is taken. */
export function checkPortFree(port: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", () => reject(new Error(`port ${port} on 127.0.0.1 is in use: choose another with --port (${what})`)));
        server.listen(port, "127.0.0.1", () => server.close(() => resolve()));
    });
}
