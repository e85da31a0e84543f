// Test helpers: run the program (tools/offline.ts) with a stack's config, overrides, and site
// files: the stack's fixture sites (test/fixtures/sites/<stack>/) unless a test writes its own.
// Tests never depend on the committed sites/<stack>/ folders, which change with every site added:
// test/stacks.test.ts checks those for what must hold of any stack.
import * as fs from "fs";
import * as path from "path";
import { type SiteFiles, writeSites } from "../../tools/generated-sites";
import { mocks } from "../../tools/mocks";
import { type ProgramRun, type Registered, ROOT, configFor, runOffline } from "../../tools/offline";

export { ROOT, configFor, isSecret, redact, reveal, type ProgramRun, type Registered } from "../../tools/offline";
export { type SiteFiles, siteFile, writeSites } from "../../tools/generated-sites";

/** The fixture sites of a stack: the same sites as the committed examples, frozen for the tests. */
export function fixtureSites(stack: string): string {
    return path.join(ROOT, "test", "fixtures", "sites", stack);
}

export interface RunOptions {
    readonly stack?: "stg" | "prod";
    /** Config keys (without namespace) laid over the stack file's; `undefined` removes a key. */
    readonly config?: Record<string, unknown>;
    /** Site files by file name (text, or an object written as YAML). Default: the stack's fixture sites. */
    readonly sites?: SiteFiles;
    readonly preview?: boolean;
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
    const overrides = { sitesDir: fixtureSites(stack), ...options.config, ...(tempDir ? { sitesDir: tempDir } : {}) };
    try {
        return await runOffline({ stack, config: configFor(stack, overrides), mocks, preview: options.preview });
    } finally {
        if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
    }
}
