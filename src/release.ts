// Which color and image each site gets, from the stack's release config. Creates no resources.
import { COLORS, type Color, type ReleaseConfig, imageRef } from "./config";
import type { SiteSpec } from "./sites";

/** A site's color: its `service`, with `active` resolved to the release's active color. */
export function siteColor(site: Pick<SiteSpec, "service">, release: Pick<ReleaseConfig, "active">): Color {
    return site.service === "active" ? release.active : site.service;
}

/** The image of a color, by digest. */
export function colorImage(image: string, release: ReleaseConfig, color: Color): string {
    return imageRef(image, release[color]);
}

/** The colors that serve at least one site; the other one idles at `release.idleReplicas`. */
export function colorsInUse(sites: readonly Pick<SiteSpec, "service">[], release: Pick<ReleaseConfig, "active">): ReadonlySet<Color> {
    const used = new Set(sites.map((s) => siteColor(s, release)));
    return new Set(COLORS.filter((c) => used.has(c)));
}

export function otherColor(color: Color): Color {
    return color === "blue" ? "green" : "blue";
}
