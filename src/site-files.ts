// Deleting a removed site's files: every version of every object under `sites/<id>/` of the stack
// bucket. Objects are not Pulumi resources, so without this a stack that does not retain data
// would keep a removed site's files for ever. Creates no resources.
import { DeleteObjectsCommand, ListObjectVersionsCommand, type S3Client } from "@aws-sdk/client-s3";
import type * as pulumi from "@pulumi/pulumi";
import { SITE_ID_PATTERN } from "./sites";

/** Where a site's files live, as the site role's `wp-platform:files` tag records it. */
export interface FilesLocation {
    readonly bucket: string;
    readonly prefix: string;
}

export const FILES_TAG = "wp-platform:files";

export function filesLocationTag(bucket: string, prefix: string): string {
    return `s3://${bucket}/${prefix}`;
}

/**
 * What the Site component records in its own inputs for the files cleanup hook, which runs after the
 * engine deletes the component and sees nothing but what the state held: where the files are, and
 * whether the stack kept removed sites' data when it last registered the site.
 */
export interface SiteFilesRecord {
    /** `s3://<bucket>/sites/<id>/`. */
    readonly files: string;
    readonly retainData: boolean;
}

export function siteFilesRecord(
    bucketName: pulumi.Output<string>,
    prefix: string,
    retainData: boolean,
): { [K in keyof SiteFilesRecord]: pulumi.Input<SiteFilesRecord[K]> } {
    return { files: bucketName.apply((bucket) => filesLocationTag(bucket, prefix)), retainData };
}

/** Hides every file of a site at once; the bucket's lifecycle rule then deletes the hidden versions (README, Safety). */
export function manualCleanupCommand(location: FilesLocation): string {
    return `aws s3 rm --recursive ${filesLocationTag(location.bucket, location.prefix)}`;
}

/**
 * Parses `s3://<bucket>/sites/<id>/`, and nothing else: a prefix that is not exactly one site's
 * folder (an empty one would be the whole bucket) is refused, whatever put it there.
 */
export function parseFilesLocation(tag: string): FilesLocation & { readonly site: string } {
    const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(sites\/([^/]+)\/)$/.exec(tag);
    if (!match || !SITE_ID_PATTERN.test(match[3])) {
        throw new Error(`refusing to delete files at ${JSON.stringify(tag)}: not s3://<bucket>/sites/<site id>/`);
    }
    return { bucket: match[1], prefix: match[2], site: match[3] };
}

type S3 = Pick<S3Client, "send">;

/** Deletes every object version and delete marker under the prefix; returns how many. */
export async function deleteAllVersions(s3: S3, location: FilesLocation): Promise<number> {
    let deleted = 0;
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    do {
        let page;
        try {
            page = await s3.send(
                new ListObjectVersionsCommand({
                    Bucket: location.bucket,
                    Prefix: location.prefix,
                    KeyMarker: keyMarker,
                    VersionIdMarker: versionIdMarker,
                }),
            );
        } catch (e) {
            // A destroy deletes the bucket (forceDestroy, with every version in it) and this hook with no
            // order between them: a bucket already gone holds no files.
            if ((e as { name?: string }).name === "NoSuchBucket") return deleted;
            throw e;
        }
        const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]
            .filter((v) => v.Key?.startsWith(location.prefix))
            .map((v) => ({ Key: v.Key!, VersionId: v.VersionId }));
        // A page holds at most 1,000 entries, the most one DeleteObjects call takes.
        if (objects.length > 0) {
            const result = await s3.send(new DeleteObjectsCommand({ Bucket: location.bucket, Delete: { Objects: objects, Quiet: true } }));
            if (result.Errors?.length) {
                const first = result.Errors[0];
                throw new Error(
                    `could not delete ${result.Errors.length} file versions under s3://${location.bucket}/${location.prefix}: ${first.Key}: ${first.Message}`,
                );
            }
            deleted += objects.length;
        }
        keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker !== undefined);
    return deleted;
}
