// Kubernetes objects of a program run as manifests: one YAML file per object, named from its
// namespace, kind and name, so a file is the same object from one render to the next.
import { stringify } from "yaml";
import type { Registered } from "../offline";
import { compareText } from "../../src/text";
import { type Path, present } from "./values";
import type { ObjectToValidate } from "./validate";

export interface Manifest extends ObjectToValidate {
    /** metadata.namespace: undefined for a cluster-scoped object, `_computed` when only known after deployment. */
    readonly namespace?: string;
    readonly resource: Registered;
}

/** `kubernetes:apps/v1:Deployment` -> apps/v1 Deployment; `kubernetes:core/v1:Namespace` -> v1 Namespace. */
export function kubernetesType(token: string): { apiVersion: string; kind: string } | undefined {
    const match = /^kubernetes:([^/:]+)\/([^/:]+):([A-Za-z0-9]+)$/.exec(token);
    if (!match) return undefined;
    const [, group, version, kind] = match;
    // Helm releases are custom resources of the provider, not objects of the cluster.
    if (group === "helm.sh") return undefined;
    return { apiVersion: group === "core" ? version : `${group}/${version}`, kind };
}

/** The values of a Secret are never shown, marked secret or not (a preview loses the mark of an unknown value). */
function secretValues(kind: string): (path: Path) => boolean {
    if (kind !== "Secret") return () => false;
    return (path) => path.length === 1 && (path[0] === "data" || path[0] === "stringData");
}

/** The Kubernetes objects the program registered, with the file each renders to. */
export function manifestsOf(resources: readonly Registered[]): Manifest[] {
    const manifests: Manifest[] = [];
    for (const resource of resources) {
        const type = resource.custom ? kubernetesType(resource.type) : undefined;
        if (!type) continue;
        const { value, markers } = present(resource.raw, secretValues(type.kind), resource.ignoreChanges);
        const { apiVersion: _apiVersion, kind: _kind, ...rest } = value as Record<string, unknown>;
        const object: Record<string, unknown> = { apiVersion: type.apiVersion, kind: type.kind, ...rest };
        const metadata = (object.metadata ?? {}) as Record<string, unknown>;
        const known = (field: string): string | undefined => {
            const v = metadata[field];
            return typeof v === "string" && !markers.has(`/metadata/${field}`) ? v : undefined;
        };
        // An autonamed object gets its name at deployment: its file is named after the Pulumi resource.
        const name = known("name") ?? `${resource.name}~autonamed`;
        const namespace = metadata.namespace === undefined ? undefined : (known("namespace") ?? "_computed");
        const file = ["k8s", segment(namespace ?? "_cluster"), `${segment(type.kind.toLowerCase())}-${segment(name)}.yaml`].join("/");
        manifests.push({ ...type, name, namespace, file, object, markers, resource });
    }
    return manifests;
}

/** A file or folder name that stays one: no separators, never `.` or `..`. */
function segment(text: string): string {
    const safe = text.replace(/[^A-Za-z0-9._~-]/g, "_");
    return /^\.*$/.test(safe) ? `_${safe}` : safe;
}

/** The manifest's file: a header naming the Pulumi resource and its options, then the object. */
export function manifestText(manifest: Manifest, stack: string): string {
    const r = manifest.resource;
    const options = [
        r.protect ? "protect" : undefined,
        r.retainOnDelete ? "retainOnDelete" : undefined,
        r.ignoreChanges.length > 0 ? `ignoreChanges: ${[...r.ignoreChanges].sort(compareText).join(", ")}` : undefined,
        r.afterDeleteHooks.length > 0 ? `after delete, run hook ${r.afterDeleteHooks.join(", ")}` : undefined,
    ].filter((o): o is string => o !== undefined);
    const header = [
        `# Rendered by \`npm run render -- ${stack}\`: do not edit. See README.md in this folder.`,
        `# Pulumi resource: ${r.urn}`,
        ...(options.length > 0 ? [`# Options: ${options.join("; ")}`] : []),
    ];
    return `${header.join("\n")}\n${toYaml(manifest.object)}`;
}

/** Keys written first, in this order, in every map of a manifest; the others follow by code point. */
const MANIFEST_KEYS = ["apiVersion", "kind", "metadata", "name", "namespace"];

function keyText(key: unknown): string {
    const k = key as { value?: unknown } | null;
    return String(k !== null && typeof k === "object" && "value" in k ? k.value : key);
}

/**
 * YAML with keys in a fixed order (`first` in that order, then the rest by code point) and YAML 1.1
 * quoting, so strings such as "on", "yes" or "0755" stay strings for kubectl's parser too.
 */
export function toYaml(value: unknown, first: readonly string[] = MANIFEST_KEYS): string {
    const rank = (key: string): number => {
        const i = first.indexOf(key);
        return i < 0 ? first.length : i;
    };
    return stringify(value, {
        version: "1.1",
        lineWidth: 0,
        sortMapEntries: (a, b) => {
            const ka = keyText(a.key);
            const kb = keyText(b.key);
            return rank(ka) - rank(kb) || compareText(ka, kb);
        },
    });
}
