// What a site's pods and Jobs read (docs/image.md): its settings, `<id>.json`, and the site index,
// `sites.json`. Both reach the pods as files of mounted Kubernetes objects, which Kubernetes caps at
// 1 MiB of data each; the program checks the stack fits before it registers anything. Creates no
// resources.
import * as crypto from "crypto";
import type { Color } from "./config";
import { otherColor, siteColor } from "./release";
import type { SiteSpec } from "./sites";
import { compareText } from "./text";
import { databaseName, databaseUser, previewHostname, secretName, settingsKey, sitePrefix } from "./naming";

/** WordPress's eight keys and salts, each 64 characters. */
export const SALT_NAMES = [
    "AUTH_KEY",
    "SECURE_AUTH_KEY",
    "LOGGED_IN_KEY",
    "NONCE_KEY",
    "AUTH_SALT",
    "SECURE_AUTH_SALT",
    "LOGGED_IN_SALT",
    "NONCE_SALT",
] as const;
export const SALT_LENGTH = 64;
export const PASSWORD_LENGTH = 32;
export const ADMIN_USER = "platform-admin";
export const ADMIN_PASSWORD_KEY = "WP_ADMIN_PASSWORD";

/** `<id>.json`: string values only. */
export type SiteSettings = Record<string, string>;

export interface SettingsValues {
    readonly id: string;
    readonly dbHost: string;
    readonly dbPassword: string;
    readonly adminPassword: string;
    /** `WORDPRESS_<name>` -> 64 characters, for each of SALT_NAMES. */
    readonly salts: Record<string, string>;
    readonly adminEmail: string;
    /** `https://<canonical hostname>` (no trailing slash). */
    readonly siteUrl: string;
    readonly bucket: string;
    /** The stack's object cache, when it has one. */
    readonly cache?: CacheSettings;
}

/** Where a site's object cache is, and the AUTH token it takes; the site's keys are under its own prefix. */
export interface CacheSettings {
    readonly host: string;
    readonly port: number;
    readonly password: string;
}

/** Lengths of an ElastiCache AUTH token (components/platform.ts makes it) and the token's alphabet. */
export const CACHE_TOKEN_LENGTH = 64;

/**
 * The key prefix of a site's object cache: `<id>:`. No id holds a `:`, so no site's prefix starts
 * another's (`shop:` and `shop-preview:`), and a flush of one site's prefix leaves every other's keys.
 */
export const cacheKeyPrefix = (id: string): string => `${id}:`;

export function siteSettings(v: SettingsValues): SiteSettings {
    return {
        WORDPRESS_DB_HOST: v.dbHost,
        WORDPRESS_DB_NAME: databaseName(v.id),
        WORDPRESS_DB_USER: databaseUser(v.id),
        WORDPRESS_DB_PASSWORD: v.dbPassword,
        ...v.salts,
        WP_ADMIN_USER: ADMIN_USER,
        [ADMIN_PASSWORD_KEY]: v.adminPassword,
        WP_ADMIN_EMAIL: v.adminEmail,
        WP_SITE_URL: v.siteUrl,
        WP_S3_BUCKET: v.bucket,
        WP_S3_PREFIX: sitePrefix(v.id),
        ...(v.cache
            ? {
                  WP_REDIS_HOST: v.cache.host,
                  WP_REDIS_PORT: String(v.cache.port),
                  WP_REDIS_PASSWORD: v.cache.password,
                  WP_REDIS_PREFIX: cacheKeyPrefix(v.id),
              }
            : {}),
    };
}

/** The serving pods' copy: they never need the admin password. */
export function servingSettings(settings: SiteSettings): SiteSettings {
    return Object.fromEntries(Object.entries(settings).filter(([key]) => key !== ADMIN_PASSWORD_KEY));
}

/** `WORDPRESS_<name>` -> its 64 characters of the salts resource's 512 base64 characters. */
export function saltsFrom(base64: string): Record<string, string> {
    return Object.fromEntries(SALT_NAMES.map((key, i) => [`WORDPRESS_${key}`, base64.slice(i * SALT_LENGTH, (i + 1) * SALT_LENGTH)]));
}

/**
 * The serving settings are spread over this many Secrets (`site-settings-<n>`), merged into one
 * folder by a projected volume: one Secret would cap a stack at about 750 sites. Changing the number
 * changes the pod template, which restarts both colors.
 */
export const SETTINGS_SHARDS = 4;

/** Which `site-settings-<n>` holds a site: from its id alone, so adding a site moves no other. */
export function settingsShard(id: string): number {
    return crypto.createHash("sha256").update(id).digest().readUInt32BE(0) % SETTINGS_SHARDS;
}

export interface SiteIndexEntry {
    readonly site: string;
    readonly secret: string;
    readonly canonical: string;
    /** The color whose pods serve this host: the site's color, or for a preview host the other one. */
    readonly color: Color;
    /** A preview host: served as itself, never redirected to the canonical host. */
    readonly preview?: true;
}

/**
 * `{ "hosts": { "<hostname>": SiteIndexEntry } }`, hostnames sorted: same sites, same bytes. `active`
 * is the release's active color, which the sites on `active` take.
 */
export function siteIndexJson(stack: string, sites: readonly SiteSpec[], active: Color, previewDomain?: string): string {
    const entries = sites.flatMap((s) => {
        const color = siteColor(s, { active });
        const entry = { site: s.id, secret: secretName(stack, s.id), canonical: s.canonicalHostname, color };
        const live = s.hostnames.map((host) => [host, entry] as const);
        const preview = { ...entry, color: otherColor(color), preview: true as const };
        return previewDomain ? [...live, [previewHostname(s.id, previewDomain), preview] as const] : live;
    });
    const hosts: Record<string, SiteIndexEntry> = {};
    for (const [host, entry] of entries.sort(([a], [b]) => compareText(a, b))) hosts[host] = entry;
    return JSON.stringify({ hosts }, null, 1);
}

/** Kubernetes' cap on the data of one ConfigMap or Secret. */
export const OBJECT_DATA_LIMIT = 1024 * 1024;

/** What decides the size of a site's settings, besides the site itself. */
export interface SettingsContext {
    readonly stack: string;
    readonly adminEmail: string;
    readonly siteUrl: (site: SiteSpec) => string;
    /** Whether the stack has an object cache, whose settings every site then carries. */
    readonly cache: boolean;
}

// Upper bounds of the values only a deployment knows: an RDS endpoint (63-character identifier,
// 12-character cluster id, region, domain), an ElastiCache primary endpoint (`master.` and a
// 40-character replication group id, a 6-character hash, region, domain), an S3 bucket name.
const MAX_DB_HOST = "x".repeat(63 + 1 + 12 + 1 + 14 + ".rds.amazonaws.com.cn".length);
const MAX_CACHE_HOST = "x".repeat("master.".length + 40 + 1 + 6 + 1 + 14 + ".cache.amazonaws.com.cn".length);
const MAX_BUCKET = "x".repeat(63);

/** The most bytes a site's serving settings can take in its Secret: every unknown at its longest. */
export function servingSettingsBound(site: SiteSpec, context: SettingsContext): number {
    const settings = siteSettings({
        id: site.id,
        dbHost: MAX_DB_HOST,
        dbPassword: "x".repeat(PASSWORD_LENGTH),
        adminPassword: "",
        salts: saltsFrom("x".repeat(SALT_NAMES.length * SALT_LENGTH)),
        adminEmail: context.adminEmail,
        siteUrl: context.siteUrl(site),
        bucket: MAX_BUCKET,
        cache: context.cache ? { host: MAX_CACHE_HOST, port: 65535, password: "x".repeat(CACHE_TOKEN_LENGTH) } : undefined,
    });
    return settingsKey(site.id).length + Buffer.byteLength(JSON.stringify(servingSettings(settings)));
}

/**
 * Every problem with the sizes of the site index and the settings Secrets, for the stack's sites;
 * empty when they fit. The index is exact; settings are bounded from above.
 */
export function siteIndexSizeProblems(sites: readonly SiteSpec[], context: SettingsContext, previewDomain?: string): string[] {
    const problems: string[] = [];
    const kib = (n: number) => `${Math.ceil(n / 1024)} KiB`;
    // "green" is the longer color: the bound holds whichever is active.
    const index = Buffer.byteLength(siteIndexJson(context.stack, sites, "green", previewDomain));
    if (index > OBJECT_DATA_LIMIT) {
        problems.push(
            `the site index of ${sites.length} sites takes ${kib(index)}, over Kubernetes' 1 MiB per ConfigMap: split the stack (docs/scale.md)`,
        );
    }
    const shards = new Array<number>(SETTINGS_SHARDS).fill(0);
    for (const site of sites) shards[settingsShard(site.id)] += servingSettingsBound(site, context);
    shards.forEach((bytes, shard) => {
        if (bytes > OBJECT_DATA_LIMIT) {
            problems.push(
                `the settings in Secret site-settings-${shard} may take ${kib(bytes)}, over Kubernetes' 1 MiB per Secret: split the stack (docs/scale.md)`,
            );
        }
    });
    return problems;
}
