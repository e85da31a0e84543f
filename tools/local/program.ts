// What the program registers for a stack, read as the cloud and the cluster would read it: per site
// its MySQL database, user and grant inputs and its Jobs in dependency order, and the serving pods
// (the Deployments), each pod with its command, its environment and the files its volumes mount,
// resolved from the registered ConfigMaps and Secrets as the kubelet would. Nothing is retyped:
// every name, value and command comes from a run of the program under the offline runner.
import { configFor, type ProgramRun, type Registered, runOffline } from "../offline";
import * as fs from "fs";
import { mocks } from "../mocks";
import type * as pulumi from "@pulumi/pulumi";
import { listStacks, stackFile } from "../stacks";
import { SITE_INDEX_FILE, SITE_TYPE } from "../../src/naming";
import type { SiteIndexEntry } from "../../src/settings";
import { compareText } from "../../src/text";
import type { DatabaseInputs, GrantInputs, UserInputs } from "./mysql-provider";

/** A container as the kubelet would start it. */
export interface Pod {
    /** Kubernetes name of the object (Job or Deployment). */
    readonly name: string;
    /** command followed by args: what is executed, no shell added. */
    readonly argv: readonly string[];
    /** The container's environment: env values and envFrom, resolved. */
    readonly env: Readonly<Record<string, string>>;
    /** mountPath -> file name -> content: each volume as the kubelet writes it. */
    readonly mounts: Readonly<Record<string, Readonly<Record<string, string>>>>;
    /** A Deployment's `spec.replicas`, when it sets one (the web pods' count is the autoscaler's). */
    readonly replicas?: number;
}

export interface Job extends Pod {
    /** The Job's short name (`install`, `activate-theme`, ...): its `wp-platform/job` label, else its container's name. */
    readonly job: string;
}

export interface SitePlan {
    /** The Site component's name: the site id. */
    readonly id: string;
    readonly database: DatabaseInputs;
    readonly user: UserInputs;
    readonly grant: GrantInputs;
    /** The site's Jobs, each after every Job it depends on (directly or through other resources). */
    readonly jobs: readonly Job[];
}

export interface StackPlan {
    readonly stack: string;
    readonly sites: readonly SitePlan[];
    /** The Deployments (one per color), by Kubernetes name. */
    readonly serving: readonly Pod[];
    /** The database host the program gives the sites (the mocked RDS address): what `npm run local` replaces. */
    readonly databaseHost: string;
    /** The object cache host the program gives the sites (the mocked ElastiCache endpoint), when the stack has one. */
    readonly cacheHost?: string;
}

export class PlanError extends Error {}

/** Runs the program for `stack` (sites from `sitesDir` when given) and reads its plan. */
export async function readStack(stack: string, options: { sitesDir?: string; mocks?: pulumi.runtime.Mocks } = {}): Promise<StackPlan> {
    if (stackFile(stack) === undefined) {
        throw new PlanError(
            `no stack ${JSON.stringify(stack)}: there is no Pulumi.${stack}.yaml; the stacks are ${listStacks().join(", ")}`,
        );
    }
    if (options.sitesDir !== undefined && !fs.statSync(options.sitesDir, { throwIfNoEntry: false })?.isDirectory()) {
        throw new PlanError(`--sites ${options.sitesDir}: no such folder`);
    }
    const config = configFor(stack, options.sitesDir ? { sitesDir: options.sitesDir } : {});
    const { run, error } = await runOffline({ stack, config, mocks: options.mocks ?? mocks });
    if (error) throw new PlanError(error.message);
    return planOf(stack, run);
}

export function planOf(stack: string, run: ProgramRun): StackPlan {
    const objects = new KubeObjects(run);
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const sites = run.ofType(SITE_TYPE).map((site): SitePlan => {
        const children = run.resources.filter((r) => r.parent === site.urn);
        const one = (type: string): Record<string, any> => {
            const found = children.filter((r) => r.type === type);
            if (found.length !== 1) throw new PlanError(`site ${site.name}: expected one ${type}, the program registers ${found.length}`);
            return found[0].inputs;
        };
        const jobs = ordered(
            children.filter((r) => r.type === "kubernetes:batch/v1:Job"),
            byUrn,
        ).map((r) => jobOf(r, objects));
        return {
            id: site.name,
            database: one("mysql:index/database:Database") as DatabaseInputs,
            user: one("mysql:index/user:User") as UserInputs,
            grant: one("mysql:index/grant:Grant") as GrantInputs,
            jobs,
        };
    });
    const serving = run.ofType("kubernetes:apps/v1:Deployment").map((d) => ({
        ...podOf(d.inputs.metadata.name, d.inputs.metadata.namespace, d.inputs.spec.template.spec, objects),
        ...(typeof d.inputs.spec.replicas === "number" ? { replicas: d.inputs.spec.replicas } : {}),
    }));
    const databaseHost = run.outputs.databaseHost;
    if (typeof databaseHost !== "string") throw new PlanError("the program exports no databaseHost: cannot tell which host to replace");
    const cacheHost = typeof run.outputs.cacheEndpoint === "string" ? run.outputs.cacheEndpoint : undefined;
    return { stack, sites, serving, databaseHost, cacheHost };
}

/**
 * The hosts that serve a site as themselves, from the site index the serving pods mount: each
 * site's canonical host and preview host (any other host of a site redirects to the canonical one),
 * by site, then host.
 */
export function servedHosts(plan: StackPlan): { host: string; site: string }[] {
    const index = plan.serving
        .flatMap((pod) => Object.values(pod.mounts))
        .map((files) => files[SITE_INDEX_FILE])
        .find((file) => file !== undefined);
    if (index === undefined) throw new PlanError(`the serving pods mount no ${SITE_INDEX_FILE}`);
    const hosts = (JSON.parse(index) as { hosts: Record<string, SiteIndexEntry> }).hosts;
    return Object.entries(hosts)
        .filter(([host, entry]) => entry.preview || host === entry.canonical)
        .map(([host, entry]) => ({ host, site: entry.site }))
        .sort((a, b) => compareText(a.site, b.site) || compareText(a.host, b.host));
}

function jobOf(job: Registered, objects: KubeObjects): Job {
    const meta = job.inputs.metadata;
    const spec = job.inputs.spec.template.spec;
    const pod = podOf(meta.name, meta.namespace, spec, objects);
    return { ...pod, job: meta.labels?.["wp-platform/job"] ?? spec.containers[0].name };
}

/** Jobs in an order where each comes after every resource it depends on, transitively. */
function ordered(jobs: readonly Registered[], byUrn: ReadonlyMap<string, Registered>): Registered[] {
    const closure = new Map<string, Set<string>>();
    const depsOf = (urn: string, seen: Set<string> = new Set()): Set<string> => {
        const known = closure.get(urn);
        if (known) return known;
        const all = new Set<string>();
        for (const dep of byUrn.get(urn)?.dependencies ?? []) {
            if (seen.has(dep)) continue;
            seen.add(dep);
            all.add(dep);
            for (const d of depsOf(dep, seen)) all.add(d);
        }
        closure.set(urn, all);
        return all;
    };
    const remaining = [...jobs];
    const result: Registered[] = [];
    while (remaining.length > 0) {
        const next = remaining.findIndex((j) => !remaining.some((other) => other !== j && depsOf(j.urn).has(other.urn)));
        if (next < 0) throw new PlanError(`the Jobs ${remaining.map((j) => j.name).join(", ")} depend on each other`);
        result.push(...remaining.splice(next, 1));
    }
    return result;
}

/** The ConfigMaps and Secrets the program registers, by namespace and name, as the kubelet finds them. */
class KubeObjects {
    private readonly data = new Map<string, Record<string, string>>();

    constructor(run: ProgramRun) {
        for (const kind of ["ConfigMap", "Secret"] as const) {
            for (const r of run.ofType(`kubernetes:core/v1:${kind}`)) {
                const values: Record<string, string> = {};
                for (const [k, v] of Object.entries((r.inputs.data ?? {}) as Record<string, string>)) {
                    values[k] = kind === "Secret" ? Buffer.from(v, "base64").toString("utf8") : v;
                }
                Object.assign(values, r.inputs.stringData ?? {});
                this.data.set(KubeObjects.key(kind, r.inputs.metadata.namespace, r.inputs.metadata.name), values);
            }
        }
    }

    static key(kind: string, namespace: string, name: string): string {
        return `${kind}/${namespace}/${name}`;
    }

    get(kind: "ConfigMap" | "Secret", namespace: string, name: string, user: string, optional = false): Record<string, string> {
        const found = this.data.get(KubeObjects.key(kind, namespace, name));
        if (!found && optional) return {};
        if (!found) throw new PlanError(`${user} uses ${kind} ${namespace}/${name}, which the program does not register`);
        return found;
    }
}

interface VolumeSource {
    readonly kind: "ConfigMap" | "Secret";
    readonly name: string;
    readonly items?: readonly { key: string; path: string }[];
    readonly optional: boolean;
}

/** The ConfigMaps and Secrets a volume shows (one, or several for a projected volume). */
function volumeSources(volume: Record<string, any>): VolumeSource[] {
    const one = (kind: "ConfigMap" | "Secret", ref: Record<string, any>, nameKey: string): VolumeSource => ({
        kind,
        name: ref[nameKey],
        items: ref.items,
        optional: Boolean(ref.optional),
    });
    if (volume.secret) return [one("Secret", volume.secret, "secretName")];
    if (volume.configMap) return [one("ConfigMap", volume.configMap, "name")];
    if (volume.projected) {
        return (volume.projected.sources as Record<string, any>[]).map((source) => {
            if (source.secret) return one("Secret", source.secret, "name");
            if (source.configMap) return one("ConfigMap", source.configMap, "name");
            throw new PlanError(
                `volume ${volume.name}: a projected source npm run local cannot provide (${Object.keys(source).join(", ")})`,
            );
        });
    }
    if (volume.emptyDir) return [];
    throw new PlanError(`volume ${volume.name}: a kind of volume npm run local cannot provide (${Object.keys(volume).join(", ")})`);
}

function podOf(name: string, namespace: string, spec: Record<string, any>, objects: KubeObjects): Pod {
    const containers = spec.containers as Record<string, any>[];
    if (containers.length !== 1) throw new PlanError(`${name}: expected one container, found ${containers.length}`);
    const c = containers[0];
    const user = `${name}`;
    const env: Record<string, string> = {};
    for (const from of (c.envFrom ?? []) as Record<string, any>[]) {
        const source = from.secretRef
            ? objects.get("Secret", namespace, from.secretRef.name, user)
            : objects.get("ConfigMap", namespace, from.configMapRef.name, user);
        for (const [k, v] of Object.entries(source)) env[`${from.prefix ?? ""}${k}`] = v;
    }
    for (const e of (c.env ?? []) as Record<string, any>[]) {
        if (e.value !== undefined) env[e.name] = String(e.value);
        else if (e.valueFrom?.secretKeyRef)
            env[e.name] = objects.get("Secret", namespace, e.valueFrom.secretKeyRef.name, user)[e.valueFrom.secretKeyRef.key];
        else if (e.valueFrom?.configMapKeyRef)
            env[e.name] = objects.get("ConfigMap", namespace, e.valueFrom.configMapKeyRef.name, user)[e.valueFrom.configMapKeyRef.key];
        else throw new PlanError(`${name}: env ${e.name} has a source npm run local cannot resolve`);
    }
    const volumes = new Map(((spec.volumes ?? []) as Record<string, any>[]).map((v) => [v.name as string, v]));
    const mounts: Record<string, Record<string, string>> = {};
    for (const m of (c.volumeMounts ?? []) as Record<string, any>[]) {
        const volume = volumes.get(m.name);
        if (!volume) throw new PlanError(`${name}: volumeMount ${m.name} has no volume`);
        if (m.subPath) throw new PlanError(`${name}: volumeMount ${m.name} uses subPath, which the kubelet never refreshes`);
        const files: Record<string, string> = {};
        for (const source of volumeSources(volume)) {
            const data = objects.get(source.kind, namespace, source.name, user, source.optional);
            const items = source.items ?? Object.keys(data).map((key) => ({ key, path: key }));
            for (const item of items) {
                if (!(item.key in data))
                    throw new PlanError(`${name}: volume ${m.name} maps key ${item.key}, which ${source.kind} ${source.name} lacks`);
                if (item.path in files) throw new PlanError(`${name}: volume ${m.name} has two files ${item.path}`);
                files[item.path] = data[item.key];
            }
        }
        mounts[m.mountPath] = files;
    }
    return { name, argv: [...(c.command ?? []), ...(c.args ?? [])], env, mounts };
}

const DB_HOST_KEY = "WORDPRESS_DB_HOST";

/**
 * The plan with the sites' database host (the mocked RDS address the program gives every site) set to
 * `address` (`127.0.0.1:<port>`), in the pods' environment and in each settings file (a JSON object
 * with WORDPRESS_DB_HOST) they mount. The one value `npm run local` changes.
 */
export function withDatabaseHost(plan: StackPlan, address: string): StackPlan {
    const isRds = (value: unknown) =>
        value === plan.databaseHost || (typeof value === "string" && value.startsWith(`${plan.databaseHost}:`));
    return withSettings(plan, (values) => (isRds(values[DB_HOST_KEY]) ? { ...values, [DB_HOST_KEY]: address } : undefined));
}

/**
 * The plan with `edit` applied to every pod's and Job's environment and to every settings file they
 * mount (a file that is a JSON object): what `npm run local` changes of the cloud's values. `edit`
 * returns undefined to leave one as it is; it only ever sets strings, so an environment stays one.
 */
export function withSettings(
    plan: StackPlan,
    edit: (values: Readonly<Record<string, unknown>>) => Record<string, unknown> | undefined,
): StackPlan {
    const file = (content: string): string => {
        let parsed: unknown;
        try {
            parsed = JSON.parse(content);
        } catch {
            return content;
        }
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return content;
        const edited = edit(parsed as Record<string, unknown>);
        return edited === undefined ? content : JSON.stringify(edited);
    };
    const pod = <P extends Pod>(p: P): P => ({
        ...p,
        env: (edit(p.env) as Record<string, string> | undefined) ?? p.env,
        mounts: Object.fromEntries(
            Object.entries(p.mounts).map(([m, files]) => [m, Object.fromEntries(Object.entries(files).map(([f, c]) => [f, file(c)]))]),
        ),
    });
    return { ...plan, sites: plan.sites.map((s) => ({ ...s, jobs: s.jobs.map(pod) })), serving: plan.serving.map(pod) };
}
