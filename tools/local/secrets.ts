// The local fleet's secrets: random per state folder. The program's random resources (database
// passwords, the admin password, salts, the cache token) are made up by the mocks; the tests'
// mocks derive them from the resource's name (MOCKSECRET..., the same on every machine), so the
// fleet gives the program mocks whose random values are an HMAC of the name under a key of the
// state folder's own: 32 random bytes in <state>/secrets.key (0600), kept across restarts (the
// databases keep their users), gone with --fresh.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import { createMocks, mockGenerated } from "../mocks";

export const SECRETS_KEY = "secrets.key";

/** The state folder's key, or a new random one when it has none (written by `saveSecretsKey`). */
export function readSecretsKey(stateDir: string, fresh = false): { key: Buffer; isNew: boolean } {
    const file = path.join(stateDir, SECRETS_KEY);
    if (!fresh) {
        try {
            const key = Buffer.from(fs.readFileSync(file, "utf8").trim(), "hex");
            if (key.length === 32) return { key, isNew: false };
        } catch {
            // none yet
        }
    }
    return { key: crypto.randomBytes(32), isNew: true };
}

/** Writes the key to <state>/secrets.key, readable by its owner only. */
export function saveSecretsKey(stateDir: string, key: Buffer): void {
    const file = path.join(stateDir, SECRETS_KEY);
    fs.writeFileSync(`${file}.tmp`, `${key.toString("hex")}\n`, { mode: 0o600 });
    fs.chmodSync(`${file}.tmp`, 0o600);
    fs.renameSync(`${file}.tmp`, file);
}

/** The tests' mocks, but every random resource's value from `key` (never from the name alone). */
export function localMocks(key: Buffer): pulumi.runtime.Mocks {
    const derive = (name: string, length: number): Buffer => {
        const out: Buffer[] = [];
        for (let i = 0; Buffer.concat(out).length < length; i++)
            out.push(crypto.createHmac("sha256", key).update(`${name}\0${i}`).digest());
        return Buffer.concat(out).subarray(0, length);
    };
    return createMocks({
        ...mockGenerated,
        random: (name) => derive(name, 20).toString("hex"),
        bytes: (name, length) => {
            const bytes = derive(name, length);
            return { base64: bytes.toString("base64"), hex: bytes.toString("hex") };
        },
    });
}
