// A removed site's files go with it, unless the stack keeps removed sites' data. Objects in S3 are
// not Pulumi resources, so a resource hook does it: after the engine deletes a Site component, the
// hook deletes every version of every object under the site's prefix, which the component's own
// inputs record (`siteFilesRecord`).
//
// Why the Site component: the engine deletes it only when the site leaves the program or the whole
// stack is destroyed (`pulumi destroy --run-program` included). A component is never replaced (it
// has no provider to ask for a replacement), so, unlike a cloud resource of the site, its deletion
// never means "recreated a moment later". The hook therefore needs no "is the site still here?"
// check, which a destroy would answer wrongly: its program still declares every site.
import { S3Client } from "@aws-sdk/client-s3";
import * as pulumi from "@pulumi/pulumi";
import { type FilesLocation, type SiteFilesRecord, deleteAllVersions, manualCleanupCommand, parseFilesLocation } from "../src/site-files";

/** The hook's name: the engine finds a delete hook by name, in the run that deletes. Never change it. */
export const FILES_CLEANUP_HOOK = "wp-platform-delete-site-files";

type S3 = Pick<S3Client, "send">;

/**
 * The hook. Create it on every run of every stack, whatever `retainDataOnDelete` says: a state that
 * names a delete hook the program does not register cannot delete that resource ("hook ... was not
 * registered"), and a stack may turn retention on after its sites were created. `region` is the
 * stack's `aws:region` (the AWS SDK's own default when absent).
 *
 * `ignoreErrors`: the site is already deleted when the hook runs, so a failure (S3 refused a
 * deletion, the network went) is an engine warning with the command that finishes the job, and the
 * update succeeds. Without it the engine records the failure and the whole update reports failed
 * (pulumi/pulumi v3.248.0 pkg/resource/deploy/deployment.go RunHooks, step.go DeleteStep.Apply).
 */
export function siteFilesCleanupHook(options: { readonly retainData: boolean; readonly region?: string }): pulumi.ResourceHook {
    return new pulumi.ResourceHook(
        FILES_CLEANUP_HOOK,
        cleanUpSiteFiles(options.retainData, () => new S3Client({ region: options.region })),
        { ignoreErrors: true },
    );
}

/**
 * What the hook does, given a way to reach S3 (with the credentials Pulumi's AWS provider uses).
 * `retainData` is this run's `retainDataOnDelete`; the files stay when it, or the setting recorded
 * when the site was last registered, keeps data.
 */
export function cleanUpSiteFiles(retainData: boolean, s3: () => S3): pulumi.ResourceHookFunction {
    return async (args) => {
        // What the component recorded (siteFilesRecord), checked: the state may predate it.
        const recorded: Partial<Record<keyof SiteFilesRecord, unknown>> = args.oldInputs ?? {};
        if (typeof recorded.files !== "string") {
            await pulumi.log.warn(`${args.name}: no files location in its state; its files, if any, stay under sites/${args.name}/`);
            return;
        }
        const location = parseFilesLocation(recorded.files);
        if (location.site !== args.name) {
            throw new Error(`refusing to delete ${recorded.files}: it names site ${location.site}, and the deleted site is ${args.name}`);
        }
        if (retainData || recorded.retainData === true) {
            await pulumi.log.info(`site ${location.site} removed; its files stay at ${recorded.files} (retainDataOnDelete)`);
            return;
        }
        const deleted = await deleteAllVersions(s3(), location).catch((e: Error) => {
            throw new Error(failure(location, e));
        });
        await pulumi.log.info(`deleted ${deleted} file versions of removed site ${location.site} at ${recorded.files}`);
    };
}

function failure(location: FilesLocation & { readonly site: string }, e: Error): string {
    return (
        `the files of removed site ${location.site} were not deleted (${e.message}). ` +
        `The site is gone; hide its files now with \`${manualCleanupCommand(location)}\` ` +
        `(README, Safety: deleting every version at once)`
    );
}
