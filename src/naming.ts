// Names of things in the cloud and the cluster, derived from stable inputs only (stack, site id,
// color): never from list positions, time or randomness. Changing one of these renames (and so
// replaces) a live object: a database among them.
import type { Color } from "./config";

/** Type token of the Site component. Never change it (it is in every site resource's URN). */
export const SITE_TYPE = "wp-platform:index:Site";
export const PLATFORM_TYPE = "wp-platform:index:Platform";
export const RELEASE_TYPE = "wp-platform:index:Release";
export const SITE_INDEX_TYPE = "wp-platform:index:SiteIndex";

/** MySQL identifiers cannot hold hyphens unquoted; ids have no underscores, so this is one-to-one. */
function sqlSafe(id: string): string {
    return id.replace(/-/g, "_");
}

/** The site's database: `wp_<id>` (at most 27 characters, within MySQL's 64). */
export const databaseName = (id: string): string => `wp_${sqlSafe(id)}`;

/** The site's MySQL user: `wp_<id>` (at most 27 characters, within MySQL's 32). */
export const databaseUser = (id: string): string => `wp_${sqlSafe(id)}`;

/** The Secrets Manager secret of a site. */
export const secretName = (stack: string, id: string): string => `wp-platform/${stack}/${id}`;

/** The S3 prefix of a site's files in the stack bucket. */
export const sitePrefix = (id: string): string => `sites/${id}/`;

/** Kubernetes objects of a site: `site-<id>` (Ingress, Secret), `site-<id>-<job>` (Jobs). */
export const siteObjectName = (id: string, suffix?: string): string => (suffix ? `site-${id}-${suffix}` : `site-${id}`);

/** The host at which a site answers on the color it is not on, when the stack has a preview domain. */
export const previewHostname = (id: string, previewDomain: string): string => `${id}.${previewDomain}`;

/** IAM path of the site roles, so the workload role may assume exactly those. */
export const siteRolePath = (stack: string): string => `/wp-platform/${stack}/sites/`;
export const siteRoleName = (stack: string, id: string): string => `wp-${stack}-${id}`;

/** Stack-level Kubernetes objects, as DESIGN.md names them. */
export const deploymentName = (color: Color): string => `${color}-deployment`;
export const serviceName = (color: Color): string => color;
export const CANARY_CONFIGMAP = "canary-env";
export const SITE_INDEX_CONFIGMAP = "site-index";
export const SITE_INDEX_FILE = "sites.json";
export const SITE_INDEX_MOUNT = "/etc/wp-platform";
export const SERVICE_ACCOUNT = "wordpress";
export const SERVICE_PORT = 80;
