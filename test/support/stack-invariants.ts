// What must hold of any stack, whatever its sites: the checks test/stacks.test.ts runs on the
// committed stacks (and on a copy with a site added by `npm run site:new`). Each returns problems
// as text, empty when the run is sound, so a test can show every problem at once.
import { SITE_TYPE } from "../../src/naming";
import type { ProgramRun, Registered } from "./program";

// Kubernetes names (k8s.io/apimachinery validation): most objects take a DNS-1123 subdomain; a
// Service and a Namespace a DNS-1123 label; a Job's name becomes a label value of its pods
// (job-name), so 63 characters at most.
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME_KINDS = new Set(["Service", "Namespace"]);
const LABEL_VALUE = /^(?=.{0,63}$)(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** AWS and MySQL physical names: the input that holds the name, and its limit. */
const PHYSICAL_NAMES: Record<string, { readonly input: string; readonly max: number }> = {
    "aws:iam/role:Role": { input: "name", max: 64 },
    "aws:secretsmanager/secret:Secret": { input: "name", max: 512 },
    "aws:rds/instance:Instance": { input: "identifier", max: 63 },
    "aws:s3/bucket:Bucket": { input: "bucket", max: 63 },
    "mysql:index/database:Database": { input: "name", max: 64 },
    "mysql:index/user:User": { input: "user", max: 32 },
};

function kubernetesKind(r: Registered): string | undefined {
    return r.custom ? /^kubernetes:[^:]+:([A-Za-z0-9]+)$/.exec(r.type)?.[1] : undefined;
}

function duplicates<T>(items: readonly T[], key: (item: T) => string): string[] {
    const seen = new Map<string, number>();
    for (const item of items) seen.set(key(item), (seen.get(key(item)) ?? 0) + 1);
    return [...seen].filter(([, n]) => n > 1).map(([k, n]) => `${k} (${n} times)`);
}

/** Every problem of the run; `siteIds` are the ids of the stack's site files. */
export function stackProblems(run: ProgramRun, siteIds: readonly string[]): string[] {
    const problems: string[] = [];
    // The mock monitor accepts two resources with one URN; the engine refuses the second.
    problems.push(...duplicates(run.resources, (r) => r.urn).map((d) => `URN registered twice: ${d}`));

    const objects = run.resources.filter((r) => kubernetesKind(r) !== undefined);
    const objectKey = (type: string, namespace: unknown, name: unknown) => `${type} ${String(namespace ?? "")}/${String(name)}`;
    // cert-manager creates a Secret of each name an Ingress it annotates asks for: those meet the
    // program's own Secrets, and each other, in the namespace.
    const certificates = objects
        .filter((r) => kubernetesKind(r) === "Ingress" && r.inputs.metadata?.annotations?.["cert-manager.io/cluster-issuer"])
        .flatMap((r) =>
            ((r.inputs.spec?.tls ?? []) as { secretName?: string }[]).map((t) =>
                objectKey("kubernetes:core/v1:Secret", r.inputs.metadata?.namespace, t.secretName),
            ),
        );
    problems.push(
        ...duplicates(
            [...objects.map((r) => objectKey(r.type, r.inputs.metadata?.namespace, r.inputs.metadata?.name)), ...certificates],
            (key) => key,
        ).map((d) => `Kubernetes object declared twice: ${d}`),
    );
    for (const r of objects) {
        const kind = kubernetesKind(r)!;
        const name = String(r.inputs.metadata?.name);
        const pattern = LABEL_NAME_KINDS.has(kind) ? DNS_LABEL : DNS_SUBDOMAIN;
        if (!pattern.test(name)) problems.push(`${kind} ${JSON.stringify(name)}: not a valid name for a ${kind} (${r.urn})`);
        if (kind === "Job" && name.length > 63)
            problems.push(`Job ${JSON.stringify(name)}: ${name.length} characters, at most 63 (${r.urn})`);
        const labels = { ...r.inputs.metadata?.labels, ...r.inputs.spec?.template?.metadata?.labels } as Record<string, unknown>;
        for (const [key, value] of Object.entries(labels)) {
            if (!LABEL_VALUE.test(String(value)))
                problems.push(`${kind} ${name}: label ${key}=${JSON.stringify(value)} is not a valid label value`);
        }
    }
    // Two Ingresses with one host: the controller routes it to one of them, unpredictably.
    const hosts = objects
        .filter((r) => kubernetesKind(r) === "Ingress")
        .flatMap((r) => ((r.inputs.spec?.rules ?? []) as { host?: string }[]).map((rule) => ({ host: String(rule.host), urn: r.urn })));
    problems.push(...duplicates(hosts, (h) => h.host).map((d) => `host claimed by two Ingresses: ${d}`));

    for (const [type, { input, max }] of Object.entries(PHYSICAL_NAMES)) {
        const named = run.resources.filter((r) => r.type === type).filter((r) => typeof r.inputs[input] === "string");
        problems.push(...duplicates(named, (r) => String(r.inputs[input])).map((d) => `${type} ${input} used twice: ${d}`));
        for (const r of named) {
            const value = String(r.inputs[input]);
            if (value.length > max) problems.push(`${type} ${input} ${JSON.stringify(value)}: ${value.length} characters, at most ${max}`);
        }
    }

    const sites = run.resources.filter((r) => r.type === SITE_TYPE).map((r) => r.name);
    const missing = siteIds.filter((id) => !sites.includes(id));
    const extra = sites.filter((id) => !siteIds.includes(id));
    if (missing.length > 0) problems.push(`site files without a Site: ${missing.join(", ")}`);
    if (extra.length > 0) problems.push(`Sites without a site file: ${extra.join(", ")}`);
    const exported = Object.keys(run.outputs.sites ?? {});
    if ([...exported].sort().join() !== [...siteIds].sort().join()) {
        problems.push(`the sites output lists ${exported.join(", ") || "none"}, the files ${siteIds.join(", ")}`);
    }
    return problems;
}
