// Site files written for a run: the tests' fixtures and the bench's generated fleets.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";

/** Site files by file name: text, or an object written as YAML. */
export type SiteFiles = Record<string, string | Record<string, unknown>>;

/** A valid site file of the stg stack for `id`, with overrides. */
export function siteFile(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return { id, name: `Project ${id}`, theme: "astra", hostnames: [`${id}.cloud2-stg.example.com`], ...overrides };
}

/** Writes site files into a new temporary folder and returns it. */
export function writeSites(files: SiteFiles): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wp-sites-"));
    for (const [file, content] of Object.entries(files)) {
        fs.writeFileSync(path.join(dir, file), typeof content === "string" ? content : stringify(content));
    }
    return dir;
}
