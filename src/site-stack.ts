// The stack's config and its sites, read together as the program reads them before it registers
// anything. One error lists the problems of both: a config mistake never hides a site file's
// (README, Safety: "every problem of every site file and of the config is reported at once").
// Creates no resources.
import { ConfigError, type PlatformConfig, parseConfig, siteOptionsOf } from "./config";
import { loadSites, SiteFileError, type SiteSpec } from "./sites";

/** Problems of the config and of the site files, in one error. */
export class StackInputError extends Error {
    constructor(
        readonly configError: ConfigError,
        readonly siteError: SiteFileError,
    ) {
        super(`${configError.message}\n${siteError.message}`);
        this.name = "StackInputError";
    }
}

/**
 * Parses the config and loads the sites. Throws the ConfigError or the SiteFileError alone when
 * only one of them has problems, a StackInputError when both do. With a bad config the site files
 * are still checked, with the site options that parsed (siteOptionsOf): no result, only problems.
 */
export function loadStack(
    raw: Readonly<Record<string, string>>,
    stack: string,
    projectRoot: string,
): { readonly config: PlatformConfig; readonly specs: SiteSpec[] } {
    let config: PlatformConfig;
    try {
        config = parseConfig(raw, stack, projectRoot);
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        throw withSiteProblems(e, siteOptionsOf(raw, stack, projectRoot));
    }
    const specs = loadSites(config.sitesDir, { allowedDomains: config.allowedDomains, previewDomain: config.release.previewDomain });
    return { config, specs };
}

/** The config's error, joined by the site files' problems when they have any. */
export function withSiteProblems(configError: ConfigError, options: ReturnType<typeof siteOptionsOf>): Error {
    // Where the site files are is unknown: only the config can be reported.
    if (options.sitesDir === undefined) return configError;
    try {
        loadSites(options.sitesDir, options);
        return configError;
    } catch (e) {
        if (e instanceof SiteFileError) return new StackInputError(configError, e);
        throw e;
    }
}
