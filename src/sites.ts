// Loads and validates the site files of one stack (sites/<stack>/<id>.yaml).
//
// Creates no resources: the program calls loadSites before it registers anything, so a bad file
// stops `pulumi up` with every problem listed instead of deleting or half-creating a site.
//
// The rules (src/site-rules.ts), the schema (src/site-schema.ts), the YAML reading with positions
// (src/site-yaml.ts), the folder reading (src/site-folder.ts) and the problems (src/site-problems.ts)
// each have their file; this one applies them to one file and then across the files of a stack.
import * as fs from "fs";
import * as path from "path";
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { locate, location, positionAt, schemaProblems } from "./diagnostics";
import { describeKind, errorCode, readSiteFile, tooLargeMessage } from "./site-folder";
import { byLine, displayPath, SiteFileError, type SiteProblem } from "./site-problems";
import { describeValue, isUnderDomain, MAX_SITE_FILE_BYTES, normalizeDomain, quote } from "./site-rules";
import { hostnamesHint, type Isolation, type Service, siteFileSchema, unknownFieldMessage } from "./site-schema";
import { checkNodes, duplicateKeyAt, fieldName, locateKey, oneLine, yamlErrorMessage } from "./site-yaml";
import { compareText } from "./text";

export { formatSiteProblem, SiteFileError, type SiteProblem } from "./site-problems";
export { isHostname, isUnderDomain, MAX_SITE_FILE_BYTES, MAX_SITE_ID_LENGTH, RESERVED_SITE_IDS, SITE_ID_PATTERN } from "./site-rules";
export { ISOLATIONS, type Isolation, SERVICES, type Service, type SiteFile, siteFileSchema } from "./site-schema";
export { fieldPosition } from "./site-yaml";

const SITE_FILE_NAME = /\.ya?ml$/i;

export interface SiteSpec {
    readonly id: string;
    readonly name: string;
    readonly theme: string;
    readonly hostnames: readonly string[];
    /** Resolved: defaults to hostnames[0]. */
    readonly canonicalHostname: string;
    /** Resolved: defaults to "active". */
    readonly service: Service;
    /** Resolved: defaults to "shared". A dedicated site is served by pods of its own (components/site.ts). */
    readonly isolation: Isolation;
    /** The file's path as shown in messages. */
    readonly file: string;
}

export interface LoadSitesOptions {
    /** When non-empty, every hostname must equal one of these domains or be under one. */
    readonly allowedDomains?: readonly string[];
    /**
     * The stack's `release.previewDomain`: no hostname may equal it or be under it, since the
     * platform serves `<id>.<previewDomain>` itself (two Ingresses would claim one host).
     */
    readonly previewDomain?: string;
}

interface Located {
    readonly value: string;
    readonly field: string;
    readonly line?: number;
    readonly column?: number;
}

interface FileAnalysis {
    readonly file: string;
    readonly problems: SiteProblem[];
    readonly spec?: SiteSpec;
    /** What the cross-file checks need, known even when the file has other problems. */
    readonly id?: Located;
    readonly hostnames: readonly Located[];
}

/** The base name of a site file without .yaml / .yml: what its id must be. */
function baseId(file: string): string {
    return path.basename(file).replace(SITE_FILE_NAME, "");
}

function analyzeText(file: string, text: string): FileAnalysis {
    const problems: SiteProblem[] = [];
    const noFacts = (): FileAnalysis => ({ file, problems: problems.sort(byLine), hostnames: [] });

    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });

    for (const error of doc.errors) {
        const position = positionAt(lineCounter, error.pos[0]);
        if (error.code === "DUPLICATE_KEY") {
            const key = duplicateKeyAt(doc, error.pos[0]);
            const first = key === undefined ? undefined : locateKey(doc, lineCounter, key);
            problems.push({
                file,
                ...position,
                field: key,
                message: `is given twice${first !== undefined ? ` (first on line ${first.line})` : ""}; each field may appear once`,
            });
        } else {
            problems.push({ file, ...position, message: yamlErrorMessage(error.code, error.message) });
        }
    }
    for (const warning of doc.warnings) {
        if (warning.code === "TAG_RESOLVE_FAILED") continue; // reported as a tag below
        problems.push({ file, ...positionAt(lineCounter, warning.pos[0]), message: `YAML: ${oneLine(warning.message)}` });
    }
    // Anchors, aliases and tags: nobody needs them in a site file, and refusing them keeps a file
    // meaning what it shows (no alias expansion, no custom types).
    checkNodes(doc.contents, { file, text, lineCounter, problems });
    if (problems.length > 0) return noFacts();

    const root = doc.contents;
    if (root === null) {
        problems.push({ file, message: "is empty; a site file is a YAML mapping with id, name, theme and hostnames" });
        return noFacts();
    }
    if (!isMap(root)) {
        const at = root.range ? positionAt(lineCounter, root.range[0]) : undefined;
        const found = isSeq(root) ? "a list" : describeValue(isScalar(root) ? root.value : undefined);
        problems.push({ file, ...at, message: `must be a YAML mapping of fields (id: ..., name: ...), not ${found}` });
        return noFacts();
    }

    const data: unknown = doc.toJS();
    const result = siteFileSchema.safeParse(data);
    const fields = data as Record<string, unknown>;
    if (!result.success) {
        for (const found of schemaProblems(siteFileSchema, data, result.error.issues)) {
            if (found.kind === "unknown key") {
                // Only the top level is an object: an unknown key is an unknown field.
                const { key } = found;
                problems.push({ file, ...locateKey(doc, lineCounter, key), field: key, message: unknownFieldMessage(key) });
            } else {
                // The schema knows no file: a missing hostnames gets an example made of the file's id.
                const missingHostnames = found.keyPath.length === 1 && found.keyPath[0] === "hostnames" && found.value === undefined;
                const message = missingHostnames ? `is required: ${hostnamesHint(baseId(file))}` : found.message;
                problems.push({ file, ...locate(doc, lineCounter, found.keyPath), field: fieldName(found.keyPath), message });
            }
        }
    }

    let id: Located | undefined;
    if (typeof fields.id === "string") {
        id = { value: fields.id, field: "id", ...locate(doc, lineCounter, ["id"]) };
        const expected = baseId(file);
        if (fields.id !== expected) {
            problems.push({
                file,
                line: id.line,
                column: id.column,
                field: "id",
                message:
                    `${quote(fields.id)} must equal the file's base name ${quote(expected)}; ` +
                    "rename the file or fix the id (the id is permanent: it is in resource names and URNs)",
            });
        }
    }
    const hostnames: Located[] = [];
    if (Array.isArray(fields.hostnames)) {
        // Only well-formed hostnames take part in the checks across sites; the others are reported already.
        const refused = new Set<unknown>(
            result.success ? [] : result.error.issues.filter((i) => i.path[0] === "hostnames").map((i) => i.path[1]),
        );
        fields.hostnames.forEach((host: unknown, i) => {
            if (typeof host === "string" && !refused.has(i)) {
                hostnames.push({ value: host, field: `hostnames[${i}]`, ...locate(doc, lineCounter, ["hostnames", i]) });
            }
        });
    }

    let spec: SiteSpec | undefined;
    if (result.success && problems.length === 0) {
        const site = result.data;
        spec = Object.freeze({
            id: site.id,
            name: site.name,
            theme: site.theme,
            hostnames: Object.freeze([...site.hostnames]),
            canonicalHostname: site.canonicalHostname ?? site.hostnames[0],
            service: site.service ?? "active",
            isolation: site.isolation ?? "shared",
            file,
        });
    }
    return { file, problems: problems.sort(byLine), spec, id, hostnames };
}

/** Validates the text of one file (per-file rules only; no folder, allowed domains, or other sites). */
export function parseSiteFile(file: string, text: string): { spec?: SiteSpec; problems: SiteProblem[] } {
    const bytes = Buffer.byteLength(text, "utf8");
    if (bytes > MAX_SITE_FILE_BYTES) return { problems: [{ file, message: tooLargeMessage(bytes) }] };
    const { spec, problems } = analyzeText(file, text);
    return spec !== undefined ? { spec, problems } : { problems };
}

/**
 * Entries of a sites folder that are not site files and are no mistake: dotfiles (`.gitkeep`) and
 * README.md. A dotfile named like a site file (`.shop.yaml`) is still read as one.
 */
function isLeftAlone(name: string): boolean {
    return !SITE_FILE_NAME.test(name) && (name.startsWith(".") || name === "README.md");
}

/**
 * Any other entry is refused rather than skipped: a site file moved into a subfolder or renamed
 * (`shop.yaml.bak`) would otherwise stop being read, and the program would delete its site.
 */
function notASiteFile(file: string, shownDir: string, entry: fs.Dirent): SiteProblem {
    const message = entry.isDirectory()
        ? "is a folder; site files are read from the sites folder itself, never from a subfolder, so a site whose file " +
          `moved there would be deleted: move it out of ${shownDir}, and put site files directly in it as <id>.yaml`
        : "is not a site file (<id>.yaml or <id>.yml) and the sites folder holds nothing else but dotfiles and README.md; " +
          `a site whose file was renamed this way would be deleted: move it out of ${shownDir} or name it <id>.yaml`;
    return { file, message };
}

function at(fact: Located, file: string): string {
    return location(file, fact.line, fact.column);
}

/**
 * Reads every *.yaml / *.yml of `dir`, validates all of them, returns specs sorted by id.
 * Throws one SiteFileError listing every problem of every file, and every other entry of the
 * folder but dotfiles and README.md.
 */
export function loadSites(dir: string, options: LoadSitesOptions = {}): SiteSpec[] {
    const shownDir = displayPath(dir);
    const where = `the site files of ${shownDir}`;
    let stat: fs.Stats;
    try {
        stat = fs.statSync(dir);
    } catch (e) {
        // Never zero sites: a program that completes without its sites deletes them all.
        const message =
            errorCode(e) === "ENOENT"
                ? `the sites folder does not exist (${path.resolve(dir)}); create it or set wp-platform:sitesDir ` +
                  "(a missing folder is never read as zero sites, which would delete every site)"
                : `the sites folder cannot be read (${errorCode(e)})`;
        throw new SiteFileError([{ file: shownDir, message }], where);
    }
    if (!stat.isDirectory()) {
        const kind = stat.isFile() ? "a file" : describeKind(stat);
        throw new SiteFileError([{ file: shownDir, message: `is ${kind}, not a folder of site files` }], where);
    }
    let realDir: string;
    let entries: fs.Dirent[];
    try {
        realDir = fs.realpathSync(dir);
        entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
        throw new SiteFileError([{ file: shownDir, message: `the sites folder cannot be read (${errorCode(e)})` }], where);
    }
    // Sorted by code unit, not locale: the result must not depend on the directory or the machine.
    const sorted = entries.filter((e) => !isLeftAlone(e.name)).sort((a, b) => compareText(a.name, b.name));

    const analyses: FileAnalysis[] = sorted.map((entry) => {
        const file = path.join(shownDir, entry.name);
        if (!SITE_FILE_NAME.test(entry.name)) return { file, problems: [notASiteFile(file, shownDir, entry)], hostnames: [] };
        const filePath = path.join(dir, entry.name);
        const { text, problem } = readSiteFile(realDir, filePath, file, entry.isSymbolicLink());
        return text !== undefined ? analyzeText(file, text) : { file, problems: [problem as SiteProblem], hostnames: [] };
    });

    const allowedDomains = (options.allowedDomains ?? []).map(normalizeDomain).filter((d) => d.length > 0);
    const previewDomain = options.previewDomain ? normalizeDomain(options.previewDomain) : undefined;
    const ids = new Map<string, { fact: Located; file: string }>();
    const hosts = new Map<string, { fact: Located; file: string; id: string }>();
    const problems: SiteProblem[] = [];
    for (const analysis of analyses) {
        const { file } = analysis;
        const found = [...analysis.problems];
        if (analysis.id !== undefined) {
            const first = ids.get(analysis.id.value);
            if (first === undefined) {
                ids.set(analysis.id.value, { fact: analysis.id, file });
            } else {
                found.push({
                    file,
                    line: analysis.id.line,
                    column: analysis.id.column,
                    field: "id",
                    message:
                        `${quote(analysis.id.value)} is also the id of ${at(first.fact, first.file)}; ` +
                        `one file per site (remove one of ${first.file} and ${file})`,
                });
            }
        }
        for (const host of analysis.hostnames) {
            const first = hosts.get(host.value);
            if (first === undefined) {
                hosts.set(host.value, { fact: host, file, id: analysis.id?.value ?? baseId(file) });
            } else {
                found.push({
                    file,
                    line: host.line,
                    column: host.column,
                    field: host.field,
                    message:
                        `${quote(host.value)} is also a hostname of site ${quote(first.id)} (${at(first.fact, first.file)}); ` +
                        "a hostname routes to one site only",
                });
            }
            if (previewDomain && isUnderDomain(host.value, [previewDomain])) {
                found.push({
                    file,
                    line: host.line,
                    column: host.column,
                    field: host.field,
                    message:
                        `${quote(host.value)} is under the stack's preview domain ${previewDomain} (release.previewDomain), ` +
                        "where the platform serves <id>." +
                        `${previewDomain} on the other color itself: two Ingresses would claim one host; use a hostname outside it`,
                });
            }
            if (allowedDomains.length > 0 && !isUnderDomain(host.value, allowedDomains)) {
                found.push({
                    file,
                    line: host.line,
                    column: host.column,
                    field: host.field,
                    message: `${quote(host.value)} is not under a domain allowed on this stack (${allowedDomains.join(", ")})`,
                });
            }
        }
        problems.push(...found.sort(byLine));
    }
    if (problems.length > 0) throw new SiteFileError(problems, where);

    return analyses.map((a) => a.spec as SiteSpec).sort((a, b) => compareText(a.id, b.id));
}
