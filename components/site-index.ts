// The map from request host to site that the multi-tenant image reads: one ConfigMap, mounted into
// both Deployments as a file and updated in place (the provider has mutable ConfigMaps), so adding or
// removing a site changes this one object and restarts nothing.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { compareText } from "../src/text";
import { SITE_INDEX_CONFIGMAP, SITE_INDEX_FILE, SITE_INDEX_TYPE, previewHostname, secretName } from "../src/naming";
import type { SiteSpec } from "../src/sites";

export interface SiteIndexArgs {
    /** The stack name: part of each site's secret name. */
    readonly stack: string;
    /** Kubernetes namespace of the platform. */
    readonly namespace: pulumi.Input<string>;
    /** Every site of the stack. */
    readonly sites: readonly SiteSpec[];
    /** When set, each site's preview host `<id>.<previewDomain>` maps to it too. */
    readonly previewDomain?: string;
    /** The Kubernetes provider of the stack. */
    readonly provider: k8s.Provider;
}

export interface SiteIndexEntry {
    readonly site: string;
    readonly secret: string;
    readonly canonical: string;
}

export class SiteIndex extends pulumi.ComponentResource {
    readonly configMap: k8s.core.v1.ConfigMap;

    constructor(name: string, args: SiteIndexArgs, opts?: pulumi.ComponentResourceOptions) {
        super(SITE_INDEX_TYPE, name, {}, opts);
        this.configMap = new k8s.core.v1.ConfigMap(
            name,
            {
                metadata: { name: SITE_INDEX_CONFIGMAP, namespace: args.namespace },
                data: { [SITE_INDEX_FILE]: siteIndexJson(args.stack, args.sites, args.previewDomain) },
            },
            { parent: this, provider: args.provider },
        );
        this.registerOutputs({});
    }
}

/** `{ "hosts": { "<hostname>": { site, secret, canonical } } }`, hostnames sorted: same sites, same bytes. */
export function siteIndexJson(stack: string, sites: readonly SiteSpec[], previewDomain?: string): string {
    const hosts: Record<string, SiteIndexEntry> = {};
    const entries = sites.flatMap((s) => {
        const entry = { site: s.id, secret: secretName(stack, s.id), canonical: s.canonicalHostname };
        const names = previewDomain ? [...s.hostnames, previewHostname(s.id, previewDomain)] : s.hostnames;
        return names.map((host) => [host, entry] as const);
    });
    for (const [host, entry] of entries.sort(([a], [b]) => compareText(a, b))) hosts[host] = entry;
    return JSON.stringify({ hosts }, null, 1);
}
