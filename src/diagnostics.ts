// What the config check (src/config.ts) and the site-file check (src/sites.ts) share to turn a
// problem into `<file>:<line>:<column>: <key>: <message>`: where a value is in a YAML document,
// the value at a key path, the known word a typo meant, and zod's issues as one problem per key.
// The messages themselves stay with each check. Creates no resources.
import { type Document, isMap, isNode, isScalar, isSeq, type LineCounter, type Pair } from "yaml";
import type { z } from "zod";

/** A place in a file, both counted from 1. */
export interface Position {
    readonly line: number;
    readonly column: number;
}

/** A key path as zod and the YAML walkers take it: object keys, list indexes. */
export type KeyPath = readonly (string | number)[];

export function positionAt(lineCounter: LineCounter, offset: number): Position {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
}

/** `file`, `file:line` or `file:line:column`, as far as the place is known. */
export function location(file: string, line?: number, column?: number): string {
    if (line === undefined) return file;
    return column === undefined ? `${file}:${line}` : `${file}:${line}:${column}`;
}

/** `hostnames[0]`, or with a prefix `wp-platform:database.adminCidrs[0]`. */
export function keyPathText(keyPath: KeyPath, prefix = ""): string {
    return keyPath.reduce<string>((text, p) => (typeof p === "number" ? `${text}[${p}]` : text === "" ? p : `${text}.${p}`), prefix);
}

/** The value at `keyPath` inside `value`; undefined where the path leaves the objects and lists. */
export function valueAt(value: unknown, keyPath: KeyPath): unknown {
    let v = value;
    for (const segment of keyPath) {
        if (typeof v !== "object" || v === null) return undefined;
        v = (v as Record<string | number, unknown>)[segment];
    }
    return v;
}

// ---------------------------------------------------------------------------------------------
// YAML documents.

/** The entry of a YAML mapping whose (scalar) key reads `key`. */
export function pairOf(map: unknown, key: string): Pair | undefined {
    // By text, not by value: `8080:` is the key "8080" once the document is read as JSON.
    return isMap(map) ? map.items.find((p) => isScalar(p.key) && String(p.key.value) === key) : undefined;
}

/**
 * The node at `keyPath` under `root`, with the key node of the last mapping entry on the way (none
 * when the last step is a list item or the path is empty); undefined when the document has nothing there.
 */
export function yamlNodeAt(root: unknown, keyPath: KeyPath): { readonly node: unknown; readonly key?: unknown } | undefined {
    let node = root;
    let key: unknown;
    for (const segment of keyPath) {
        if (isMap(node)) {
            const pair = pairOf(node, String(segment));
            if (pair === undefined) return undefined;
            key = pair.key;
            node = pair.value;
        } else if (isSeq(node) && typeof segment === "number" && segment < node.items.length) {
            key = undefined;
            node = node.items[segment];
        } else {
            return undefined;
        }
    }
    return { node, key };
}

/**
 * Where to point for the value at `keyPath`: the value, or its key when the value is empty or
 * missing (`hostnames:` with nothing after it).
 */
export function locate(doc: Document, lineCounter: LineCounter, keyPath: KeyPath): Position | undefined {
    const found = yamlNodeAt(doc.contents, keyPath);
    if (found === undefined) return undefined;
    for (const candidate of [found.node, found.key]) {
        if (isNode(candidate) && candidate.range && candidate.range[1] > candidate.range[0]) {
            return positionAt(lineCounter, candidate.range[0]);
        }
    }
    return isNode(found.key) && found.key.range ? positionAt(lineCounter, found.key.range[0]) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Did you mean.

/** Levenshtein distance: how many one-character edits turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        previous = current;
    }
    return previous[b.length];
}

/** How `suggest` compares; the default is a case-insensitive match within two edits. */
export interface SuggestRules {
    /** Also ignore `-`, `_` and spaces: `canonical-hostname` is `canonicalHostname`. */
    readonly ignoreSeparators?: boolean;
    /** Words meant for a known one that no spelling rule finds (`title` for `name`), keyed by the compared form. */
    readonly aliases?: Readonly<Record<string, string>>;
    /** A word of three or more characters that begins a known one counts as one edit away (`host`). */
    readonly prefixes?: boolean;
    /** The most edits between the compared forms of the word and a known one; default 2. */
    readonly maxDistance?: (word: string, known: string) => number;
}

/** The known word that `word` most likely meant, if any: the first of the nearest. */
export function suggest(word: string, known: readonly string[], rules: SuggestRules = {}): string | undefined {
    const compared = (s: string) => (rules.ignoreSeparators ? s.toLowerCase().replace(/[-_\s]/g, "") : s.toLowerCase());
    const w = compared(word);
    if (rules.aliases && Object.hasOwn(rules.aliases, w)) return rules.aliases[w];
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const candidate of known) {
        const k = compared(candidate);
        const distance = rules.prefixes && w.length >= 3 && k.startsWith(w) ? 1 : editDistance(w, k);
        if (distance <= (rules.maxDistance?.(w, k) ?? 2) && distance < bestDistance) [best, bestDistance] = [candidate, distance];
    }
    return best;
}

// ---------------------------------------------------------------------------------------------
// zod issues.

/** One problem that zod found: a key the schema does not know, or any other issue. */
export type SchemaProblem =
    | {
          readonly kind: "unknown key";
          /** The path of the unknown key itself. */
          readonly keyPath: KeyPath;
          readonly key: string;
          /** The keys the schema knows where this one is, to suggest from. */
          readonly known: readonly string[];
          readonly value: unknown;
      }
    | {
          readonly kind: "issue";
          readonly keyPath: KeyPath;
          readonly message: string;
          readonly code: z.core.$ZodIssue["code"];
          /** The input at the path: undefined for a missing key. */
          readonly value: unknown;
      };

/** The issues of `schema.safeParse(input)`, one per unknown key, each with the input's value at its path. */
export function schemaProblems(schema: z.core.$ZodType, input: unknown, issues: readonly z.core.$ZodIssue[]): SchemaProblem[] {
    const problems: SchemaProblem[] = [];
    for (const issue of issues) {
        const keyPath = issue.path.map((p) => (typeof p === "number" ? p : String(p)));
        if (issue.code === "unrecognized_keys") {
            const known = objectKeysAt(schema, keyPath) ?? [];
            for (const key of issue.keys) {
                const at = [...keyPath, key];
                problems.push({ kind: "unknown key", keyPath: at, key, known, value: valueAt(input, at) });
            }
        } else {
            problems.push({ kind: "issue", keyPath, message: issue.message, code: issue.code, value: valueAt(input, keyPath) });
        }
    }
    return problems;
}

/** The keys of the object that `schema` expects at `keyPath` (through defaults, optionals and lists), if it is one. */
export function objectKeysAt(schema: z.core.$ZodType | undefined, keyPath: KeyPath): string[] | undefined {
    let node = schema;
    let i = 0;
    // zod exposes no walk of a schema by path: its definitions (`_zod.def`) are the public way in.
    while (node !== undefined) {
        const def = node._zod.def;
        if (def.type === "default" || def.type === "prefault" || def.type === "optional" || def.type === "nullable") {
            node = (def as z.core.$ZodDefaultDef | z.core.$ZodPrefaultDef | z.core.$ZodOptionalDef | z.core.$ZodNullableDef).innerType;
        } else if (def.type === "pipe") {
            node = (def as z.core.$ZodPipeDef).in;
        } else if (i === keyPath.length) {
            return def.type === "object" ? Object.keys((def as z.core.$ZodObjectDef).shape) : undefined;
        } else if (def.type === "object") {
            node = (def as z.core.$ZodObjectDef).shape[String(keyPath[i++])];
        } else if (def.type === "array") {
            node = (def as z.core.$ZodArrayDef).element;
            i++;
        } else {
            return undefined;
        }
    }
    return undefined;
}
