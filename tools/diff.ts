// Compares two runs of the program the way `pulumi preview` compares a program with its state:
// by URN, and by inputs, leaving out the paths a resource asks to `ignoreChanges`.
import { isDeepStrictEqual } from "util";
import type { ProgramRun, Registered } from "./offline";

export interface RunDiff {
    readonly added: string[];
    readonly removed: string[];
    readonly changed: string[];
}

export function diffRuns(before: ProgramRun, after: ProgramRun): RunDiff {
    const old = new Map(before.resources.map((r) => [r.urn, r]));
    const now = new Map(after.resources.map((r) => [r.urn, r]));
    const added = [...now.keys()].filter((urn) => !old.has(urn));
    const removed = [...old.keys()].filter((urn) => !now.has(urn));
    const changed = [...now.values()].filter((r) => old.has(r.urn) && inputsChanged(old.get(r.urn)!, r)).map((r) => r.urn);
    return { added, removed, changed };
}

/**
 * The inputs of `after` as the engine compares them with `before`'s: at each path `after` asks to
 * ignore, the value `before` had (the one in the state). Without `before`, `after`'s own inputs.
 */
export function keptInputs(after: Registered, before?: Registered): Record<string, unknown> {
    if (!before) return after.raw;
    let inputs: unknown = after.raw;
    for (const path of after.ignoreChanges) inputs = withValueAt(inputs, parsePath(path), valueAt(before.raw, parsePath(path)));
    return inputs as Record<string, unknown>;
}

function inputsChanged(before: Registered, after: Registered): boolean {
    return !isDeepStrictEqual(before.raw, keptInputs(after, before));
}

/** `spec.template.spec.containers[0].image` -> ["spec", "template", "spec", "containers", 0, "image"]. */
export function parsePath(path: string): (string | number)[] {
    return path.split(/\.|(?=\[)/).map((part) => (part.startsWith("[") ? Number(part.slice(1, -1)) : part));
}

function valueAt(value: unknown, path: (string | number)[]): unknown {
    return path.reduce<any>((v, key) => (v === undefined || v === null ? undefined : v[key]), value);
}

function withValueAt(value: unknown, path: (string | number)[], replacement: unknown): unknown {
    if (path.length === 0) return replacement;
    const [key, ...rest] = path;
    const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
    if (copy[key] === undefined && rest.length > 0) return value;
    copy[key] = withValueAt(copy[key], rest, replacement);
    return copy;
}

/** The URNs' last part, `<type>::<name>`, for readable assertions. */
export function names(urns: readonly string[]): string[] {
    return urns.map((urn) => urn.split("::").slice(-2).join("::").replace(/^.*\$/, "")).sort();
}
