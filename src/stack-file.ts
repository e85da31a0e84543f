// Reads a stack file (Pulumi.<stack>.yaml): into the config map the Pulumi CLI hands the program
// (key -> string, objects and lists as JSON, booleans and numbers as their text), for the tests and
// the offline tools, which run the program without the CLI; and for the places of its values, so
// that a config error names the file, line and column. Creates no resources.
import * as fs from "fs";
import { isDeepStrictEqual } from "util";
import { isMap, isNode, isSeq, LineCounter, parse, parseDocument } from "yaml";
import { type KeyPath, pairOf, type Position, positionAt, yamlNodeAt } from "./diagnostics";

export function readStackConfig(file: string): Record<string, string> {
    const doc = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(doc.config ?? {})) {
        if (typeof value === "object" && value !== null && "secure" in value) {
            throw new Error(`${file}: ${key} is an encrypted secret; the program needs none, and offline runs cannot read one`);
        }
        config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return config;
}

/** Where the values of a stack file are. */
export interface StackFilePositions {
    /**
     * The position of the value at `keyPath` under config key `key` (`wp-platform:release`, then
     * ["active"]): only when the file holds `value` there, so that a value that reached the
     * program from elsewhere (an override) is never pinned on a line that says something else.
     */
    positionOf(key: string, keyPath: KeyPath, value: unknown): Position | undefined;
    /** The position of config key `key` itself. */
    keyAt(key: string): Position | undefined;
}

/** The positions of the values of `file`; undefined when it cannot be read or parsed. */
export function stackFilePositions(file: string): StackFilePositions | undefined {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch {
        return undefined;
    }
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter });
    if (doc.errors.length > 0) return undefined;
    const config = isMap(doc.contents) ? doc.contents.get("config", true) : undefined;
    return {
        keyAt(key) {
            const pair = pairOf(config, key);
            return isNode(pair?.key) && pair.key.range ? positionAt(lineCounter, pair.key.range[0]) : undefined;
        },
        positionOf(key, keyPath, value) {
            const node = yamlNodeAt(pairOf(config, key)?.value, keyPath)?.node;
            if (!isNode(node) || !node.range) return undefined;
            const held: unknown = node.toJSON();
            const same =
                isDeepStrictEqual(held, value) || (typeof value === "string" && String(held) === value && !isMap(node) && !isSeq(node));
            return same ? positionAt(lineCounter, node.range[0]) : undefined;
        },
    };
}
