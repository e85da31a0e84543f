// In a stack that does not retain data, a removed site's files go with it. Objects in S3 are not
// Pulumi resources, so a resource hook does it: after the engine deletes a site's files role, the
// hook deletes every version of every object under the site's prefix, which the role's
// `wp-platform:files` tag records.
import { S3Client } from "@aws-sdk/client-s3";
import * as pulumi from "@pulumi/pulumi";
import { FILES_TAG, deleteAllVersions, parseFilesLocation } from "../src/site-files";

/** The hook's name: the engine finds a delete hook by name, in the run that deletes. Never change it. */
export const FILES_CLEANUP_HOOK = "wp-platform-delete-site-files";

type S3 = Pick<S3Client, "send">;

/**
 * The hook, to be created on every run of such a stack (a removed site has no code left to run it).
 * `liveSites` are this run's site ids: a role deleted while its site is still here is being
 * replaced, not removed, and its files stay. `region` is the stack's `aws:region` (the AWS SDK's own
 * default when absent).
 */
export function siteFilesCleanupHook(liveSites: ReadonlySet<string>, region: string | undefined): pulumi.ResourceHook {
    return new pulumi.ResourceHook(
        FILES_CLEANUP_HOOK,
        cleanUpSiteFiles(liveSites, () => new S3Client({ region })),
    );
}

/** What the hook does, given a way to reach S3 (with the credentials Pulumi's AWS provider uses). */
export function cleanUpSiteFiles(liveSites: ReadonlySet<string>, s3: () => S3): pulumi.ResourceHookFunction {
    return async (args) => {
        const tag = args.oldOutputs?.tags?.[FILES_TAG];
        if (typeof tag !== "string") return;
        const location = parseFilesLocation(tag);
        if (liveSites.has(location.site)) {
            await pulumi.log.info(`site ${location.site} is still in the stack: its files at ${tag} stay`);
            return;
        }
        const deleted = await deleteAllVersions(s3(), location);
        await pulumi.log.info(`deleted ${deleted} file versions of removed site ${location.site} at ${tag}`);
    };
}
