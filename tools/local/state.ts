// One run per state folder (.local/<stack>): a lock file names the run that owns the folder, and the
// servers a run left behind (its node process killed outright, so nothing stopped them) are found
// from their pid files and stopped before a new run starts its own. Two runs on one folder would
// share MariaDB's data and the web server's sockets and pid files, and break each other.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/** The lock: `<state folder>/local.pid`, the owning process's pid and (on Linux) its start time. */
export const LOCK_FILE = "local.pid";

export class AlreadyRunning extends Error {
    constructor(
        readonly pid: number,
        readonly lockFile: string,
    ) {
        super(`already running (pid ${pid}); stop it first, or use another stack`);
    }
}

interface ProcStat {
    readonly state: string;
    readonly startTime: string;
}

/** Fields of /proc/<pid>/stat (Linux); undefined where there is none. */
function procStat(pid: number): ProcStat | undefined {
    let text: string;
    try {
        text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
        return undefined;
    }
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0], startTime: fields[19] };
}

/**
 * Whether `pid` is a running process. A zombie is not: its parent (a killed run's server is adopted
 * by PID 1, which in a container may never reap it) has yet to collect an exit that has happened.
 */
export function isRunning(pid: number): boolean {
    try {
        process.kill(pid, 0);
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
    }
    return procStat(pid)?.state !== "Z";
}

/** The command line of `pid` as the process shows it (servers rewrite theirs), or undefined. */
export function commandLine(pid: number): string | undefined {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
    } catch {
        if (fs.existsSync("/proc/self")) return undefined;
    }
    // No /proc (macOS): ps shows the same.
    const ps = spawnSync("ps", ["-o", "command=", "-p", String(pid)], { encoding: "utf8" });
    return ps.status === 0 ? ps.stdout.trim() || undefined : undefined;
}

/** The pid a pid file holds (first line), or undefined. */
export function readPidFile(file: string): number | undefined {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch {
        return undefined;
    }
    const first = text.split("\n")[0].trim();
    return /^[1-9][0-9]*$/.test(first) ? Number(first) : undefined;
}

export interface StateLock {
    readonly file: string;
    /** Removes the lock if it is still this process's. Also done when the process exits. */
    release(): void;
}

const lockText = (pid: number): string => `${pid}\n${procStat(pid)?.startTime ?? ""}\n`;

/** Whether the process a lock file names still runs: same pid and, where known, the same start time (a pid is reused). */
function lockHolder(file: string): number | undefined {
    let lines: string[];
    try {
        lines = fs.readFileSync(file, "utf8").split("\n");
    } catch {
        return undefined;
    }
    const pid = readPidFile(file);
    if (pid === undefined || !isRunning(pid)) return undefined;
    const recorded = lines[1]?.trim();
    const now = procStat(pid)?.startTime;
    return recorded && now && recorded !== now ? undefined : pid;
}

/** The pid of the live run that holds the state folder `dir`, or undefined when none does. */
export function runningIn(dir: string): number | undefined {
    return lockHolder(path.join(dir, LOCK_FILE));
}

/**
 * Takes `<dir>/local.pid` for this process, creating `dir` if needed. Throws AlreadyRunning, having
 * touched nothing else, when a live process holds it; a lock whose process has ended is taken over.
 */
export function lockState(dir: string): StateLock {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, LOCK_FILE);
    const mine = lockText(process.pid);
    // Written whole under another name, then linked: link fails if the lock exists, and a reader
    // never sees a half-written lock.
    const temp = `${file}.${process.pid}`;
    fs.writeFileSync(temp, mine);
    try {
        for (let attempt = 0; ; attempt++) {
            try {
                fs.linkSync(temp, file);
                break;
            } catch (e) {
                if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
            }
            const holder = lockHolder(file);
            if (holder !== undefined) throw new AlreadyRunning(holder, file);
            if (attempt > 0) throw new Error(`cannot take the lock ${file}: another run takes it at the same moment`);
            // Left by a run that was killed: its servers are stopped next (stopLeftovers).
            fs.rmSync(file, { force: true });
        }
    } finally {
        fs.rmSync(temp, { force: true });
    }
    const release = (): void => {
        process.off("exit", release);
        try {
            if (fs.readFileSync(file, "utf8") === mine) fs.rmSync(file);
        } catch {
            // already gone (--fresh keeps it; a user may have deleted the folder)
        }
    };
    process.on("exit", release);
    return { file, release };
}

/** A server a run starts, found again by its pid file. */
export interface ServerPidFile {
    readonly name: string;
    readonly pidFile: string;
    /** What its command line shows when it is that program. */
    readonly program: RegExp;
}

export interface Leftover {
    readonly name: string;
    readonly pid: number;
}

/**
 * The servers of `servers` that run now for the state folder `dir`: the pid in the pid file is a
 * live process of that program whose command line names a path in `dir` (a pid file may be stale,
 * and its pid reused by anything).
 */
export function findLeftovers(dir: string, servers: readonly ServerPidFile[]): Leftover[] {
    const inDir = `${path.resolve(dir)}${path.sep}`;
    const found: Leftover[] = [];
    for (const server of servers) {
        const pid = readPidFile(server.pidFile);
        if (pid === undefined || pid === process.pid || !isRunning(pid)) continue;
        const command = commandLine(pid);
        if (command && server.program.test(command) && command.includes(inDir)) found.push({ name: server.name, pid });
    }
    return found;
}

async function exited(pid: number, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (isRunning(pid)) {
        if (Date.now() > deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return true;
}

function signal(pid: number, name: NodeJS.Signals): void {
    try {
        process.kill(pid, name);
    } catch {
        // gone meanwhile
    }
}

/**
 * Stops the servers `findLeftovers` finds, in the order given (nginx before PHP-FPM before
 * MariaDB): SIGTERM, then SIGKILL to its process group (a run starts each server as the leader of
 * its own group, workers included) after `graceMs`. Returns what it stopped.
 */
export async function stopLeftovers(dir: string, servers: readonly ServerPidFile[], graceMs = 30_000): Promise<Leftover[]> {
    const found = findLeftovers(dir, servers);
    for (const { name, pid } of found) {
        signal(pid, "SIGTERM");
        if (await exited(pid, graceMs)) continue;
        signal(-pid, "SIGKILL");
        signal(pid, "SIGKILL");
        if (!(await exited(pid, 5_000))) throw new Error(`${name} (pid ${pid}), left running by a previous run, does not stop`);
    }
    return found;
}

/** `<state>/endpoints.json`: the fleet's database, cache and S3 endpoints and local credentials (0600). */
export const ENDPOINTS_FILE = "endpoints.json";

/** Merges `entries` into <state>/endpoints.json (0600): the fleet's endpoints and local credentials. */
export function writeEndpoints(stateDir: string, entries: Record<string, unknown>): void {
    const file = path.join(stateDir, ENDPOINTS_FILE);
    let current: Record<string, unknown> = {};
    try {
        current = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    } catch {
        // first writer
    }
    fs.writeFileSync(`${file}.tmp`, `${JSON.stringify({ ...current, ...entries }, null, 2)}\n`, { mode: 0o600 });
    fs.chmodSync(`${file}.tmp`, 0o600);
    fs.renameSync(`${file}.tmp`, file);
}

/**
 * Whether a user other than the owner can reach `dir`: every folder from the root down lets others
 * through (`o+x`). A server the fleet runs as root under another user (Redis, the S3 server) can
 * only do so when its folder is reachable; from a checkout inside a 0700 folder it runs as the
 * fleet's own user instead, PHP being the one thing that never runs as root.
 */
export function reachableByOthers(dir: string): boolean {
    for (let d = path.resolve(dir); ; d = path.dirname(d)) {
        try {
            if ((fs.statSync(d).mode & 0o001) === 0) return false;
        } catch {
            return false;
        }
        if (path.dirname(d) === d) return true;
    }
}
