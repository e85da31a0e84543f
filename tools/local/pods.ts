// A pod's filesystem and environment on this machine: each volume the pod mounts is written under
// a folder of its own (<state>/pods/<name>/<mountPath>), as the kubelet writes a Secret or a
// ConfigMap into the container, and each path in the environment that points into a mount is
// pointed at the local copy. The image's own defaults that are not mounts (WordPress folder, CA
// bundle, port) are given by `npm run local`.
import * as fs from "fs";
import * as path from "path";
import type { Pod } from "./program";

export interface LocalPod {
    /** The folder standing for the container's `/`, for the mounted files. */
    readonly root: string;
    /** The environment to start the pod's process with. */
    readonly env: Record<string, string>;
}

/** The image's environment on this machine. */
export interface ImageEnv {
    /** The image's defaults: the pod's own env overrides them, as it overrides an image's ENV. */
    readonly defaults: Readonly<Record<string, string>>;
    /** Facts of this machine (docroot, CA bundle, port): they override the pod's env. */
    readonly local: Readonly<Record<string, string>>;
    /**
     * The local web server of each color: where a Job's `WP_PLATFORM_SERVICE_URL`, the cluster's
     * `http://<color>.<namespace>.svc.cluster.local`, points here.
     */
    readonly services?: Readonly<Record<string, string>>;
}

/**
 * Writes `pod`'s mounted files under `root` (replacing what was there) and returns its environment:
 * the image's defaults, then the pod's own env, each path into a mount moved under `root`, then
 * this machine's values.
 */
export function materialize(pod: Pod, root: string, image: ImageEnv): LocalPod {
    fs.rmSync(root, { recursive: true, force: true });
    for (const [mountPath, files] of Object.entries(pod.mounts)) {
        const dir = path.join(root, mountPath);
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        for (const [file, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), content, { mode: 0o600 });
    }
    const mountPaths = Object.keys(pod.mounts);
    const relocate = (value: string): string =>
        mountPaths.some((m) => value === m || value.startsWith(m.endsWith("/") ? m : `${m}/`)) ? path.join(root, value) : value;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...image.defaults, ...pod.env })) env[k] = relocate(v);
    const service = env.WP_PLATFORM_SERVICE_URL;
    if (service !== undefined && image.services) {
        const color = /^https?:\/\/([a-z]+)\./.exec(service)?.[1];
        if (color !== undefined && image.services[color] !== undefined) env.WP_PLATFORM_SERVICE_URL = image.services[color];
    }
    return { root, env: { ...env, ...image.local } };
}
