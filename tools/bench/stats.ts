// The figures of a bench run (tools/bench.ts): per site, growth with the number of sites, and the
// targets against what was measured. Plain numbers in, plain numbers out.
import type { AddCheck, Measure } from "./worker";
import type { Floor } from "./options";

/** A per-site cost holds its target within this factor: of the floor's, and of its own at 100 sites (linear). */
export const TARGET_FACTOR = 1.5;
export const MiB = 1024 * 1024;

/** One run at one size. */
export interface Row {
    readonly sites: number;
    readonly measure: Measure;
}

/** loadSites over many files, run after run. */
export interface LoaderResult {
    readonly files: number;
    readonly runs: number;
    readonly firstMs: number;
    readonly medianMs: number;
    readonly allMs: readonly number[];
}

export function median(xs: readonly number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function round(x: number, digits: number): number {
    const f = 10 ** digits;
    return Math.round(x * f) / f;
}

export const ratio = (a: number, b: number): number | null => (b > 0 ? round(a / b, 2) : null);

/** Per size: the totals, and per site the difference to the empty run divided by the number of sites. */
export function perSite(rows: readonly Row[]) {
    const [base, ...sized] = rows;
    return sized.map(({ sites, measure }, i) => {
        const prev = i === 0 ? base : sized[i - 1];
        return {
            sites,
            resources: measure.resources,
            resourcesPerSite: round((measure.resources - base.measure.resources) / sites, 2),
            wallMs: round(measure.wallMs, 0),
            msPerSite: round((measure.wallMs - base.measure.wallMs) / sites, 2),
            marginalMsPerSite: round((measure.wallMs - prev.measure.wallMs) / (sites - prev.sites), 2),
            gcPercent: round((100 * measure.gcMs) / measure.wallMs, 1),
            peakRssMiB: round(measure.peakRssBytes / MiB, 1),
            mibPerSite: round((measure.peakRssBytes - base.measure.peakRssBytes) / MiB / sites, 3),
        };
    });
}

export type PerSite = ReturnType<typeof perSite>[number];

export interface Growth {
    readonly from: number;
    readonly to: number;
    readonly factor: number | null;
}

/** The per-site cost at the largest size over that at the smallest size of at least 100 sites. */
export function growth(rows: readonly PerSite[], key: "msPerSite" | "mibPerSite"): Growth {
    const ref = rows.find((r) => r.sites >= 100) ?? rows[0];
    const last = rows[rows.length - 1];
    return { from: ref.sites, to: last.sites, factor: ref === last ? null : ratio(last[key], ref[key]) };
}

export function floorGrowth(floors: ReadonlyMap<Floor, readonly PerSite[]>, key: "msPerSite" | "mibPerSite"): Record<string, Growth> {
    return Object.fromEntries([...floors].map(([floor, rows]) => [floor, growth(rows, key)]));
}

/** The targets, against what was measured. A factor within TARGET_FACTOR holds. */
export function targets(
    programRows: readonly PerSite[],
    floorRows: ReadonlyMap<Floor, readonly PerSite[]>,
    loader: LoaderResult,
    add: AddCheck | undefined,
) {
    const last = programRows[programRows.length - 1];
    const within = (x: number | null) => (x === null ? null : x <= TARGET_FACTOR);
    const time = growth(programRows, "msPerSite");
    const memory = growth(programRows, "mibPerSite");
    return {
        resourcesPerSite: last.resourcesPerSite,
        linear: {
            time: time.factor,
            memory: memory.factor,
            holds: time.factor === null ? null : within(time.factor) && within(memory.factor),
        },
        floor: Object.fromEntries(
            [...floorRows].map(([floor, rows]) => {
                const f = rows[rows.length - 1];
                const [t, m] = [ratio(last.msPerSite, f.msPerSite), ratio(last.mibPerSite, f.mibPerSite)];
                return [floor, { sites: f.sites, time: t, memory: m, holds: within(t) === true && within(m) === true }];
            }),
        ),
        loaderUnderOneSecond: loader.medianMs < 1000,
        addOneSiteDiffsThatSiteOnly: add ? add.unexpected.length === 0 : null,
    };
}

export type Targets = ReturnType<typeof targets>;

/** The targets not met, by name; a target that could not be measured (n/a) is not counted. */
export function missedTargets(t: Targets): string[] {
    const missed: string[] = [];
    if (t.linear.holds === false) missed.push(`linear in N (time x${t.linear.time}, memory x${t.linear.memory})`);
    for (const [floor, f] of Object.entries(t.floor)) {
        if (!f.holds) missed.push(`per site within ${TARGET_FACTOR}x of floor ${floor} (time x${f.time}, memory x${f.memory})`);
    }
    if (!t.loaderUnderOneSecond) missed.push("loadSites of 1,000 files under one second");
    if (t.addOneSiteDiffsThatSiteOnly === false) missed.push("adding one site diffs that site and the site index only");
    return missed;
}
