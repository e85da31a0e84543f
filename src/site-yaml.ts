// Reading a site file's YAML with positions: where a field is (line and column), and the YAML a
// site file may not use (aliases, anchors, tags, keys that are not plain names). Creates no resources.
import { Document, isAlias, isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from "yaml";
import { type KeyPath, keyPathText, locate, pairOf, type Position, positionAt } from "./diagnostics";
import type { SiteProblem } from "./site-problems";

/** Where the value of top-level `field` is in `text`, for a message about a file the loader accepted. */
export function fieldPosition(text: string, field: string): Position | undefined {
    const lineCounter = new LineCounter();
    return locate(parseDocument(text, { lineCounter }), lineCounter, [field]);
}

/** The position of top-level key `key` itself. */
export function locateKey(doc: Document, lineCounter: LineCounter, key: string): Position | undefined {
    const pair = pairOf(doc.contents, key);
    return pair && isNode(pair.key) && pair.key.range ? positionAt(lineCounter, pair.key.range[0]) : undefined;
}

/** `hostnames[0]`; undefined for the file itself. */
export function fieldName(fieldPath: KeyPath): string | undefined {
    return fieldPath.length === 0 ? undefined : keyPathText(fieldPath);
}

export function oneLine(message: string): string {
    return message.replace(/\s*\n\s*/g, " ").trim();
}

export function yamlErrorMessage(code: string, message: string): string {
    switch (code) {
        case "TAB_AS_INDENT":
            return "tabs are not allowed as indentation in YAML; indent with spaces";
        case "MULTIPLE_DOCS":
            return "more than one YAML document (a --- separator); a site file is one mapping";
        default:
            return `YAML syntax error: ${oneLine(message)}`;
    }
}

export interface NodeCheck {
    readonly file: string;
    readonly text: string;
    readonly lineCounter: LineCounter;
    readonly problems: SiteProblem[];
}

/** Refuses aliases, anchors, explicit tags, and keys that are not plain names, anywhere under `node`. */
export function checkNodes(node: unknown, check: NodeCheck): void {
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
export function duplicateKeyAt(doc: Document, offset: number): string | undefined {
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
