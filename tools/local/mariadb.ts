// A MariaDB server for one state folder: requires TLS on TCP (require_secure_transport, as RDS
// with tls: "true"), listens on 127.0.0.1 only, and keeps its data in <dir>/data between runs.
// The admin accounts (root, and the user running this when that is not root) exist only at
// localhost and authenticate by unix_socket: reachable only over the server's own Unix socket, by
// the system user of that name, with no password and no TLS. No account of theirs answers on TCP.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Certificates } from "./certs";
import { type Service, type Services, waitUntil } from "./processes";
import { type ServerPidFile, findLeftovers, readPidFile } from "./state";

/** The first of `names` found on PATH or in the system sbin folders (not on a user's PATH on Debian). */
export function findProgram(names: readonly string[], what: string): string {
    const dirs = [
        ...(process.env.PATH ?? "").split(path.delimiter),
        "/usr/sbin",
        "/usr/local/sbin",
        "/opt/homebrew/sbin",
        "/opt/homebrew/bin",
    ];
    for (const name of names) {
        for (const dir of dirs) {
            const candidate = path.join(dir, name);
            try {
                fs.accessSync(candidate, fs.constants.X_OK);
                return candidate;
            } catch {
                // not here
            }
        }
    }
    throw new Error(`${what} is not installed (none of ${names.join(", ")} found; see docs/local.md, Prerequisites)`);
}

const isRoot = (): boolean => typeof process.getuid === "function" && process.getuid() === 0;

/** The system user running this: unix_socket lets this one MariaDB account in over the socket. */
function systemUser(): string {
    if (isRoot()) return "root";
    try {
        return os.userInfo().username;
    } catch {
        throw new Error("this user has no name in the system's user database: MariaDB's unix_socket login needs one");
    }
}

/** MariaDB's pid file in the state folder `dir`, and how to know the process it names is that server. */
export function mariadbPidFile(dir: string): ServerPidFile {
    return { name: "MariaDB", pidFile: path.join(dir, "mysqld.pid"), program: /\b(mariadbd|mysqld)\b/ };
}

export interface MariaDB {
    readonly port: number;
    readonly socket: string;
    readonly service: Service;
    /** Runs SQL as root over the socket; returns the tab-separated output. Throws with the server's message. */
    admin(sql: string): string;
    /** Runs SQL as `user` over TCP with TLS verified against `ca`; never throws: the exit status and messages. */
    as(
        user: string,
        password: string,
        sql: string,
        options?: { database?: string; ca?: string; noTls?: boolean },
    ): { ok: boolean; output: string };
}

export interface MariaDBOptions {
    /** The state folder: data in <dir>/data, socket, pid and log beside it. */
    readonly dir: string;
    readonly certs: Certificates;
    readonly port: number;
}

/** Starts MariaDB (creating its data folder the first time) and waits until it accepts connections. */
export async function startMariaDB(services: Services, options: MariaDBOptions): Promise<MariaDB> {
    const dataDir = path.join(options.dir, "data");
    const log = path.join(options.dir, "mariadb.log");
    // A Unix socket path is limited to about 104 bytes: a deep state folder gets one in the temp folder.
    let socket = path.join(options.dir, "mysqld.sock");
    if (Buffer.byteLength(socket) > 100) socket = path.join(os.tmpdir(), `wp-platform-${process.pid}-${options.port}.sock`);
    const user = isRoot() ? ["--user=root"] : [];
    const admin = systemUser();
    const pid = mariadbPidFile(options.dir);
    // A second server on the same data would wait 30 s for InnoDB's lock and abort, while the
    // first answers on the same socket.
    const running = findLeftovers(options.dir, [pid]);
    if (running.length > 0) throw new Error(`MariaDB (pid ${running[0].pid}) already runs on ${dataDir}: stop it first`);
    if (!fs.existsSync(path.join(dataDir, "mysql"))) {
        fs.mkdirSync(dataDir, { recursive: true });
        const installDb = findProgram(["mariadb-install-db", "mysql_install_db"], "MariaDB (mariadb-install-db)");
        const result = spawnSync(
            installDb,
            [
                "--no-defaults",
                `--datadir=${dataDir}`,
                // root@localhost and <admin>@localhost by unix_socket, and no root account at
                // 127.0.0.1, ::1 or the host name (which "normal" creates with no password).
                "--auth-root-authentication-method=socket",
                `--auth-root-socket-user=${admin}`,
                "--skip-test-db",
                ...user,
            ],
            { encoding: "utf8" },
        );
        if (result.status !== 0) {
            fs.rmSync(dataDir, { recursive: true, force: true });
            throw new Error(
                `mariadb-install-db failed: ${(result.stderr || result.stdout || String(result.error)).trim().split("\n").slice(-3).join(" ")}`,
            );
        }
    }
    const server = findProgram(["mariadbd", "mysqld"], "MariaDB (mariadbd)");
    const service = services.start(
        "MariaDB",
        server,
        [
            "--no-defaults",
            `--datadir=${dataDir}`,
            `--socket=${socket}`,
            `--pid-file=${pid.pidFile}`,
            "--bind-address=127.0.0.1",
            `--port=${options.port}`,
            "--skip-name-resolve",
            `--ssl-ca=${options.certs.ca}`,
            `--ssl-cert=${options.certs.cert}`,
            `--ssl-key=${options.certs.key}`,
            "--require-secure-transport=ON",
            "--innodb-buffer-pool-size=64M",
            ...user,
        ],
        { log },
    );
    const client = findProgram(["mariadb", "mysql"], "the MariaDB client (mariadb)");
    const run = (args: readonly string[], sql: string, env: NodeJS.ProcessEnv = process.env) =>
        spawnSync(client, ["--no-defaults", "--batch", "--skip-column-names", ...args], { input: sql, encoding: "utf8", env });
    const sqlAs = (as: string) => (sql: string) => {
        const r = run([`--socket=${socket}`, `--user=${as}`], sql);
        if (r.status !== 0) throw new Error(`MariaDB: ${(r.stderr || String(r.error)).trim()}`);
        return r.stdout;
    };
    const db: MariaDB = {
        port: options.port,
        socket,
        service,
        admin: sqlAs(admin),
        as(dbUser, password, sql, opts = {}) {
            const tls = opts.noTls ? ["--skip-ssl"] : ["--ssl", `--ssl-ca=${opts.ca ?? options.certs.ca}`, "--ssl-verify-server-cert"];
            const args = ["--host=127.0.0.1", `--port=${options.port}`, `--user=${dbUser}`, ...tls];
            if (opts.database) args.push(`--database=${opts.database}`);
            // The password in the environment of this one client process, not on its command line.
            const r = run(args, sql, { ...process.env, MYSQL_PWD: password });
            return { ok: r.status === 0, output: `${r.stdout}${r.stderr}`.trim() };
        },
    };
    const answers = (as: string) => run([`--socket=${socket}`, `--user=${as}`], "SELECT 1").status === 0;
    // The server on the socket must be the one started here: its pid file names it, and it runs.
    // Another one (started meanwhile on this folder) answers there too while this one aborts.
    const ours = () => service.child.exitCode === null && readPidFile(pid.pidFile) === service.child.pid;
    // A data folder made before the admin accounts used unix_socket has root with no password.
    await waitUntil(service, "accepting connections", () => ours() && (answers(admin) || answers("root")), 60_000);
    secureAdminAccounts(sqlAs(answers(admin) ? admin : "root"), admin);
    return db;
}

/**
 * Leaves root and `admin` only at localhost by unix_socket: drops their accounts at other hosts and
 * moves a passwordless one to unix_socket. Changes nothing in a data folder made by this version.
 */
function secureAdminAccounts(sql: (statement: string) => string, admin: string): void {
    const quote = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
    const rows = sql(`SELECT user, host, priv FROM mysql.global_priv WHERE user IN ('root', ${quote(admin)})`)
        .split("\n")
        .filter(Boolean)
        .map((line) => line.split("\t"));
    const statements: string[] = [];
    if (!rows.some(([u, h]) => u === admin && h === "localhost")) {
        statements.push(
            `CREATE USER ${quote(admin)}@'localhost' IDENTIFIED VIA unix_socket`,
            `GRANT ALL PRIVILEGES ON *.* TO ${quote(admin)}@'localhost' WITH GRANT OPTION`,
        );
    }
    for (const [u, h, priv] of rows) {
        if (h !== "localhost") statements.push(`DROP USER ${quote(u)}@${quote(h)}`);
        else if (!priv.includes('"unix_socket"')) statements.push(`ALTER USER ${quote(u)}@'localhost' IDENTIFIED VIA unix_socket`);
    }
    if (statements.length > 0) sql(statements.join(";\n"));
}

/** Stops the server of `db` and waits until it has exited. */
export async function stopMariaDB(services: Services, db: MariaDB): Promise<void> {
    await services.stop(db.service, 30_000);
}
