// Images: every container of every workload is pinned by digest, in the form the program writes
// (src/config.ts, imageRef: `<image>@<digest>`).
import { DIGEST_PATTERN, imageRef } from "../src/config";
import { type ResourceCheck, escapeRegExp, show } from "./model";
import { WORKLOAD_TYPES, containerLabel, containersOf, podSpecOf } from "./kubernetes";

// The digests the stack config accepts, joined to the repository as the program joins them (imageRef).
const SEPARATOR = escapeRegExp(imageRef("", ""));
const IMAGE_BY_DIGEST = new RegExp(`^([^\\s${SEPARATOR}]+)${SEPARATOR}${DIGEST_PATTERN}$`);

export const imagesByDigest: ResourceCheck = {
    name: "images-by-digest",
    description: "Every container image is pinned by digest (`<repository>@sha256:<64 hex>`), never by a tag such as latest.",
    types: WORKLOAD_TYPES,
    check(type, props) {
        const spec = podSpecOf(type, props);
        if (!spec) return [];
        const violations: string[] = [];
        for (const { kind, container } of containersOf(spec)) {
            const image = container.image;
            const match = typeof image === "string" ? IMAGE_BY_DIGEST.exec(image) : null;
            const label = containerLabel(kind, container);
            if (!match) {
                violations.push(`${label} image ${show(image)} is not pinned by digest (<repository>@sha256:<64 hex>)`);
            } else if (match[1].slice(match[1].lastIndexOf("/") + 1).includes(":")) {
                // A tag next to the digest misleads a reader: the digest wins, and the tag says otherwise.
                violations.push(`${label} image ${show(image)} carries a tag as well as its digest; reference it by digest only`);
            }
        }
        return violations;
    },
};
