// Names of things in the cloud and the cluster, derived from stable inputs only (stack, site id,
// color): never from list positions, time or randomness. Changing one of these renames (and so
// replaces) a live object: a database among them.
//
// Two site ids may share a prefix (`shop`, `shop-preview`), so a name built from an id joins the id
// and what follows with a character no id can hold: `/` in Pulumi names, `.` in Kubernetes and IAM
// names. A site id is `[a-z0-9-]`, so the first separator in a name ends the id, and no two
// (id, suffix) pairs give one name: by construction, not by a list of reserved suffixes. No
// stack-level object name contains the separator. MySQL names have no suffix: `wp_` + the id.
import type { Color } from "./config";

/** Type token of the Site component. Never change it (it is in every site resource's URN). */
export const SITE_TYPE = "wp-platform:index:Site";
export const PLATFORM_TYPE = "wp-platform:index:Platform";
export const RELEASE_TYPE = "wp-platform:index:Release";
export const COLOR_SERVICES_TYPE = "wp-platform:index:ColorServices";
export const NETWORK_TYPE = "wp-platform:index:Network";
export const SITE_INDEX_TYPE = "wp-platform:index:SiteIndex";
export const EDGE_TYPE = "wp-platform:index:Edge";

/** The tags the program puts on its AWS resources: the stack's name on every one, the site's id on a site's. */
export const STACK_TAG = "wp-platform:stack";
export const SITE_TAG = "wp-platform:site";

/** Pulumi name of a site's child: `<id>/<child>`. */
export const siteChildName = (id: string, child: string): string => `${id}/${child}`;

/** MySQL identifiers cannot hold hyphens unquoted; ids have no underscores, so this is one-to-one. */
function sqlSafe(id: string): string {
    return id.replace(/-/g, "_");
}

/** The site's database: `wp_<id>` (at most 27 characters, within MySQL's 64). */
export const databaseName = (id: string): string => `wp_${sqlSafe(id)}`;

/**
 * The database as a GRANT names it. In a database-level GRANT, `_` and `%` are wildcards, and the
 * MySQL provider only wraps the name in backticks (terraform-provider-mysql mysql/resource_grant.go,
 * formatDatabaseName): unescaped, the grant on `wp_shop_1` would also cover `wp_shopx1`.
 */
export const grantDatabasePattern = (id: string): string => databaseName(id).replace(/[_%]/g, (c) => `\\${c}`);

/** The site's MySQL user: `wp_<id>` (at most 27 characters, within MySQL's 32). */
export const databaseUser = (id: string): string => `wp_${sqlSafe(id)}`;

/** The Secrets Manager secret of a site. */
export const secretName = (stack: string, id: string): string => `wp-platform/${stack}/${id}`;

/** The S3 prefix of a site's files in the stack bucket. */
export const sitePrefix = (id: string): string => `sites/${id}/`;

/** Where a site's media live in the bucket: `sites/<id>/uploads/`. */
export const siteMediaPrefix = (id: string): string => `${sitePrefix(id)}uploads/`;

/** Where a site's database backups go (the upgrade-db Job): `sites/<id>/backups/`, the site's role alone writes there. */
export const siteBackupPrefix = (id: string): string => `${sitePrefix(id)}backups/`;

/** Every site's media, as an IAM resource or `s3:prefix` pattern: what the serving pods may touch. */
export const MEDIA_PATTERN = `${siteMediaPrefix("*")}*`;

/**
 * Kubernetes objects of a site: `<id>.<object>` (a DNS subdomain; an id holds no dot, and no
 * stack-level object name holds one). At most 24 + 1 + 15 characters, within a Job's 63.
 */
export const siteObjectName = (id: string, object: SiteObject): string => `${id}.${object}`;
export type SiteObject =
    | "site"
    | "preview"
    | "settings"
    | "jobs"
    | "tls"
    | "preview-tls"
    | "install"
    | "activate-theme"
    | "upgrade-db"
    | "verify"
    | "flush-caches"
    // A dedicated site's serving objects (components/site.ts): its Deployments, HPAs and PDBs per color
    // (`<id>.blue`), cron runners (`<id>.cron-blue`), site index, serving settings and ServiceAccount.
    | Color
    | `cron-${Color}`
    | "index"
    | "serving-settings"
    | "wordpress";

/**
 * A dedicated site's Service of a color: `<id>-<color>`. A Service name is a DNS-1035 label, so no
 * dot: the name ends in `-blue` or `-green`, which fixes the color, and what is left is the id; the
 * shared Services (`blue`, `green`) hold no hyphen, and no site has a Service of its own otherwise.
 */
export const dedicatedServiceName = (id: string, color: Color): string => `${id}-${color}`;

/** The host at which a site answers on the color it is not on, when the stack has a preview domain. */
export const previewHostname = (id: string, previewDomain: string): string => `${id}.${previewDomain}`;

/** IAM path of the site roles: a stack's site roles are found by it. */
export const siteRolePath = (stack: string): string => `/wp-platform/${stack}/sites/`;
/** `wp.<stack>.<id>`: IAM allows `.` in a role name, a stack name and an id hold none. */
export const siteRoleName = (stack: string, id: string): string => `wp.${stack}.${id}`;
/** `wp.<stack>.<id>.web`: a dedicated site's serving pods' role, beside its Jobs' `wp.<stack>.<id>` (an id holds no dot). */
export const siteWebRoleName = (stack: string, id: string): string => `wp.${stack}.${id}.web`;
/** `wp.<stack>.<id>`: the site's CloudFront distribution tenant (unique in the account, as the role name is). */
export const edgeTenantName = (stack: string, id: string): string => `wp.${stack}.${id}`;

/** Stack-level Kubernetes objects, as DESIGN.md names them. */
export const deploymentName = (color: Color): string => `${color}-deployment`;
export const serviceName = (color: Color): string => color;
export const CANARY_CONFIGMAP = "canary-env";
export const SITE_INDEX_CONFIGMAP = "site-index";
export const SITE_INDEX_FILE = "sites.json";
/** Where the pods find the site index (a ConfigMap volume) and each site's settings (a Secret volume). */
export const SITE_INDEX_MOUNT = "/etc/wp-platform/index";
/** The Secrets holding the serving pods' settings, spread by site id (src/settings.ts). */
export const settingsSecretName = (shard: number): string => `site-settings-${shard}`;
export const SETTINGS_MOUNT = "/etc/wp-platform/settings";
/** The key of a site's settings in its Secret and in `site-settings`: `<id>.json`. */
export const settingsKey = (id: string): string => `${id}.json`;
export const SERVICE_ACCOUNT = "wordpress";
export const SERVICE_PORT = 80;
