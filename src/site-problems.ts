// A problem of a site file, as `<file>:<line>:<column>: <field>: <message>`, and the one error that
// lists every problem of every file. Creates no resources.
import * as path from "path";
import { location } from "./diagnostics";

export interface SiteProblem {
    readonly file: string;
    readonly line?: number;
    readonly column?: number;
    readonly field?: string;
    readonly message: string;
}

/** One problem as `<file>:<line>:<column>: <field>: <message>`, leaving out the parts that are unknown. */
export function formatSiteProblem(p: SiteProblem): string {
    const where = location(p.file, p.line, p.column);
    return p.field !== undefined ? `${where}: ${p.field}: ${p.message}` : `${where}: ${p.message}`;
}

export class SiteFileError extends Error {
    readonly problems: readonly SiteProblem[];

    /** `where` completes the first line: "3 problems in <where>:". */
    constructor(problems: readonly SiteProblem[], where = "the site files") {
        const count = `${problems.length} problem${problems.length === 1 ? "" : "s"}`;
        super([`${count} in ${where}:`, ...problems.map(formatSiteProblem)].join("\n"));
        this.name = "SiteFileError";
        this.problems = Object.freeze([...problems]);
    }
}

/** Paths relative to the working directory when under it (as an operator types them), else absolute. */
export function displayPath(p: string): string {
    const absolute = path.resolve(p);
    const relative = path.relative(process.cwd(), absolute);
    if (relative === "") return ".";
    return isOutside(relative) ? absolute : relative;
}

export function isOutside(relative: string): boolean {
    return relative === ".." || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
}

export function byLine(a: SiteProblem, b: SiteProblem): number {
    return (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0);
}
