// Validates the site files of every stack, as the program does before it registers anything:
// same loader (loadSites), same stack config (sitesDir, allowedDomains), same messages.
//
//   npm run sites:check                          every stack (one per Pulumi.<stack>.yaml)
//   npm run sites:check -- sites/stg/rrr.yaml    the stacks these paths belong to (a path in a
//                                                sites folder, or a Pulumi.<stack>.yaml);
//                                                other paths are ignored: what a pre-commit hook passes
//
// Exit 0 with one line per stack when all is valid (and a warning on stderr for each theme the
// reference image does not ship, image/themes.txt); exit 1 listing every problem otherwise; exit 2
// on a usage error.
// Imports no @pulumi/* module, so it starts fast (see package.json, scripts.sites:check).
import * as fs from "fs";
import * as path from "path";
import { ConfigError, siteOptionsOf } from "../src/config";
import { isOutside } from "../src/site-problems";
import { withSiteProblems } from "../src/site-stack";
import { loadSites, type SiteSpec } from "../src/sites";
import { readStackConfig } from "../src/stack-file";
import { compareText } from "../src/text";
import { commandLine, readCommandLine } from "./cli";
import { listStacks, ROOT, shippedThemes, shownPath, stackFile, type StackSites, stackSites, themeWarning } from "./stacks";

const STACK_FILE = /^Pulumi\.(.+)\.ya?ml$/;

export const USAGE = `usage: npm run sites:check [-- <path>...]

Validates the site files of every stack (one per Pulumi.<stack>.yaml), with each stack's
wp-platform:sitesDir and wp-platform:allowedDomains, exactly as the program does.
With paths (sites folders or anything in them, stack files), checks only the stacks they
belong to and ignores the other paths.`;

/** The outcome for one stack: its sites when valid, else the error the program would throw. */
export interface StackCheck {
    readonly stack: string;
    /** The sites folder as shown in messages; undefined when the stack config could not be read. */
    readonly sitesDir?: string;
    readonly sites?: readonly SiteSpec[];
    readonly error?: Error;
}

/** Loads the site files of one stack as index.ts does. */
export function checkStack(target: StackSites, cwd: string = process.cwd()): StackCheck {
    const sitesDir = shownPath(target.sitesDir, cwd);
    try {
        return {
            stack: target.stack,
            sitesDir,
            sites: loadSites(target.sitesDir, { allowedDomains: target.allowedDomains, previewDomain: target.previewDomain }),
        };
    } catch (e) {
        return { stack: target.stack, sitesDir, error: e instanceof Error ? e : new Error(String(e)) };
    }
}

/**
 * A stack whose config the program refuses: its problems and, as the program lists them too, those
 * of its site files, checked with the options that parsed.
 */
function configFailure(stack: string, e: unknown, root: string, cwd: string): StackCheck {
    const file = stackFile(stack, root) ?? path.join(root, `Pulumi.${stack}.yaml`);
    if (e instanceof ConfigError) {
        const options = siteOptionsOf(readStackConfig(file), stack, root);
        const sitesDir = options.sitesDir === undefined ? undefined : shownPath(options.sitesDir, cwd);
        return { stack, sitesDir, error: withSiteProblems(e, options) };
    }
    const message = e instanceof Error ? e.message : String(e);
    return { stack, error: new Error(`cannot read the stack config (${shownPath(file, cwd)}): ${message}`) };
}

/** The stacks that `paths` (relative to `cwd`) belong to: sites folders and what is in them, stack files. */
export function stacksOfPaths(
    paths: readonly string[],
    targets: readonly StackSites[],
    root: string = ROOT,
    cwd: string = process.cwd(),
): Set<string> {
    const found = new Set<string>();
    const known = new Set(targets.map((t) => t.stack));
    for (const given of paths) {
        const p = path.resolve(cwd, given);
        const stack = STACK_FILE.exec(path.basename(p))?.[1];
        if (stack !== undefined && path.dirname(p) === path.resolve(root) && known.has(stack)) found.add(stack);
        for (const target of targets) {
            // Any path in the folder, not only site files: the loader refuses a subfolder or a
            // renamed file there (a site moved out of reach would be deleted).
            const relative = path.relative(path.resolve(target.sitesDir), p);
            if (relative === "" || !isOutside(relative)) found.add(target.stack);
        }
    }
    return found;
}

export interface CheckIo {
    readonly root?: string;
    readonly cwd?: string;
    readonly out?: (line: string) => void;
    readonly err?: (line: string) => void;
}

function summary(check: StackCheck): string {
    const ids = (check.sites ?? []).map((s) => s.id);
    const shown = ids.length > 10 ? `${ids.slice(0, 10).join(", ")} and ${ids.length - 10} more` : ids.join(", ");
    const count = `${ids.length} site${ids.length === 1 ? "" : "s"}`;
    return `${check.stack}: ok, ${count} in ${check.sitesDir}${ids.length > 0 ? ` (${shown})` : ""}`;
}

/** The command: returns the exit code. */
export function runSitesCheck(argv: readonly string[], io: CheckIo = {}): number {
    const root = io.root ?? ROOT;
    const cwd = io.cwd ?? process.cwd();
    const out = io.out ?? ((line: string) => console.log(line));
    const err = io.err ?? ((line: string) => console.error(line));

    const line = commandLine({ tool: "sites:check", usage: USAGE }, argv, (args) => readCommandLine(args, {}, { positionals: true }), {
        out,
        err,
    });
    if ("exitCode" in line) return line.exitCode;
    const paths = line.args.positionals;

    const stacks = listStacks(root);
    if (stacks.length === 0) {
        err(`sites:check: no stack: there is no Pulumi.<stack>.yaml in ${root}`);
        return 1;
    }
    // A stack whose config cannot be read is always a failure: the program cannot run it, and its
    // sites folder, hence whether a given path belongs to it, is unknown.
    const targets: StackSites[] = [];
    const checks: StackCheck[] = [];
    for (const stack of stacks) {
        try {
            targets.push(stackSites(stack, root));
        } catch (e) {
            checks.push(configFailure(stack, e, root, cwd));
        }
    }
    let selected = targets;
    if (paths.length > 0) {
        const wanted = stacksOfPaths(paths, targets, root, cwd);
        selected = targets.filter((t) => wanted.has(t.stack));
        if (selected.length === 0 && checks.length === 0) {
            out("sites:check: no site file, sites folder or stack file among the given paths; nothing to check");
            return 0;
        }
    }
    checks.push(...selected.map((t) => checkStack(t, cwd)));
    checks.sort((a, b) => compareText(a.stack, b.stack));

    const shipped = shippedThemes(root);
    for (const check of checks) {
        if (check.error !== undefined) {
            err(`${check.stack}: ${check.error.message}`);
            continue;
        }
        out(summary(check));
        for (const site of check.sites ?? []) {
            if (shipped === undefined || shipped.includes(site.theme)) continue;
            // spec.file is shown relative to this process's working directory, as the loader shows it.
            const warning = themeWarning(site.file, fs.readFileSync(path.resolve(site.file), "utf8"), site.theme, shipped);
            if (warning !== undefined) err(warning);
        }
    }
    const failed = checks.filter((c) => c.error !== undefined).length;
    if (failed > 0) {
        err(`sites:check: ${failed} of ${checks.length} stack${checks.length === 1 ? "" : "s"} failed`);
        return 1;
    }
    return 0;
}

if (require.main === module) {
    process.exitCode = runSitesCheck(process.argv.slice(2));
}
