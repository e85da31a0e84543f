// Certificates for the local MySQL server: a throwaway CA and a server certificate it signs, for
// 127.0.0.1 and localhost, made with openssl at each start. The image verifies the server against
// the CA file (WP_PLATFORM_DB_CA), as it verifies RDS against Amazon's bundle in the cloud.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export interface Certificates {
    /** The CA certificate: what the image trusts. */
    readonly ca: string;
    /** The server certificate and key: what MariaDB presents. */
    readonly cert: string;
    readonly key: string;
}

function openssl(args: readonly string[], cwd: string): void {
    try {
        execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
    } catch (e) {
        const err = e as { code?: string; stderr?: Buffer };
        if (err.code === "ENOENT") throw new Error("openssl is not installed (see docs/local.md, Prerequisites)");
        throw new Error(`openssl ${args[0]} failed: ${err.stderr?.toString().trim() ?? String(e)}`);
    }
}

/** Makes a new CA named `name` and a server certificate for 127.0.0.1 and localhost in `dir`. */
export function makeCertificates(dir: string, name = "wp-platform local CA"): Certificates {
    fs.mkdirSync(dir, { recursive: true });
    const files = { ca: "ca.pem", caKey: "ca-key.pem", csr: "server.csr", cert: "server.pem", key: "server-key.pem", ext: "server.ext" };
    for (const f of Object.values(files)) fs.rmSync(path.join(dir, f), { force: true });
    openssl(
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", `/CN=${name}`, "-keyout", files.caKey, "-out", files.ca],
        dir,
    );
    openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", files.key, "-out", files.csr], dir);
    // A server certificate that clients verifying the host name accept for both names.
    fs.writeFileSync(
        path.join(dir, files.ext),
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
    );
    openssl(
        [
            "x509",
            "-req",
            "-in",
            files.csr,
            "-CA",
            files.ca,
            "-CAkey",
            files.caKey,
            "-CAcreateserial",
            "-days",
            "30",
            "-extfile",
            files.ext,
            "-out",
            files.cert,
        ],
        dir,
    );
    // MariaDB may run as another user (mysql) when started by root: it must read its key.
    for (const f of [files.cert, files.key, files.ca]) fs.chmodSync(path.join(dir, f), 0o644);
    return { ca: path.join(dir, files.ca), cert: path.join(dir, files.cert), key: path.join(dir, files.key) };
}
