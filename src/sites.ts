// Loads and validates the site files of one stack (sites/<stack>/<id>.yaml).
//
// Creates no resources: the program calls loadSites before it registers anything, so a bad file
// stops `pulumi up` with every problem listed instead of deleting or half-creating a site.
import * as fs from "fs";
import * as path from "path";
import { Document, isAlias, isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from "yaml";
import { z } from "zod";
import { compareText, editDistance } from "./text";

export const SERVICES = ["blue", "green", "active"] as const;
export type Service = (typeof SERVICES)[number];

export interface SiteSpec {
    readonly id: string;
    readonly name: string;
    readonly theme: string;
    readonly hostnames: readonly string[];
    /** Resolved: defaults to hostnames[0]. */
    readonly canonicalHostname: string;
    /** Resolved: defaults to "active". */
    readonly service: Service;
    /** The file's path as shown in messages. */
    readonly file: string;
}

export interface SiteProblem {
    readonly file: string;
    readonly line?: number;
    readonly column?: number;
    readonly field?: string;
    readonly message: string;
}

export interface LoadSitesOptions {
    /** When non-empty, every hostname must equal one of these domains or be under one. */
    readonly allowedDomains?: readonly string[];
}

export const MAX_SITE_ID_LENGTH = 24;
/** 1 to 24 lowercase letters, digits and hyphens, starting with a letter, not ending with a hyphen. */
export const SITE_ID_PATTERN = new RegExp(`^[a-z](?:[a-z0-9-]{0,${MAX_SITE_ID_LENGTH - 2}}[a-z0-9])?$`);

// Why each id is reserved; the id is in resource names and URNs, so a clash cannot be fixed later.
const RESERVED_REASONS: Readonly<Record<string, string>> = {
    platform: "it names the platform component",
    release: "it names the release component",
    blue: "it names the blue Deployment and Service",
    green: "it names the green Deployment and Service",
    active: "it names the active service that routes to the current color",
    canary: "it names the canary record of the release",
    preview: "it reads as a preview environment, not a site",
    default: "it reads as the default site or namespace",
    www: "it reads as a hostname label, not a site",
    admin: "it reads as an administration endpoint",
    "kube-system": "it names a Kubernetes system namespace",
};
export const RESERVED_SITE_IDS: readonly string[] = Object.freeze(Object.keys(RESERVED_REASONS));

export const MAX_SITE_FILE_BYTES = 64 * 1024;
const MAX_NAME_LENGTH = 200;
const MAX_THEME_LENGTH = 64;
const THEME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
const MAX_HOSTNAME_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
const LABEL_PATTERN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
// For the generated JSON Schema only; the checks below give the precise message.
const HOSTNAME_PATTERN_SOURCE = "^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$";
const SITE_FILE_NAME = /\.ya?ml$/i;

const ID_RULE = `1 to ${MAX_SITE_ID_LENGTH} lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen`;
const HOSTNAME_RULE = "a lowercase DNS name: labels of 1-63 a-z, 0-9 and hyphens, separated by dots";

/** Why `id` is not a valid site id (file name aside), or undefined when it is. */
function siteIdProblem(id: string): string | undefined {
    const shown = quote(id);
    if (id.length === 0) return `must not be empty; an id is ${ID_RULE}`;
    if (id.length > MAX_SITE_ID_LENGTH) {
        return `${shown} is ${id.length} characters; an id is ${ID_RULE}`;
    }
    if (/[^a-z0-9-]/.test(id)) {
        return /^[a-z0-9-]+$/.test(id.toLowerCase())
            ? `${shown} must be lowercase (${quote(id.toLowerCase())}); an id is ${ID_RULE}`
            : `${shown} may hold only lowercase letters, digits and hyphens; an id is ${ID_RULE}`;
    }
    if (!/^[a-z]/.test(id)) return `${shown} must start with a letter; an id is ${ID_RULE}`;
    if (id.endsWith("-")) return `${shown} must not end with a hyphen; an id is ${ID_RULE}`;
    const reason = RESERVED_REASONS[id];
    if (reason !== undefined) {
        return `${shown} is reserved: ${reason}, which would be confusing or clash with platform objects; choose another id`;
    }
    return undefined;
}

/** Why `host` is not an acceptable site hostname, or undefined when it is. */
function hostnameProblem(host: string): string | undefined {
    const shown = quote(host);
    if (host.length === 0) return `must not be empty; a hostname is ${HOSTNAME_RULE}`;
    if (host.includes("*")) return `${shown}: wildcards are not allowed; list each hostname`;
    if (/[\s/:@?#]/.test(host)) return `${shown} must be a bare hostname, without scheme, port, path or spaces`;
    if (/[^\x00-\x7f]/.test(host)) return `${shown} has non-ASCII characters; write its punycode form (xn--...)`;
    if (host !== host.toLowerCase()) return `${shown} must be lowercase: write ${quote(host.toLowerCase())}`;
    if (host.length > MAX_HOSTNAME_LENGTH) {
        return `${shown} is ${host.length} characters; a hostname has at most ${MAX_HOSTNAME_LENGTH}`;
    }
    if (host.endsWith(".")) return `${shown} must not end with a dot`;
    const labels = host.split(".");
    if (labels.length < 2) return `${shown} must have at least two labels, such as ${host}.example.com`;
    for (const label of labels) {
        if (label.length === 0) return `${shown} has an empty label (a leading dot or two dots in a row)`;
        if (label.length > MAX_LABEL_LENGTH) {
            return `${shown} has a label of ${label.length} characters; a label has at most ${MAX_LABEL_LENGTH}`;
        }
        if (!LABEL_PATTERN.test(label)) {
            return /^[a-z0-9-]+$/.test(label)
                ? `${shown}: label ${quote(label)} must not start or end with a hyphen`
                : `${shown}: label ${quote(label)} may hold only a-z, 0-9 and hyphens`;
        }
    }
    return undefined;
}

/** True when `s` is a lowercase DNS name a site may use (no wildcard, at least two labels). */
export function isHostname(s: string): boolean {
    return typeof s === "string" && hostnameProblem(s) === undefined;
}

function normalizeDomain(domain: string): string {
    return domain
        .trim()
        .toLowerCase()
        .replace(/^\.+|\.+$/g, "");
}

/** True when `host` equals one of `domains` or is under one (`a.example.com` is under `example.com`, `badexample.com` is not). */
export function isUnderDomain(host: string, domains: readonly string[]): boolean {
    const h = normalizeDomain(host);
    return domains.some((d) => {
        const domain = normalizeDomain(d);
        return domain.length > 0 && (h === domain || h.endsWith(`.${domain}`));
    });
}

// ---------------------------------------------------------------------------------------------
// The schema: the single source of truth for a site file; a JSON Schema is generated from it.

function quote(s: string): string {
    const shown = s.length > 60 ? `${s.slice(0, 57)}...` : s;
    return JSON.stringify(shown);
}

function describeValue(v: unknown): string {
    if (v === null) return "an empty value";
    if (Array.isArray(v)) return "a list";
    if (v instanceof Date) return "a date";
    switch (typeof v) {
        case "string":
            return `the text ${quote(v)}`;
        case "number":
        case "bigint":
            return `the number ${String(v)}`;
        case "boolean":
            return `the boolean ${String(v)}`;
        case "object":
            return "a mapping";
        default:
            return typeof v;
    }
}

/** A zod error function: "is required" for a missing field, else "must be <expected>, not <found>". */
function typeError(expected: string, requiredHint: string) {
    return (issue: { input?: unknown }): string => {
        const found = issue.input;
        if (found === undefined) return `is required: ${requiredHint}`;
        const quoteHint =
            expected.includes("string") && (typeof found === "number" || typeof found === "boolean") ? "; put the value in quotes" : "";
        return `must be ${expected}, not ${describeValue(found)}${quoteHint}`;
    };
}

function checked(check: (s: string) => string | undefined) {
    return (value: string, ctx: z.RefinementCtx<string>): void => {
        const message = check(value);
        if (message !== undefined) ctx.addIssue({ code: "custom", message });
    };
}

function codePoints(s: string): number {
    let n = 0;
    for (const _ of s) n++;
    return n;
}

const hostnameSchema = z
    .string({ error: typeError("a hostname (a string)", HOSTNAME_RULE) })
    .superRefine(checked(hostnameProblem))
    .meta({
        description: `A hostname served by the site: ${HOSTNAME_RULE}; at least two labels, at most 253 characters, no wildcard.`,
        pattern: HOSTNAME_PATTERN_SOURCE,
        maxLength: MAX_HOSTNAME_LENGTH,
        examples: ["rrr.cloud2-stg.example.com"],
    });

export const siteFileSchema = z
    .strictObject({
        id: z
            .string({ error: typeError("a string", `the site id, equal to the file's base name (${ID_RULE})`) })
            .superRefine(checked(siteIdProblem))
            .meta({
                description:
                    `The site id: ${ID_RULE}; equals the file's base name. Permanent: it is in resource names and URNs. ` +
                    `Reserved: ${RESERVED_SITE_IDS.join(", ")}.`,
                pattern: SITE_ID_PATTERN.source,
                minLength: 1,
                maxLength: MAX_SITE_ID_LENGTH,
                not: { enum: [...RESERVED_SITE_IDS] },
                examples: ["rrr"],
            }),
        name: z
            .string({ error: typeError("a string", "the WordPress site title") })
            .superRefine(
                checked((name) => {
                    if (name.trim().length === 0) return "must not be empty; it is the WordPress site title";
                    // The title lands in HTML, feeds and logs: one line of printable text.
                    if (/[\u0000-\u001f\u007f]/.test(name)) {
                        return "must be one line of text, without control characters such as tabs or line breaks";
                    }
                    const length = codePoints(name);
                    if (length > MAX_NAME_LENGTH) {
                        return `is ${length} characters; a site title has at most ${MAX_NAME_LENGTH}`;
                    }
                    return undefined;
                }),
            )
            .meta({
                description: `The WordPress site title, free text of 1 to ${MAX_NAME_LENGTH} characters.`,
                minLength: 1,
                maxLength: MAX_NAME_LENGTH,
                examples: ["Project Bluelaunch | rrr"],
            }),
        theme: z
            .string({ error: typeError("a string", "the slug of the WordPress theme to install and activate") })
            .superRefine(
                checked((theme) => {
                    if (theme.length > MAX_THEME_LENGTH) {
                        return `${quote(theme)} is ${theme.length} characters; a theme slug has at most ${MAX_THEME_LENGTH}`;
                    }
                    if (!THEME_PATTERN.test(theme)) {
                        return (
                            `${quote(theme)} is not a WordPress theme slug: ` +
                            "lowercase letters, digits, hyphens and underscores, starting with a letter or digit"
                        );
                    }
                    return undefined;
                }),
            )
            .meta({
                description: "The slug of the WordPress theme, installed and activated on the site.",
                pattern: THEME_PATTERN.source,
                minLength: 1,
                maxLength: MAX_THEME_LENGTH,
                examples: ["astra"],
            }),
        hostnames: z
            .array(hostnameSchema, {
                error: typeError("a list of hostnames", "a list of one or more hostnames, such as [rrr.example.com]"),
            })
            .min(1, "must list at least one hostname")
            .superRefine(
                (hostnames: unknown, ctx) => {
                    if (!Array.isArray(hostnames)) return;
                    const first = new Map<string, number>();
                    hostnames.forEach((host: unknown, i) => {
                        if (typeof host !== "string") return;
                        const seen = first.get(host);
                        if (seen === undefined) {
                            first.set(host, i);
                        } else {
                            ctx.addIssue({
                                code: "custom",
                                path: [i],
                                message: `${quote(host)} is listed twice (also hostnames[${seen}]); list each hostname once`,
                            });
                        }
                    });
                },
                // Report duplicates even when another hostname of the list is invalid.
                { when: () => true },
            )
            .meta({
                description: "The hostnames of the site, one or more; no hostname twice, and none used by another site of the stack.",
                uniqueItems: true,
            }),
        canonicalHostname: z
            .string({ error: typeError("a string", "one of hostnames") })
            .optional()
            .meta({
                description: "The hostname WordPress redirects to; one of hostnames. Default: the first of hostnames.",
                pattern: HOSTNAME_PATTERN_SOURCE,
                maxLength: MAX_HOSTNAME_LENGTH,
                examples: ["rrr.cloud2-stg.example.com"],
            }),
        service: z
            .enum(SERVICES, {
                error: (issue) => `must be one of ${SERVICES.join(", ")}, not ${describeValue(issue.input)}`,
            })
            .optional()
            .meta({
                description: "Which release color serves the site: blue, green, or active (the current color). Default: active.",
                default: "active",
            }),
    })
    .superRefine(
        (file: unknown, ctx) => {
            if (typeof file !== "object" || file === null) return;
            const { hostnames, canonicalHostname } = file as Record<string, unknown>;
            if (typeof canonicalHostname !== "string" || !Array.isArray(hostnames)) return;
            if (!hostnames.includes(canonicalHostname)) {
                const listed = hostnames.filter((h): h is string => typeof h === "string").join(", ");
                ctx.addIssue({
                    code: "custom",
                    path: ["canonicalHostname"],
                    message: `${quote(canonicalHostname)} must be one of hostnames (${listed})`,
                });
            }
        },
        // Check the canonical hostname even when another field is wrong: all problems at once.
        { when: () => true },
    )
    .meta({
        title: "wp-platform site file",
        description: "One WordPress site of a stack: sites/<stack>/<id>.yaml.",
    });

export type SiteFile = z.infer<typeof siteFileSchema>;

const SITE_FIELDS: readonly string[] = Object.keys(siteFileSchema.shape);
const FIELD_ALIASES: Readonly<Record<string, string>> = {
    title: "name",
    hosts: "hostnames",
    domain: "hostnames",
    domains: "hostnames",
    canonical: "canonicalHostname",
    color: "service",
    colour: "service",
    template: "theme",
};

/** The known field an unknown key most likely meant, if any. */
function suggestField(key: string): string | undefined {
    const norm = (s: string) => s.toLowerCase().replace(/[-_\s]/g, "");
    const k = norm(key);
    if (FIELD_ALIASES[k] !== undefined) return FIELD_ALIASES[k];
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const field of SITE_FIELDS) {
        const f = norm(field);
        const distance = k.length >= 3 && f.startsWith(k) ? 1 : editDistance(k, f);
        if (distance < k.length && distance <= Math.max(2, Math.floor(f.length / 3)) && distance < bestDistance) {
            best = field;
            bestDistance = distance;
        }
    }
    return best;
}

function unknownFieldMessage(key: string): string {
    const suggestion = suggestField(key);
    const allowed = `allowed fields: ${SITE_FIELDS.join(", ")}`;
    return suggestion !== undefined ? `unknown field; did you mean ${quote(suggestion)}? (${allowed})` : `unknown field; ${allowed}`;
}

// ---------------------------------------------------------------------------------------------
// Problems and the error that lists them.

function location(file: string, line?: number, column?: number): string {
    if (line === undefined) return file;
    return column === undefined ? `${file}:${line}` : `${file}:${line}:${column}`;
}

/** One problem as `<file>:<line>:<column>: <field>: <message>`, leaving out the parts that are unknown. */
export function formatSiteProblem(p: SiteProblem): string {
    const where = location(p.file, p.line, p.column);
    return p.field !== undefined ? `${where}: ${p.field}: ${p.message}` : `${where}: ${p.message}`;
}

export class SiteFileError extends Error {
    readonly problems: readonly SiteProblem[];

    /** `where` completes the first line: "3 problems in <where>:". */
    constructor(problems: readonly SiteProblem[], where = "the site files") {
        const count = `${problems.length} problem${problems.length === 1 ? "" : "s"}`;
        super([`${count} in ${where}:`, ...problems.map(formatSiteProblem)].join("\n"));
        this.name = "SiteFileError";
        this.problems = Object.freeze([...problems]);
    }
}

/** Paths relative to the working directory when under it (as an operator types them), else absolute. */
function displayPath(p: string): string {
    const absolute = path.resolve(p);
    const relative = path.relative(process.cwd(), absolute);
    if (relative === "") return ".";
    return isOutside(relative) ? absolute : relative;
}

function isOutside(relative: string): boolean {
    return relative === ".." || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
}

function byLine(a: SiteProblem, b: SiteProblem): number {
    return (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0);
}

// ---------------------------------------------------------------------------------------------
// One file.

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

type Position = { line?: number; column?: number };

function positionAt(lineCounter: LineCounter, offset: number): Position {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
}

/** The position of the node at `path`: the value, or its key when the value is empty or missing. */
function locate(doc: Document, lineCounter: LineCounter, fieldPath: readonly PropertyKey[]): Position {
    let node: unknown = doc.contents;
    let keyNode: unknown;
    for (const segment of fieldPath) {
        if (isMap(node)) {
            const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
            if (pair === undefined) return {};
            keyNode = pair.key;
            node = pair.value;
        } else if (isSeq(node) && typeof segment === "number" && segment < node.items.length) {
            keyNode = undefined;
            node = node.items[segment];
        } else {
            return {};
        }
    }
    for (const candidate of [node, keyNode]) {
        if (isNode(candidate) && candidate.range && candidate.range[1] > candidate.range[0]) {
            return positionAt(lineCounter, candidate.range[0]);
        }
    }
    return isNode(keyNode) && keyNode.range ? positionAt(lineCounter, keyNode.range[0]) : {};
}

function locateKey(doc: Document, lineCounter: LineCounter, key: string): Position {
    const root = doc.contents;
    if (!isMap(root)) return {};
    const pair = root.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
    return pair && isNode(pair.key) && pair.key.range ? positionAt(lineCounter, pair.key.range[0]) : {};
}

function fieldName(fieldPath: readonly PropertyKey[]): string | undefined {
    let name = "";
    for (const segment of fieldPath) {
        name += typeof segment === "number" ? `[${segment}]` : name === "" ? String(segment) : `.${String(segment)}`;
    }
    return name === "" ? undefined : name;
}

function oneLine(message: string): string {
    return message.replace(/\s*\n\s*/g, " ").trim();
}

function yamlErrorMessage(code: string, message: string): string {
    switch (code) {
        case "TAB_AS_INDENT":
            return "tabs are not allowed as indentation in YAML; indent with spaces";
        case "MULTIPLE_DOCS":
            return "more than one YAML document (a --- separator); a site file is one mapping";
        default:
            return `YAML syntax error: ${oneLine(message)}`;
    }
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
            const first = key === undefined ? {} : locateKey(doc, lineCounter, key);
            problems.push({
                file,
                ...position,
                field: key,
                message: `is given twice${first.line !== undefined ? ` (first on line ${first.line})` : ""}; each field may appear once`,
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
        const at = root.range ? positionAt(lineCounter, root.range[0]) : {};
        const found = isSeq(root) ? "a list" : describeValue(isScalar(root) ? root.value : undefined);
        problems.push({ file, ...at, message: `must be a YAML mapping of fields (id: ..., name: ...), not ${found}` });
        return noFacts();
    }

    const data: unknown = doc.toJS();
    const result = siteFileSchema.safeParse(data);
    if (!result.success) {
        for (const issue of result.error.issues) {
            if (issue.code === "unrecognized_keys") {
                for (const key of issue.keys) {
                    problems.push({ file, ...locateKey(doc, lineCounter, key), field: key, message: unknownFieldMessage(key) });
                }
            } else {
                problems.push({ file, ...locate(doc, lineCounter, issue.path), field: fieldName(issue.path), message: issue.message });
            }
        }
    }

    const fields = data as Record<string, unknown>;
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
            file,
        });
    }
    return { file, problems: problems.sort(byLine), spec, id, hostnames };
}

interface NodeCheck {
    readonly file: string;
    readonly text: string;
    readonly lineCounter: LineCounter;
    readonly problems: SiteProblem[];
}

/** Refuses aliases, anchors, explicit tags, and keys that are not plain names, anywhere under `node`. */
function checkNodes(node: unknown, check: NodeCheck): void {
    if (!isNode(node)) return;
    const { file, text, lineCounter, problems } = check;
    const start = node.range?.[0] ?? 0;
    const refuse = (offset: number, message: string) => problems.push({ file, ...positionAt(lineCounter, offset), message });
    if (isAlias(node)) {
        refuse(start, `alias *${node.source} is not allowed in a site file; write the value out`);
        return;
    }
    // The node's range starts after its anchor and tag: point at them, written just before.
    if (node.anchor) {
        const anchorAt = text.lastIndexOf(`&${node.anchor}`, start);
        refuse(anchorAt >= 0 ? anchorAt : start, `anchor &${node.anchor} is not allowed in a site file`);
    }
    // yaml sets `tag` only on a node whose tag is written in the text.
    if (node.tag) {
        const tag = node.tag.replace(/^tag:yaml\.org,2002:/, "!!");
        let tagAt = text.lastIndexOf("!", start);
        while (tagAt > 0 && !/[\s,[{:]/.test(text[tagAt - 1])) tagAt--;
        refuse(tagAt >= 0 ? tagAt : start, `tag ${tag} is not allowed in a site file; write a plain value`);
    }
    if (isSeq(node)) {
        for (const item of node.items) checkNodes(item, check);
    } else if (isMap(node)) {
        for (const pair of node.items) {
            // A list or mapping as a key, or an empty key, is never a field name (and yaml would stringify it).
            if (!isScalar(pair.key) || pair.key.value === null || typeof pair.key.value === "object") {
                const at = [pair.key, pair.value].find((n) => isNode(n) && n.range);
                refuse(isNode(at) && at.range ? at.range[0] : start, "a key must be a plain field name");
            }
            checkNodes(pair.key, check);
            checkNodes(pair.value, check);
        }
    }
}

/** The key of the map entry whose key starts at `offset` (the second of two equal keys). */
function duplicateKeyAt(doc: Document, offset: number): string | undefined {
    let found: string | undefined;
    visit(doc, {
        Pair(_, pair) {
            if (isPair(pair) && isScalar(pair.key) && pair.key.range?.[0] === offset) {
                found = String(pair.key.value);
                return visit.BREAK;
            }
            return undefined;
        },
    });
    return found;
}

function tooLargeMessage(bytes: number): string {
    return `is ${bytes} bytes; a site file may be at most ${MAX_SITE_FILE_BYTES} bytes (64 KiB)`;
}

/** Validates the text of one file (per-file rules only; no folder, allowed domains, or other sites). */
export function parseSiteFile(file: string, text: string): { spec?: SiteSpec; problems: SiteProblem[] } {
    const bytes = Buffer.byteLength(text, "utf8");
    if (bytes > MAX_SITE_FILE_BYTES) return { problems: [{ file, message: tooLargeMessage(bytes) }] };
    const { spec, problems } = analyzeText(file, text);
    return spec !== undefined ? { spec, problems } : { problems };
}

// ---------------------------------------------------------------------------------------------
// The folder.

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The offset of the first byte that is not valid UTF-8, or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
    let i = 0;
    while (i < bytes.length) {
        const b = bytes[i];
        if (b < 0x80) {
            i++;
            continue;
        }
        let need: number;
        let min = 0x80;
        let max = 0xbf;
        if (b >= 0xc2 && b <= 0xdf) need = 1;
        else if (b >= 0xe0 && b <= 0xef) {
            need = 2;
            if (b === 0xe0) min = 0xa0; // overlong
            if (b === 0xed) max = 0x9f; // surrogates
        } else if (b >= 0xf0 && b <= 0xf4) {
            need = 3;
            if (b === 0xf0) min = 0x90; // overlong
            if (b === 0xf4) max = 0x8f; // above U+10FFFF
        } else return i;
        for (let k = 1; k <= need; k++) {
            const c = bytes[i + k];
            if (c === undefined || c < (k === 1 ? min : 0x80) || c > (k === 1 ? max : 0xbf)) return i;
        }
        i += need + 1;
    }
    return -1;
}

function notUtf8Problem(file: string, bytes: Uint8Array): SiteProblem {
    const offset = firstInvalidUtf8(bytes);
    const message = "is not valid UTF-8; save the file as UTF-8";
    if (offset < 0) return { file, message };
    const lineStart = bytes.lastIndexOf(0x0a, offset - 1) + 1;
    let line = 1;
    for (let i = 0; i < lineStart; i++) if (bytes[i] === 0x0a) line++;
    const column = utf8.decode(bytes.subarray(lineStart, offset)).length + 1;
    const byte = bytes[offset].toString(16).toUpperCase().padStart(2, "0");
    return { file, line, column, message: `is not valid UTF-8 (byte 0x${byte}); save the file as UTF-8` };
}

function describeKind(stat: fs.Stats): string {
    if (stat.isDirectory()) return "a folder";
    if (stat.isFIFO()) return "a named pipe";
    if (stat.isSocket()) return "a socket";
    if (stat.isBlockDevice() || stat.isCharacterDevice()) return "a device";
    return "not a regular file";
}

function errorCode(e: unknown): string {
    return typeof e === "object" && e !== null && "code" in e ? String((e as { code: unknown }).code) : String(e);
}

/** Reads one site file, refusing what is not a small, regular, UTF-8 file inside the folder. */
function readSiteFile(realDir: string, filePath: string, file: string, isSymlink: boolean): { text?: string; problem?: SiteProblem } {
    let real = path.join(realDir, path.basename(filePath));
    if (isSymlink) {
        try {
            real = fs.realpathSync(filePath);
        } catch (e) {
            const message = `is a symbolic link that cannot be followed (${errorCode(e)}); a site file is a regular file in the sites folder`;
            return { problem: { file, message } };
        }
        // A link out of the folder would let a file elsewhere (another stack's site) define a site here.
        if (isOutside(path.relative(realDir, real))) {
            const message = `is a symbolic link to ${real}, outside the sites folder; a site file must live in the folder`;
            return { problem: { file, message } };
        }
    }
    let stat: fs.Stats;
    try {
        stat = fs.statSync(real);
    } catch (e) {
        return { problem: { file, message: `cannot be read (${errorCode(e)})` } };
    }
    if (!stat.isFile()) {
        return { problem: { file, message: `is ${describeKind(stat)}, not a regular file; a site file is a regular .yaml file` } };
    }
    if (stat.size > MAX_SITE_FILE_BYTES) return { problem: { file, message: tooLargeMessage(stat.size) } };
    let bytes: Buffer;
    try {
        bytes = fs.readFileSync(real);
    } catch (e) {
        return { problem: { file, message: `cannot be read (${errorCode(e)})` } };
    }
    if (bytes.length > MAX_SITE_FILE_BYTES) return { problem: { file, message: tooLargeMessage(bytes.length) } };
    try {
        return { text: utf8.decode(bytes) };
    } catch {
        return { problem: notUtf8Problem(file, bytes) };
    }
}

function at(fact: Located, file: string): string {
    return location(file, fact.line, fact.column);
}

/**
 * Reads every *.yaml / *.yml of `dir`, validates all of them, returns specs sorted by id.
 * Throws one SiteFileError listing every problem of every file.
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
    const names = entries.filter((e) => SITE_FILE_NAME.test(e.name)).sort((a, b) => compareText(a.name, b.name));

    const analyses: FileAnalysis[] = names.map((entry) => {
        const filePath = path.join(dir, entry.name);
        const file = path.join(shownDir, entry.name);
        const { text, problem } = readSiteFile(realDir, filePath, file, entry.isSymbolicLink());
        return text !== undefined ? analyzeText(file, text) : { file, problems: [problem as SiteProblem], hostnames: [] };
    });

    const allowedDomains = (options.allowedDomains ?? []).map(normalizeDomain).filter((d) => d.length > 0);
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
