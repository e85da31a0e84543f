// What the multi-tenant image reads to serve a request (docs/image.md): ConfigMap `site-index`
// (`sites.json`, host -> site) and the Secrets `site-settings-<n>` (`<id>.json`, each site's
// settings). Both colors mount them as volumes, and the provider updates them in place (mutable
// ConfigMaps and Secrets), so adding or removing a site changes these objects and restarts nothing.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SITE_INDEX_CONFIGMAP, SITE_INDEX_FILE, SITE_INDEX_TYPE, settingsKey, settingsSecretName } from "../src/naming";
import { SETTINGS_SHARDS, settingsShard, siteIndexJson } from "../src/settings";
import type { Color } from "../src/config";
import type { SiteSpec } from "../src/sites";
import { compareText } from "../src/text";

export interface SiteIndexArgs {
    /** The stack name: part of each site's secret name. */
    readonly stack: string;
    /** Kubernetes namespace of the platform. */
    readonly namespace: pulumi.Input<string>;
    /** Every site of the stack. */
    readonly sites: readonly SiteSpec[];
    /** The release's active color: the color of the sites on `active`. */
    readonly active: Color;
    /** Each site's serving settings (`<id>.json`), by site id. */
    readonly settings: Readonly<Record<string, pulumi.Output<string>>>;
    /** When set, each site's preview host `<id>.<previewDomain>` maps to it too. */
    readonly previewDomain?: string;
    /**
     * What the objects wait for: the Ingresses of the dedicated sites, so a site moving to pods of its
     * own leaves the shared index and settings only once its traffic has left the shared pods.
     */
    readonly after?: readonly pulumi.Resource[];
}

export class SiteIndex extends pulumi.ComponentResource {
    /** The ConfigMap and the Secrets: what a pod must find before it starts. */
    readonly objects: pulumi.Resource[];

    constructor(name: string, args: SiteIndexArgs, opts?: pulumi.ComponentResourceOptions) {
        super(SITE_INDEX_TYPE, name, {}, opts);
        const opt = { parent: this, dependsOn: [...(args.after ?? [])] };
        const configMap = new k8s.core.v1.ConfigMap(
            name,
            {
                metadata: { name: SITE_INDEX_CONFIGMAP, namespace: args.namespace },
                data: { [SITE_INDEX_FILE]: siteIndexJson(args.stack, args.sites, args.active, args.previewDomain) },
            },
            opt,
        );
        // Every shard exists, with or without sites: the pods mount all of them. Each names itself in
        // a key of its own (`.shard-<n>`, hidden in the pods' folder, distinct across the projected
        // sources), so a shard without sites is still a Secret with data.
        const secrets = Array.from({ length: SETTINGS_SHARDS }, (_, shard) => {
            const ids = args.sites
                .map((s) => s.id)
                .filter((id) => settingsShard(id) === shard)
                .sort(compareText);
            return new k8s.core.v1.Secret(
                `${name}-settings-${shard}`,
                {
                    metadata: { name: settingsSecretName(shard), namespace: args.namespace },
                    type: "Opaque",
                    stringData: {
                        [`.shard-${shard}`]: `${shard} of ${SETTINGS_SHARDS}`,
                        ...Object.fromEntries(ids.map((id) => [settingsKey(id), args.settings[id]])),
                    },
                },
                opt,
            );
        });
        this.objects = [configMap, ...secrets];
        this.registerOutputs({ configMap: configMap.metadata.name, settingsSecrets: secrets.map((s) => s.metadata.name) });
    }
}
