// Small text helpers shared by the program and the tools. Creates no resources.

/** Code-unit order: the same on every machine and in every locale, unlike localeCompare. */
export function compareText(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}
