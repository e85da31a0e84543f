// The rules of a site file's values, as plain functions: a site id, a hostname, a domain. Used by
// the schema (src/site-schema.ts), the loader (src/sites.ts) and the site tools. Creates no resources.

export const MAX_SITE_ID_LENGTH = 24;
/** 1 to 24 lowercase letters, digits and hyphens, starting with a letter, not ending with a hyphen. */
export const SITE_ID_PATTERN = new RegExp(`^[a-z](?:[a-z0-9-]{0,${MAX_SITE_ID_LENGTH - 2}}[a-z0-9])?$`);

// Why each id is reserved; the id is in resource names and URNs, so a clash cannot be fixed later.
const RESERVED_REASONS: Readonly<Record<string, string>> = {
    platform: "it names the platform component",
    release: "it names the release component",
    blue: "it names the blue Deployment and Service",
    green: "it names the green Deployment and Service",
    active: "it names the active service that routes to the current color",
    canary: "it names the canary record of the release",
    preview: "it reads as a preview environment, not a site",
    default: "it reads as the default site or namespace",
    www: "it reads as a hostname label, not a site",
    admin: "it reads as an administration endpoint",
    "kube-system": "it names a Kubernetes system namespace",
};
export const RESERVED_SITE_IDS: readonly string[] = Object.freeze(Object.keys(RESERVED_REASONS));

export const MAX_SITE_FILE_BYTES = 64 * 1024;
export const MAX_NAME_LENGTH = 200;
export const MAX_THEME_LENGTH = 64;
export const THEME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
export const MAX_HOSTNAME_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
const LABEL_PATTERN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
// For the generated JSON Schema only; the checks below give the precise message.
export const HOSTNAME_PATTERN_SOURCE = "^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$";

export const ID_RULE = `1 to ${MAX_SITE_ID_LENGTH} lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen`;
export const HOSTNAME_RULE = "a lowercase DNS name: labels of 1-63 a-z, 0-9 and hyphens, separated by dots";

/** Why `id` is not a valid site id (file name aside), or undefined when it is. */
export function siteIdProblem(id: string): string | undefined {
    const shown = quote(id);
    if (id.length === 0) return `must not be empty; an id is ${ID_RULE}`;
    if (id.length > MAX_SITE_ID_LENGTH) {
        return `${shown} is ${id.length} characters; an id is ${ID_RULE}`;
    }
    if (/[^a-z0-9-]/.test(id)) {
        return /^[a-z0-9-]+$/.test(id.toLowerCase())
            ? `${shown} must be lowercase (${quote(id.toLowerCase())}); an id is ${ID_RULE}`
            : `${shown} may hold only lowercase letters, digits and hyphens; an id is ${ID_RULE}`;
    }
    if (!/^[a-z]/.test(id)) return `${shown} must start with a letter; an id is ${ID_RULE}`;
    if (id.endsWith("-")) return `${shown} must not end with a hyphen; an id is ${ID_RULE}`;
    const reason = RESERVED_REASONS[id];
    if (reason !== undefined) {
        return `${shown} is reserved: ${reason}, which would be confusing or clash with platform objects; choose another id`;
    }
    return undefined;
}

/** Why `host` is not an acceptable site hostname, or undefined when it is. */
export function hostnameProblem(host: string): string | undefined {
    const shown = quote(host);
    if (host.length === 0) return `must not be empty; a hostname is ${HOSTNAME_RULE}`;
    if (host.includes("*")) return `${shown}: wildcards are not allowed; list each hostname`;
    if (/[\s/:@?#]/.test(host)) return `${shown} must be a bare hostname, without scheme, port, path or spaces`;
    if (/[^\x00-\x7f]/.test(host)) return `${shown} has non-ASCII characters; write its punycode form (xn--...)`;
    if (host !== host.toLowerCase()) return `${shown} must be lowercase: write ${quote(host.toLowerCase())}`;
    if (host.length > MAX_HOSTNAME_LENGTH) {
        return `${shown} is ${host.length} characters; a hostname has at most ${MAX_HOSTNAME_LENGTH}`;
    }
    if (host.endsWith(".")) return `${shown} must not end with a dot`;
    const labels = host.split(".");
    if (labels.length < 2) return `${shown} must have at least two labels, such as ${host}.example.com`;
    for (const label of labels) {
        if (label.length === 0) return `${shown} has an empty label (a leading dot or two dots in a row)`;
        if (label.length > MAX_LABEL_LENGTH) {
            return `${shown} has a label of ${label.length} characters; a label has at most ${MAX_LABEL_LENGTH}`;
        }
        if (!LABEL_PATTERN.test(label)) {
            return /^[a-z0-9-]+$/.test(label)
                ? `${shown}: label ${quote(label)} must not start or end with a hyphen`
                : `${shown}: label ${quote(label)} may hold only a-z, 0-9 and hyphens`;
        }
    }
    return undefined;
}

/** True when `s` is a lowercase DNS name a site may use (no wildcard, at least two labels). */
export function isHostname(s: string): boolean {
    return typeof s === "string" && hostnameProblem(s) === undefined;
}

export function normalizeDomain(domain: string): string {
    return domain
        .trim()
        .toLowerCase()
        .replace(/^\.+|\.+$/g, "");
}

/** True when `host` equals one of `domains` or is under one (`a.example.com` is under `example.com`, `badexample.com` is not). */
export function isUnderDomain(host: string, domains: readonly string[]): boolean {
    const h = normalizeDomain(host);
    return domains.some((d) => {
        const domain = normalizeDomain(d);
        return domain.length > 0 && (h === domain || h.endsWith(`.${domain}`));
    });
}

export function quote(s: string): string {
    const shown = s.length > 60 ? `${s.slice(0, 57)}...` : s;
    return JSON.stringify(shown);
}

export function describeValue(v: unknown): string {
    if (v === null) return "an empty value";
    if (Array.isArray(v)) return "a list";
    if (v instanceof Date) return "a date";
    switch (typeof v) {
        case "string":
            return `the text ${quote(v)}`;
        case "number":
        case "bigint":
            return `the number ${String(v)}`;
        case "boolean":
            return `the boolean ${String(v)}`;
        case "object":
            return "a mapping";
        default:
            return typeof v;
    }
}
