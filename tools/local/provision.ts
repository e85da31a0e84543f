// Creates each site's database, user and grant on the local server with the provider's SQL, once:
// like Pulumi's state, <state>/mysql-state.json records what was created (a hash of its statement),
// so a restart creates only what is new, and a changed input is an error rather than a silent drift.
import * as crypto from "crypto";
import * as fs from "fs";
import type { MariaDB } from "./mariadb";
import { createDatabaseSql, createGrantSql, createUserSql } from "./mysql-provider";
import type { SitePlan } from "./program";

type Applied = Record<string, string>;

const hash = (sql: string): string => crypto.createHash("sha256").update(sql).digest("hex");

/** The statements that create `site`'s database, user and grant, in the order the provider runs them. */
export function siteStatements(site: SitePlan): { key: string; sql: string }[] {
    return [
        { key: `${site.id}/database`, sql: createDatabaseSql(site.database) },
        { key: `${site.id}/user`, sql: createUserSql(site.user) },
        { key: `${site.id}/grant`, sql: createGrantSql(site.grant) },
    ];
}

export function provisionSites(db: MariaDB, sites: readonly SitePlan[], stateFile: string): void {
    const applied: Applied = fs.existsSync(stateFile) ? (JSON.parse(fs.readFileSync(stateFile, "utf8")) as Applied) : {};
    for (const site of sites) {
        for (const { key, sql } of siteStatements(site)) {
            const done = applied[key];
            if (done === hash(sql)) continue;
            if (done !== undefined) {
                throw new Error(
                    `site ${site.id}: its ${key.split("/")[1]} differs from the one created earlier in this state folder: start over with --fresh`,
                );
            }
            try {
                db.admin(sql);
            } catch (e) {
                throw new Error(`site ${site.id}: creating its ${key.split("/")[1]} failed: ${(e as Error).message.split("\n").pop()}`);
            }
            applied[key] = hash(sql);
            fs.writeFileSync(stateFile, JSON.stringify(applied, null, 1));
        }
    }
}
