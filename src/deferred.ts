// A promise resolved later by the code that created it. Used where two components wait on each
// other's children: a color's Deployment rolls out only after the verify Jobs of the sites on that
// color, and those Jobs are created by the sites, after the Deployments.
export interface Deferred<T> {
    readonly promise: Promise<T>;
    resolve(value: T): void;
}

export function deferred<T>(): Deferred<T> {
    let resolve!: (value: T) => void;
    const promise = new Promise<T>((r) => (resolve = r));
    return { promise, resolve };
}
