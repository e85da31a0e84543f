// The schema of a site file: the single source of truth for its fields and their values; the JSON
// Schema in schema/ is generated from it (npm run schema). Creates no resources.
import { z } from "zod";
import {
    HOSTNAME_PATTERN_SOURCE,
    HOSTNAME_RULE,
    ID_RULE,
    MAX_HOSTNAME_LENGTH,
    MAX_NAME_LENGTH,
    MAX_SITE_ID_LENGTH,
    MAX_THEME_LENGTH,
    RESERVED_SITE_IDS,
    SITE_ID_PATTERN,
    THEME_PATTERN,
    describeValue,
    hostnameProblem,
    quote,
    siteIdProblem,
} from "./site-rules";
import { suggest, type SuggestRules } from "./diagnostics";

export const SERVICES = ["blue", "green", "active"] as const;
export type Service = (typeof SERVICES)[number];
export const ISOLATIONS = ["shared", "dedicated"] as const;
export type Isolation = (typeof ISOLATIONS)[number];

function typeError(expected: string, requiredHint: string) {
    return (issue: { input?: unknown }): string => {
        const found = issue.input;
        if (found === undefined) return `is required: ${requiredHint}`;
        const quoteHint =
            expected.includes("string") && (typeof found === "number" || typeof found === "boolean") ? "; put the value in quotes" : "";
        return `must be ${expected}, not ${describeValue(found)}${quoteHint}`;
    };
}

/** What a missing `hostnames` should hold, with an example from the site's id. */
export function hostnamesHint(id: string): string {
    return `a list of one or more hostnames, such as [${SITE_ID_PATTERN.test(id) ? id : "www"}.example.com]`;
}

function checked(check: (s: string) => string | undefined) {
    return (value: string, ctx: z.RefinementCtx<string>): void => {
        const message = check(value);
        if (message !== undefined) ctx.addIssue({ code: "custom", message });
    };
}

function codePoints(s: string): number {
    let n = 0;
    for (const _ of s) n++;
    return n;
}

const hostnameSchema = z
    .string({ error: typeError("a hostname (a string)", HOSTNAME_RULE) })
    .superRefine(checked(hostnameProblem))
    .meta({
        description: `A hostname served by the site: ${HOSTNAME_RULE}; at least two labels, at most 253 characters, no wildcard.`,
        pattern: HOSTNAME_PATTERN_SOURCE,
        maxLength: MAX_HOSTNAME_LENGTH,
        examples: ["rrr.cloud2-stg.example.com"],
    });

export const siteFileSchema = z
    .strictObject({
        id: z
            .string({ error: typeError("a string", `the site id, equal to the file's base name (${ID_RULE})`) })
            .superRefine(checked(siteIdProblem))
            .meta({
                description:
                    `The site id: ${ID_RULE}; equals the file's base name. Permanent: it is in resource names and URNs. ` +
                    `Reserved: ${RESERVED_SITE_IDS.join(", ")}.`,
                pattern: SITE_ID_PATTERN.source,
                minLength: 1,
                maxLength: MAX_SITE_ID_LENGTH,
                not: { enum: [...RESERVED_SITE_IDS] },
                examples: ["rrr"],
            }),
        name: z
            .string({ error: typeError("a string", "the WordPress site title") })
            .superRefine(
                checked((name) => {
                    if (name.trim().length === 0) return "must not be empty; it is the WordPress site title";
                    // The title lands in HTML, feeds and logs: one line of printable text.
                    if (/[\u0000-\u001f\u007f]/.test(name)) {
                        return "must be one line of text, without control characters such as tabs or line breaks";
                    }
                    const length = codePoints(name);
                    if (length > MAX_NAME_LENGTH) {
                        return `is ${length} characters; a site title has at most ${MAX_NAME_LENGTH}`;
                    }
                    return undefined;
                }),
            )
            .meta({
                description: `The WordPress site title, free text of 1 to ${MAX_NAME_LENGTH} characters.`,
                minLength: 1,
                maxLength: MAX_NAME_LENGTH,
                examples: ["Project Bluelaunch | rrr"],
            }),
        theme: z
            .string({ error: typeError("a string", "the slug of the WordPress theme to install and activate") })
            .superRefine(
                checked((theme) => {
                    if (theme.length > MAX_THEME_LENGTH) {
                        return `${quote(theme)} is ${theme.length} characters; a theme slug has at most ${MAX_THEME_LENGTH}`;
                    }
                    if (!THEME_PATTERN.test(theme)) {
                        return (
                            `${quote(theme)} is not a WordPress theme slug: ` +
                            "lowercase letters, digits, hyphens and underscores, starting with a letter or digit"
                        );
                    }
                    return undefined;
                }),
            )
            .meta({
                description: "The slug of the WordPress theme, installed and activated on the site.",
                pattern: THEME_PATTERN.source,
                minLength: 1,
                maxLength: MAX_THEME_LENGTH,
                examples: ["twentytwentythree"],
            }),
        hostnames: z
            .array(hostnameSchema, {
                error: typeError("a list of hostnames", hostnamesHint("rrr")),
            })
            .min(1, "must list at least one hostname")
            .superRefine(
                (hostnames: unknown, ctx) => {
                    if (!Array.isArray(hostnames)) return;
                    const first = new Map<string, number>();
                    hostnames.forEach((host: unknown, i) => {
                        if (typeof host !== "string") return;
                        const seen = first.get(host);
                        if (seen === undefined) {
                            first.set(host, i);
                        } else {
                            ctx.addIssue({
                                code: "custom",
                                path: [i],
                                message: `${quote(host)} is listed twice (also hostnames[${seen}]); list each hostname once`,
                            });
                        }
                    });
                },
                // Report duplicates even when another hostname of the list is invalid.
                { when: () => true },
            )
            .meta({
                description: "The hostnames of the site, one or more; no hostname twice, and none used by another site of the stack.",
                uniqueItems: true,
            }),
        canonicalHostname: z
            .string({ error: typeError("a string", "one of hostnames") })
            .optional()
            .meta({
                description: "The hostname WordPress redirects to; one of hostnames. Default: the first of hostnames.",
                pattern: HOSTNAME_PATTERN_SOURCE,
                maxLength: MAX_HOSTNAME_LENGTH,
                examples: ["rrr.cloud2-stg.example.com"],
            }),
        service: z
            .enum(SERVICES, {
                error: (issue) => `must be one of ${SERVICES.join(", ")}, not ${describeValue(issue.input)}`,
            })
            .optional()
            .meta({
                description: "Which release color serves the site: blue, green, or active (the current color). Default: active.",
                default: "active",
            }),
        isolation: z
            .enum(ISOLATIONS, {
                error: (issue) => `must be one of ${ISOLATIONS.join(", ")}, not ${describeValue(issue.input)}`,
            })
            .optional()
            .meta({
                description:
                    "Which pods serve the site: shared (the fleet's pods of its color) or dedicated (pods, index and settings of its own, " +
                    "which no other site's pods can read). Default: shared.",
                default: "shared",
            }),
    })
    .superRefine(
        (file: unknown, ctx) => {
            if (typeof file !== "object" || file === null) return;
            const { hostnames, canonicalHostname } = file as Record<string, unknown>;
            if (typeof canonicalHostname !== "string" || !Array.isArray(hostnames)) return;
            if (!hostnames.includes(canonicalHostname)) {
                const listed = hostnames.filter((h): h is string => typeof h === "string").join(", ");
                ctx.addIssue({
                    code: "custom",
                    path: ["canonicalHostname"],
                    message: `${quote(canonicalHostname)} must be one of hostnames (${listed})`,
                });
            }
        },
        // Check the canonical hostname even when another field is wrong: all problems at once.
        { when: () => true },
    )
    .meta({
        title: "wp-platform site file",
        description: "One WordPress site of a stack: sites/<stack>/<id>.yaml.",
    });

export type SiteFile = z.infer<typeof siteFileSchema>;

export const SITE_FIELDS: readonly string[] = Object.keys(siteFileSchema.shape);
/** How an unknown key finds the field it meant: written another way, begun, misspelt, or an old name for it. */
const FIELD_SUGGESTING: SuggestRules = {
    ignoreSeparators: true,
    prefixes: true,
    aliases: {
        title: "name",
        hosts: "hostnames",
        domain: "hostnames",
        domains: "hostnames",
        canonical: "canonicalHostname",
        color: "service",
        colour: "service",
        isolated: "isolation",
        dedicated: "isolation",
        template: "theme",
    },
    // Fewer edits than the key has letters, so that a short key is never "corrected" into any field;
    // up to a third of a long field, so that `canonicalHostnmae` still finds its field.
    maxDistance: (key, field) => Math.min(key.length - 1, Math.max(2, Math.floor(field.length / 3))),
};

export function unknownFieldMessage(key: string): string {
    const suggestion = suggest(key, SITE_FIELDS, FIELD_SUGGESTING);
    const allowed = `allowed fields: ${SITE_FIELDS.join(", ")}`;
    return suggestion !== undefined ? `unknown field; did you mean ${quote(suggestion)}? (${allowed})` : `unknown field; ${allowed}`;
}
