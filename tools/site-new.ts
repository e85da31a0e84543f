// Adds a site: writes <sitesDir>/<id>.yaml for a stack, refusing anything the program would refuse.
//
//   npm run site:new -- <id> --stack stg --theme twentytwentythree --host a.example.com [--host ...]
//                        [--name "Title"] [--service blue|green|active] [--isolation shared|dedicated]
//                        [--canonical <host>] [--dry-run]
//
// The new file is checked by the loader (parseSiteFile, the stack's allowedDomains, then the whole
// folder plus the new file with loadSites) before it is written; an existing file is never
// overwritten. A theme the reference image does not ship (image/themes.txt) gets a warning, not a
// refusal: a stack may run an image of its own. Imports no @pulumi/* module.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Document, isScalar, Scalar } from "yaml";
import {
    formatSiteProblem,
    isHostname,
    isUnderDomain,
    loadSites,
    parseSiteFile,
    SITE_ID_PATTERN,
    SiteFileError,
    type SiteProblem,
    type SiteSpec,
} from "../src/sites";
import { settingsSecretName } from "../src/naming";
import { commandLine, readCommandLine, UsageError } from "./cli";
import { settingsShard } from "../src/settings";
import { listStacks, ROOT, schemaLine, shippedThemes, shownPath, type StackSites, stackSites, themeWarning } from "./stacks";

export interface NewSite {
    readonly id: string;
    readonly stack: string;
    readonly theme: string;
    readonly hostnames: readonly string[];
    /** The WordPress site title; default: the id. */
    readonly name?: string;
    readonly service?: string;
    /** shared or dedicated; the file says it only when given. */
    readonly isolation?: string;
    readonly canonicalHostname?: string;
}

/** A site that passed every check: the file to write and its text. */
export interface SitePlan {
    /** Absolute path of the new file. */
    readonly file: string;
    /** The path as shown in messages (relative to the working directory when under it). */
    readonly shownFile: string;
    readonly text: string;
    readonly spec: SiteSpec;
}

/** A refusal: `message` lists every reason; nothing was written. */
export class SiteNewError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "SiteNewError";
    }
}

export function usage(root: string = ROOT): string {
    let stacks = "";
    try {
        stacks = listStacks(root).join(", ");
    } catch {
        // usage must print whatever the state of the folder
    }
    return `usage: npm run site:new -- <id> --stack <stack> --theme <slug> --host <hostname> [--host <hostname> ...]
                          [--name "<title>"] [--service blue|green|active] [--isolation shared|dedicated]
                          [--canonical <hostname>] [--dry-run]

Writes <sitesDir>/<id>.yaml (sites/<stack>/<id>.yaml unless the stack sets wp-platform:sitesDir),
after checking it as the program will. Never overwrites a file.

  <id>           the site id: 1 to 24 lowercase letters, digits and hyphens, starting with a
                 letter; permanent (it is in every resource name of the site)
  --stack        the stack${stacks ? `: ${stacks}` : ""} (one per Pulumi.<stack>.yaml)
  --theme        the slug of the WordPress theme to activate, e.g. twentytwentythree; the reference
                 image ships those of image/themes.txt (another one gets a warning)
  --host         a hostname of the site; repeat for several
  --name         the WordPress site title; default: the id
  --service      blue, green or active (default: active, the stack's active color)
  --isolation    shared or dedicated (default: shared; dedicated: pods, index and settings of its own)
  --canonical    the hostname WordPress redirects to, one of the --host; default: the first --host
  --dry-run      check and print the file, write nothing`;
}

/** Parses the command line; throws UsageError on bad arguments (tools/cli.ts). */
export function parseSiteNewArgs(argv: readonly string[]): NewSite & { dryRun: boolean } {
    const { values, positionals } = readCommandLine(
        argv,
        {
            stack: { type: "string", needs: "a stack name" },
            theme: { type: "string", needs: "a theme slug" },
            host: { type: "string", multiple: true, needs: "a hostname" },
            name: { type: "string", needs: "a site title" },
            service: { type: "string", needs: "blue, green or active" },
            isolation: { type: "string", needs: "shared or dedicated" },
            canonical: { type: "string", needs: "a hostname" },
            "dry-run": { type: "boolean" },
        },
        { positionals: true },
    );
    const problems: string[] = [];
    if (positionals.length === 0) problems.push("the site id is missing (the first argument)");
    if (positionals.length > 1) problems.push(`one site id only, not ${positionals.map((p) => JSON.stringify(p)).join(", ")}`);
    if (values.stack === undefined) problems.push("--stack is required");
    if (values.theme === undefined) problems.push("--theme is required");
    if (values.host === undefined || values.host.length === 0) problems.push("--host is required (at least one hostname)");
    if (problems.length > 0) throw new UsageError(problems.join("; "));
    return {
        id: positionals[0] ?? "",
        stack: values.stack ?? "",
        theme: values.theme ?? "",
        hostnames: values.host ?? [],
        name: values.name,
        service: values.service,
        isolation: values.isolation,
        canonicalHostname: values.canonical,
        dryRun: values["dry-run"] === true,
    };
}

/** The fields written to the file, in the order of DESIGN.md; optional ones only when given. */
function siteFields(site: NewSite): Record<string, unknown> {
    const fields: Record<string, unknown> = {
        id: site.id,
        name: site.name ?? site.id,
        theme: site.theme,
        hostnames: [...site.hostnames],
    };
    if (site.canonicalHostname !== undefined) fields.canonicalHostname = site.canonicalHostname;
    if (site.service !== undefined) fields.service = site.service;
    if (site.isolation !== undefined) fields.isolation = site.isolation;
    return fields;
}

/** The text of the new site file: the schema line for editors, then the fields. */
export function siteFileText(site: NewSite, sitesDir: string, root: string = ROOT): string {
    const doc = new Document(siteFields(site));
    // Prettier's style (npm run lint checks site files too): a title holding a double quote goes in single quotes.
    const name = doc.get("name", true);
    if (isScalar(name) && String(name.value).includes('"')) name.type = Scalar.QUOTE_SINGLE;
    return `${schemaLine(sitesDir, root)}\n${doc.toString({ lineWidth: 0 })}`;
}

/** The command-line option a field of the file comes from, for messages. */
function optionOf(field: string | undefined): string | undefined {
    if (field === undefined) return undefined;
    const top = field.replace(/\[.*$/, "");
    switch (top) {
        case "id":
            return "<id>";
        case "hostnames":
            return "--host";
        case "canonicalHostname":
            return "--canonical";
        default:
            return `--${top}`;
    }
}

/** A problem of the file not yet written: its field and the option it comes from, not a line. */
function newFileProblem(p: SiteProblem): string {
    const option = optionOf(p.field);
    return p.field === undefined ? p.message : `${p.field} (${option}): ${p.message}`;
}

function refusal(site: NewSite, shownFile: string, reasons: readonly string[]): SiteNewError {
    const count = `${reasons.length} problem${reasons.length === 1 ? "" : "s"}`;
    return new SiteNewError(
        [
            `site:new: cannot add site ${JSON.stringify(site.id)} to stack ${site.stack} (${shownFile}), ${count}:`,
            ...reasons.map((r) => `  ${r}`),
            "Nothing was written.",
        ].join("\n"),
    );
}

function exists(file: string): boolean {
    try {
        fs.lstatSync(file);
        return true;
    } catch {
        return false;
    }
}

/**
 * Checks the new site against the stack as the program would, and returns what to write.
 * Throws SiteNewError listing every reason to refuse; reads, never writes, the sites folder.
 */
export function planSite(site: NewSite, target: StackSites, options: { root?: string; cwd?: string } = {}): SitePlan {
    const root = options.root ?? ROOT;
    const cwd = options.cwd ?? process.cwd();
    const safeId = SITE_ID_PATTERN.test(site.id);
    // A bad id is reported, never used as a path: one with a separator would point elsewhere.
    const file = path.join(target.sitesDir, `${/^[^/\\\0]+$/.test(site.id) && site.id !== ".." ? site.id : "<id>"}.yaml`);
    const shownFile = shownPath(file, cwd);
    const text = siteFileText(site, target.sitesDir, root);

    // The file alone: every per-file rule of the loader, then the stack's allowed domains.
    const reasons: string[] = [];
    const parsed = parseSiteFile(shownFile, text);
    // One reason per bad id: "must equal the file's base name" only repeats it (the file is named after the id).
    const idProblems = parsed.problems.filter((p) => p.field === "id");
    reasons.push(...parsed.problems.filter((p) => p.field !== "id" || p === idProblems[0]).map(newFileProblem));
    if (target.allowedDomains.length > 0) {
        site.hostnames.forEach((host, i) => {
            if (isHostname(host) && !isUnderDomain(host, target.allowedDomains)) {
                // The loader's words for the same problem (test/site-tools.test.ts compares them).
                reasons.push(
                    `hostnames[${i}] (--host): ${JSON.stringify(host)} is not under a domain allowed on this stack (${target.allowedDomains.join(", ")})`,
                );
            }
        });
    }

    // The folder as it is: it must load, or the pull request fails whatever the new file holds.
    let existing: SiteSpec[];
    try {
        existing = loadSites(target.sitesDir, { allowedDomains: target.allowedDomains, previewDomain: target.previewDomain });
    } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        reasons.push(
            `the stack's sites folder has problems already; fix them first (npm run sites:check):\n    ${message.split("\n").join("\n    ")}`,
        );
        throw refusal(site, shownFile, reasons);
    }

    // Across the folder: the id and each hostname belong to one site.
    if (safeId) {
        const taken = [`${site.id}.yaml`, `${site.id}.yml`].map((name) => path.join(target.sitesDir, name)).find(exists);
        const other = existing.find((s) => s.id === site.id);
        if (taken !== undefined || other !== undefined) {
            const where = taken !== undefined ? shownPath(taken, cwd) : (other as SiteSpec).file;
            reasons.unshift(
                `id (<id>): ${JSON.stringify(site.id)} is taken: ${where} exists; choose another id (site:new never overwrites a file)`,
            );
        }
    }
    site.hostnames.forEach((host, i) => {
        const owner = existing.find((s) => s.hostnames.includes(host));
        if (owner !== undefined) {
            reasons.push(
                `hostnames[${i}] (--host): ${JSON.stringify(host)} is already a hostname of site ${JSON.stringify(owner.id)} (${owner.file}); a hostname routes to one site only`,
            );
        }
    });
    if (reasons.length > 0 || parsed.spec === undefined) throw refusal(site, shownFile, reasons);

    // The folder plus the new file, through the loader itself: the same cross-file rules as the
    // program, whatever they become. Run in a copy, so the real folder is never half-changed.
    const problems = loadWithNewFile(target, `${site.id}.yaml`, text);
    if (problems.length > 0) {
        const shownDir = shownPath(target.sitesDir, cwd);
        throw refusal(
            site,
            shownFile,
            problems.map((p) => formatSiteProblem(p).split(p.tempDir).join(shownDir)),
        );
    }
    return { file, shownFile, text, spec: parsed.spec };
}

/** loadSites on a copy of the folder holding the new file too; the problems name the copy's folder. */
function loadWithNewFile(target: StackSites, name: string, text: string): (SiteProblem & { tempDir: string })[] {
    const temp = fs.mkdtempSync(path.join(os.tmpdir(), "wp-site-new-"));
    const copy = path.join(temp, path.basename(target.sitesDir));
    try {
        fs.mkdirSync(copy);
        for (const entry of fs.readdirSync(target.sitesDir)) {
            if (!/\.ya?ml$/i.test(entry)) continue;
            fs.copyFileSync(path.join(target.sitesDir, entry), path.join(copy, entry));
        }
        fs.writeFileSync(path.join(copy, name), text, { flag: "wx" });
        loadSites(copy, { allowedDomains: target.allowedDomains, previewDomain: target.previewDomain });
        return [];
    } catch (e) {
        if (!(e instanceof SiteFileError)) throw e;
        const tempDir = shownPath(copy);
        return e.problems.map((p) => ({ ...p, tempDir }));
    } finally {
        fs.rmSync(temp, { recursive: true, force: true });
    }
}

/** Writes the planned file; never overwrites (a file that appeared since the check is refused). */
export function writeSite(plan: SitePlan): void {
    try {
        fs.writeFileSync(plan.file, plan.text, { flag: "wx" });
    } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === "EEXIST") throw new SiteNewError(`site:new: ${plan.shownFile} exists; it was not overwritten. Nothing was written.`);
        throw new SiteNewError(`site:new: cannot write ${plan.shownFile} (${code ?? String(e)}). Nothing was written.`);
    }
}

/** What to do once the file is written. */
export function nextSteps(plan: SitePlan, stack: string): string {
    const { id } = plan.spec;
    // The Secret of the site index that holds the site's settings: index.ts names the component
    // "site-index", and the component each Secret "<name>-settings-<shard>" (components/site-index.ts).
    const shard = settingsShard(id);
    const deploy =
        stack === "prod"
            ? "After the merge, a prod update is run by hand: Actions, deploy, Run workflow, stack prod; a reviewer approves it (docs/ci.md)."
            : stack === "stg"
              ? "Merging the pull request runs `pulumi up --stack stg` (the deploy workflow): it creates the site and installs WordPress."
              : `After the merge, \`pulumi up --stack ${stack}\` creates the site and installs WordPress.`;
    return `Next steps:
  1. Commit it on a branch:
       git switch -c add-site-${id}
       git add ${plan.shownFile}
       git commit -m "Add site ${id} to ${stack}"
  2. Push and open a pull request. CI checks the site files and comments \`pulumi preview --stack ${stack}\`
     on it; to preview from here: pulumi preview --stack ${stack}
  3. The preview should show only creates under the new wp-platform:index:Site "${id}" (its database,
     user and grant, passwords and salts, Secrets Manager and Kubernetes secrets, IAM role and policy
     and the Jobs' ServiceAccount, the install, activate-theme, upgrade-db, verify and flush-caches Jobs,
     its Ingress and, where the stack sets release.previewDomain, its preview Ingress; with an edge, its
     distribution tenant, the policy to invalidate it and, with a Route 53 zone, its DNS records),
     plus two updates in place: the site-index ConfigMap, which gains the site's hostnames, and the Secret
     site-index-settings-${shard} (Kubernetes name ${settingsSecretName(shard)}), which gains the site's settings.
     No replace, no delete, no other site: if the preview shows any, stop and find out why before merging.
  4. ${deploy}`;
}

export interface SiteNewIo {
    readonly root?: string;
    readonly cwd?: string;
    readonly out?: (text: string) => void;
    readonly err?: (text: string) => void;
}

/** The command: returns the exit code: 0 written (or --dry-run), 1 refused, 2 usage error. */
export function runSiteNew(argv: readonly string[], io: SiteNewIo = {}): number {
    const root = io.root ?? ROOT;
    const cwd = io.cwd ?? process.cwd();
    const out = io.out ?? ((text: string) => console.log(text));
    const err = io.err ?? ((text: string) => console.error(text));
    const line = commandLine({ tool: "site:new", usage: usage(root) }, argv, parseSiteNewArgs, { out, err });
    if ("exitCode" in line) return line.exitCode;
    const { args } = line;
    try {
        let target: StackSites;
        try {
            target = stackSites(args.stack, root);
        } catch (e) {
            throw new SiteNewError(`site:new: stack ${args.stack}: ${(e as Error).message}`);
        }
        const plan = planSite(args, target, { root, cwd });
        const warning = themeWarning(plan.shownFile, plan.text, plan.spec.theme, shippedThemes(root));
        if (warning !== undefined) err(warning);
        if (args.dryRun) {
            out(`Dry run: ${plan.shownFile} would be written as:\n\n${plan.text}`);
            return 0;
        }
        writeSite(plan);
        const defaulted =
            args.name === undefined
                ? `\nThe site title is the id, ${JSON.stringify(args.id)} (no --name): edit \`name:\` in the file to change it.\n`
                : "";
        out(`Wrote ${plan.shownFile}:\n\n${plan.text}${defaulted}\n${nextSteps(plan, args.stack)}`);
        return 0;
    } catch (e) {
        if (e instanceof SiteNewError) {
            err(e.message);
            return 1;
        }
        throw e;
    }
}

if (require.main === module) {
    process.exitCode = runSiteNew(process.argv.slice(2));
}
