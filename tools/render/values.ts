// The inputs of a registered resource as the render shows them: a value only known after
// deployment reads `<computed>`, a secret reads `[secret]`, and the places of those markers are
// kept so that validation does not hold a marker's type against the object.
import * as pulumi from "@pulumi/pulumi";
import { parsePath } from "../diff";
import { isSecret } from "../offline";

/** A value the cloud or the cluster computes: unknown in a preview. */
export const COMPUTED = "<computed>";
/** A secret, whose value is never written. */
export const SECRET = "[secret]";
/**
 * A value the resource asks the engine to ignore (`ignoreChanges`): whatever the program says now,
 * the object keeps the value of its first deployment, and a preview shows no change there.
 */
export const KEPT = "<as first deployed>";

/**
 * An unknown value as the offline runner records it. In a preview `deserializeProperties` turns the
 * engine's unknown sentinel into `pulumi.unknown`; the sentinel string itself is accepted too, for a
 * runner that keeps it.
 */
export function isUnknown(value: unknown): boolean {
    return pulumi.isUnknown(value) || value === UNKNOWN_SENTINEL;
}
const UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type Path = readonly (string | number)[];

/** A JSON pointer (RFC 6901), as ajv reports instance paths. */
export function pointer(path: Path): string {
    return path.map((p) => `/${String(p).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
}

/** `spec.template.spec.containers[0].image`: a path as `kubectl explain` and error messages write it. */
export function dotted(path: Path): string {
    let out = "";
    for (const p of path) {
        if (typeof p === "number") out += `[${p}]`;
        else if (/^[A-Za-z_$][\w$-]*$/.test(p)) out += out === "" ? p : `.${p}`;
        else out += `[${JSON.stringify(p)}]`;
    }
    return out === "" ? "(the object)" : out;
}

/** The segments of a JSON pointer. */
export function segments(ptr: string): string[] {
    return ptr === ""
        ? []
        : ptr
              .slice(1)
              .split("/")
              .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

export interface Presented {
    readonly value: unknown;
    /** JSON pointers of the values replaced by `<computed>`, `[secret]` or `<as first deployed>`. */
    readonly markers: ReadonlySet<string>;
}

/**
 * `raw` with every unknown as `<computed>` and every secret as `[secret]`. `sensitive(path)` names
 * values that are never shown even when the program did not mark them secret (or when a preview,
 * which drops the secret flag of an unknown value, cannot tell): a map there keeps its keys, each
 * value `[secret]`. A value at one of the `kept` paths (the resource's `ignoreChanges`) reads
 * `<as first deployed>`: what the program says there never reaches the object after its creation.
 */
export function present(raw: unknown, sensitive: (path: Path) => boolean = () => false, kept: readonly string[] = []): Presented {
    const keptAt = new Set(kept.map((k) => pointer(parsePath(k))));
    const markers = new Set<string>();
    const mark = (path: Path, marker: string): string => {
        markers.add(pointer(path));
        return marker;
    };
    const walk = (value: unknown, path: Path): unknown => {
        if (keptAt.has(pointer(path))) return mark(path, KEPT);
        const hidden = sensitive(path);
        if (isSecret(value) || hidden) {
            const inner = isSecret(value) ? (value as { value: unknown }).value : value;
            if (hidden && isPlainObject(inner)) {
                return Object.fromEntries(Object.keys(inner).map((k) => [k, mark([...path, k], SECRET)]));
            }
            return mark(path, SECRET);
        }
        if (isUnknown(value)) return mark(path, COMPUTED);
        if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i]));
        if (isPlainObject(value)) {
            return Object.fromEntries(
                Object.entries(value)
                    .filter(([, v]) => v !== undefined)
                    .map(([k, v]) => [k, walk(v, [...path, k])]),
            );
        }
        return value;
    };
    return { value: walk(raw, []), markers };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value) && !pulumi.isUnknown(value);
}
