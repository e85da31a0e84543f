// The stacks of the project and where their site files live, for the site tools (site:new,
// sites:check, site-schema). Light on purpose: no @pulumi/* import, so `sites:check` starts fast.
import * as fs from "fs";
import * as path from "path";
import { parseConfig } from "../src/config";
import { fieldPosition, formatSiteProblem } from "../src/sites";
import { readStackConfig } from "../src/stack-file";

export const ROOT = path.resolve(__dirname, "..");

/** The JSON Schema of a site file, generated from siteFileSchema by tools/site-schema.ts. */
export const SCHEMA_PATH = path.join("schema", "site.schema.json");

/** The themes the reference image ships, one slug a line (image/README.md). */
export const THEMES_PATH = path.join("image", "themes.txt");

const STACK_FILE = /^Pulumi\.(.+)\.ya?ml$/;

/** What the site tools need of one stack. */
export interface StackSites {
    readonly stack: string;
    /** Absolute path of the stack's folder of site files (wp-platform:sitesDir, default sites/<stack>). */
    readonly sitesDir: string;
    /** wp-platform:allowedDomains; empty when the stack does not restrict hostnames. */
    readonly allowedDomains: readonly string[];
    /** wp-platform:release.previewDomain: no site hostname may be under it. */
    readonly previewDomain?: string;
}

/** The stacks of the project at `root`: one per Pulumi.<stack>.yaml, sorted by name. */
export function listStacks(root: string = ROOT): string[] {
    return fs
        .readdirSync(root)
        .map((name) => STACK_FILE.exec(name)?.[1])
        .filter((stack): stack is string => stack !== undefined)
        .sort();
}

/** The stack file of `stack` under `root`, or undefined when there is none. */
export function stackFile(stack: string, root: string = ROOT): string | undefined {
    return ["yaml", "yml"].map((ext) => path.join(root, `Pulumi.${stack}.${ext}`)).find((f) => fs.existsSync(f));
}

/**
 * The sites folder and allowed domains of `stack`, read as the program reads them (parseConfig of
 * the stack file). Throws the program's ConfigError when the stack config is invalid, and an Error
 * when the stack has no stack file.
 */
export function stackSites(stack: string, root: string = ROOT): StackSites {
    const file = stackFile(stack, root);
    if (file === undefined) {
        const known = listStacks(root);
        throw new Error(
            `no stack ${JSON.stringify(stack)}: there is no Pulumi.${stack}.yaml in ${root}` +
                (known.length > 0 ? `; the stacks are ${known.join(", ")}` : ""),
        );
    }
    const config = parseConfig(readStackConfig(file), stack, root);
    return { stack, sitesDir: config.sitesDir, allowedDomains: config.allowedDomains, previewDomain: config.release.previewDomain };
}

/** `p` relative to the working directory when under it (as the loader shows paths), else absolute. */
export function shownPath(p: string, cwd: string = process.cwd()): string {
    const absolute = path.resolve(cwd, p);
    const relative = path.relative(cwd, absolute);
    if (relative === "") return ".";
    return relative === ".." || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative) ? absolute : relative;
}

/** The `$schema` reference a site file in `sitesDir` uses: the schema's path relative to that folder. */
export function schemaRef(sitesDir: string, root: string = ROOT): string {
    return path.relative(sitesDir, path.join(root, SCHEMA_PATH)).split(path.sep).join("/");
}

/** The first line of every site file: tells editors (yaml-language-server) where the schema is. */
export function schemaLine(sitesDir: string, root: string = ROOT): string {
    return `# yaml-language-server: $schema=${schemaRef(sitesDir, root)}`;
}

/**
 * The themes the reference image ships: image/themes.txt read as image/assemble.sh reads it
 * (`#` starts a comment, blanks are ignored). Undefined when the project has no such file.
 */
export function shippedThemes(root: string = ROOT): string[] | undefined {
    let text: string;
    try {
        text = fs.readFileSync(path.join(root, THEMES_PATH), "utf8");
    } catch {
        return undefined;
    }
    return text
        .split("\n")
        .map((line) => line.replace(/#.*/, "").replace(/\s/g, ""))
        .filter((slug) => slug.length > 0);
}

/**
 * A warning, not a refusal, for a theme the reference image does not ship: its deploy would fail at
 * activate-theme, unless the stack runs an image of its own (image/README.md, "Adapt an existing
 * image"), which no file here describes. `text` is the site file's, for the theme's line.
 */
export function themeWarning(file: string, text: string, theme: string, shipped: readonly string[] | undefined): string | undefined {
    if (shipped === undefined || shipped.includes(theme)) return undefined;
    const message =
        `${JSON.stringify(theme)} is not a theme the reference image ships (${THEMES_PATH.split(path.sep).join("/")}: ${shipped.join(", ")}): ` +
        'the deploy fails at its activate-theme Job unless the stack runs an image that has it (image/README.md, "Adapt an existing image")';
    return `warning: ${formatSiteProblem({ file, ...fieldPosition(text, "theme"), field: "theme", message })}`;
}
