// Test helpers: run the program (tools/offline.ts) with a stack's config, overrides and a folder
// of site files written for the test.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { mocks } from "../../tools/mocks";
import { type ProgramRun, type Registered, configFor, runOffline } from "../../tools/offline";

export { ROOT, configFor, isSecret, redact, reveal, type ProgramRun, type Registered } from "../../tools/offline";

export type SiteFiles = Record<string, string | Record<string, unknown>>;

export interface RunOptions {
    readonly stack?: "stg" | "prod";
    /** Config keys (without namespace) laid over the stack file's; `undefined` removes a key. */
    readonly config?: Record<string, unknown>;
    /** Site files by file name (text, or an object written as YAML). Default: the stack's own folder. */
    readonly sites?: SiteFiles;
    readonly preview?: boolean;
}

/** A valid site file for `id`, with overrides. */
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

/** Runs the program; rejects with the program's error. */
export async function runProgram(options: RunOptions = {}): Promise<ProgramRun> {
    const { run, error } = await attempt(options);
    if (error) throw error;
    return run;
}

/** Runs a program that is expected to fail: its error, and what it registered before failing. */
export async function runFailingProgram(options: RunOptions = {}): Promise<{ error: Error; resources: readonly Registered[] }> {
    const { run, error } = await attempt(options);
    if (!error) throw new Error("the program was expected to fail, and ran");
    return { error, resources: run.resources };
}

async function attempt(options: RunOptions): Promise<{ run: ProgramRun; error?: Error }> {
    const stack = options.stack ?? "stg";
    const tempDir = options.sites ? writeSites(options.sites) : undefined;
    const overrides = { ...options.config, ...(tempDir ? { sitesDir: tempDir } : {}) };
    try {
        return await runOffline({ stack, config: configFor(stack, overrides), mocks, preview: options.preview });
    } finally {
        if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
    }
}
