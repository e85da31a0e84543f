import { DeleteObjectsCommand, ListObjectVersionsCommand } from "@aws-sdk/client-s3";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { FILES_CLEANUP_HOOK, cleanUpSiteFiles, siteFilesCleanupHook } from "../components/site-files-cleanup";
import { FILES_TAG, deleteAllVersions, parseFilesLocation } from "../src/site-files";
import { type ProgramRun, runProgram } from "./support/program";

/** A versioned bucket in memory, answering the two calls the cleanup makes, a page at a time. */
function fakeBucket(keys: { Key: string; VersionId: string; marker?: boolean }[], pageSize = 2) {
    const objects = [...keys];
    const calls: string[] = [];
    return {
        objects,
        calls,
        async send(command: unknown): Promise<any> {
            if (command instanceof ListObjectVersionsCommand) {
                const { Prefix = "", KeyMarker } = command.input;
                calls.push(`list ${Prefix} after ${KeyMarker ?? "-"}`);
                const matching = objects.filter((o) => o.Key.startsWith(Prefix)).sort((a, b) => a.Key.localeCompare(b.Key));
                const start = KeyMarker ? matching.findIndex((o) => o.Key > KeyMarker) : 0;
                const page = start < 0 ? [] : matching.slice(start, start + pageSize);
                const truncated = start >= 0 && start + pageSize < matching.length;
                return {
                    Versions: page.filter((o) => !o.marker).map(({ Key, VersionId }) => ({ Key, VersionId })),
                    DeleteMarkers: page.filter((o) => o.marker).map(({ Key, VersionId }) => ({ Key, VersionId })),
                    IsTruncated: truncated,
                    NextKeyMarker: truncated ? page[page.length - 1].Key : undefined,
                    NextVersionIdMarker: truncated ? page[page.length - 1].VersionId : undefined,
                };
            }
            if (command instanceof DeleteObjectsCommand) {
                const doomed = command.input.Delete?.Objects ?? [];
                calls.push(`delete ${doomed.length}`);
                for (const d of doomed)
                    objects.splice(
                        objects.findIndex((o) => o.Key === d.Key && o.VersionId === d.VersionId),
                        1,
                    );
                return {};
            }
            throw new Error(`unexpected S3 call ${String(command)}`);
        },
    };
}

const BUCKET_OBJECTS = () => [
    { Key: "sites/shop/wp-content/uploads/a.jpg", VersionId: "1" },
    { Key: "sites/shop/wp-content/uploads/a.jpg~", VersionId: "2", marker: true },
    { Key: "sites/shop/wp-content/uploads/b.jpg", VersionId: "3" },
    { Key: "sites/shop/index.html", VersionId: "4" },
    { Key: "sites/shop-2/keep.jpg", VersionId: "5" },
    { Key: "sites/blog/keep.jpg", VersionId: "6" },
];

describe("a removed site's files", () => {
    it("parses only s3://<bucket>/sites/<site id>/", () => {
        expect(parseFilesLocation("s3://platform-files-abc/sites/shop/")).to.deep.equal({
            bucket: "platform-files-abc",
            prefix: "sites/shop/",
            site: "shop",
        });
        for (const bad of [
            "s3://b-1/",
            "s3://b-1/sites/",
            "s3://b-1/sites//",
            "s3://b-1/sites/../",
            "s3://b-1/other/shop/",
            "s3://b-1/sites/shop",
            "s3://b-1/sites/Shop/",
            "sites/shop/",
        ]) {
            expect(() => parseFilesLocation(bad), bad).to.throw(/refusing to delete files/);
        }
    });

    it("deletes every version and delete marker under the prefix, page by page, and nothing else", async () => {
        const bucket = fakeBucket(BUCKET_OBJECTS());
        const deleted = await deleteAllVersions(bucket, { bucket: "b", prefix: "sites/shop/" });
        expect(deleted).to.equal(4);
        expect(bucket.objects.map((o) => o.Key)).to.deep.equal(["sites/shop-2/keep.jpg", "sites/blog/keep.jpg"]);
        expect(bucket.calls.filter((c) => c.startsWith("list"))).to.have.length.greaterThan(1);
    });

    it("fails loudly when S3 refuses some deletions", async () => {
        const s3 = {
            send: async (c: unknown) =>
                c instanceof ListObjectVersionsCommand
                    ? { Versions: [{ Key: "sites/shop/a", VersionId: "1" }] }
                    : { Errors: [{ Key: "sites/shop/a", Message: "Access Denied" }] },
        };
        let error: Error | undefined;
        await deleteAllVersions(s3, { bucket: "b", prefix: "sites/shop/" }).catch((e) => (error = e));
        expect(error?.message).to.contain("could not delete 1 file versions").and.contain("Access Denied");
    });

    describe("the cleanup hook", () => {
        /** What the engine hands the hook after it deletes the Site component `site`. */
        const deletedSite = (site: string, recorded: Record<string, unknown> = {}) => ({
            urn: `urn:pulumi:stg::wp-platform::wp-platform:index:Site::${site}`,
            id: "",
            name: site,
            type: "wp-platform:index:Site",
            oldInputs: { files: `s3://b-1/sites/${site}/`, retainData: false, ...recorded },
            oldOutputs: {},
        });
        const remaining = (bucket: ReturnType<typeof fakeBucket>) => bucket.objects.map((o) => o.Key);
        const logged = captureLogs();

        it("deletes every file version of the deleted site, and only its own", async () => {
            const bucket = fakeBucket(BUCKET_OBJECTS());
            await cleanUpSiteFiles(false, () => bucket)(deletedSite("shop"));
            expect(remaining(bucket)).to.deep.equal(["sites/shop-2/keep.jpg", "sites/blog/keep.jpg"]);
            expect(logged.info.join("\n")).to.contain("deleted 4 file versions of removed site shop");
        });

        it("deletes them when the whole stack is destroyed, though the program still declares the site", async () => {
            // `pulumi destroy --run-program` runs the program, which registers every site, then deletes
            // every component: the hook asks nothing of the program, only of the deleted component.
            const bucket = fakeBucket(BUCKET_OBJECTS());
            await cleanUpSiteFiles(false, () => bucket)(deletedSite("shop"));
            await cleanUpSiteFiles(false, () => bucket)(deletedSite("blog"));
            expect(remaining(bucket)).to.deep.equal(["sites/shop-2/keep.jpg"]);
        });

        it("keeps the files, and says so, when this run retains data", async () => {
            const bucket = fakeBucket(BUCKET_OBJECTS());
            await cleanUpSiteFiles(true, () => bucket)(deletedSite("shop"));
            expect(bucket.calls).to.deep.equal([]);
            expect(logged.info.join("\n")).to.contain("its files stay at s3://b-1/sites/shop/ (retainDataOnDelete)");
        });

        it("keeps the files when the site was last registered by a run that retained data", async () => {
            const bucket = fakeBucket(BUCKET_OBJECTS());
            await cleanUpSiteFiles(false, () => bucket)(deletedSite("shop", { retainData: true }));
            expect(bucket.calls).to.deep.equal([]);
        });

        it("counts a bucket already deleted (a destroy's forceDestroy got there first) as no files", async () => {
            const s3 = {
                send: async () => {
                    throw Object.assign(new Error("The specified bucket does not exist"), { name: "NoSuchBucket" });
                },
            };
            await cleanUpSiteFiles(false, () => s3)(deletedSite("shop"));
            expect(logged.info.join("\n")).to.contain("deleted 0 file versions of removed site shop");
        });

        it("fails with the command that finishes the job (the engine shows it as a warning)", async () => {
            const s3 = {
                send: async () => {
                    throw Object.assign(new Error("Access Denied"), { name: "AccessDenied" });
                },
            };
            let error: Error | undefined;
            await Promise.resolve(cleanUpSiteFiles(false, () => s3)(deletedSite("shop"))).catch((e: Error) => (error = e));
            expect(error?.message)
                .to.contain("the files of removed site shop were not deleted (Access Denied)")
                .and.contain("`aws s3 rm --recursive s3://b-1/sites/shop/`");
        });

        it("refuses a recorded location that is not the deleted site's own folder", async () => {
            const bucket = fakeBucket(BUCKET_OBJECTS());
            let error: Error | undefined;
            const hook = cleanUpSiteFiles(false, () => bucket);
            await Promise.resolve(hook(deletedSite("shop", { files: "s3://b-1/sites/blog/" }))).catch((e: Error) => (error = e));
            expect(error?.message).to.contain("refusing to delete s3://b-1/sites/blog/");
            expect(bucket.calls).to.deep.equal([]);
        });

        it("leaves a resource without a recorded location alone", async () => {
            const bucket = fakeBucket(BUCKET_OBJECTS());
            await cleanUpSiteFiles(false, () => bucket)({ urn: "u", id: "i", name: "n", type: "t", oldInputs: {} });
            expect(bucket.calls).to.deep.equal([]);
        });

        it("is registered with ignoreErrors: a failure warns, the update succeeds", () => {
            const hook = siteFilesCleanupHook({ retainData: false, region: "eu-west-1" });
            expect(hook.name).to.equal(FILES_CLEANUP_HOOK);
            expect(hook.opts).to.deep.include({ ignoreErrors: true });
            expect(hook.opts?.onDryRun ?? false).to.equal(false);
        });
    });

    describe("in the program", () => {
        let stg: ProgramRun;
        let prod: ProgramRun;
        before(async () => {
            stg = await runProgram({ stack: "stg" });
            prod = await runProgram({ stack: "prod" });
        });

        it("records each site's files location on its role", () => {
            expect(stg.get("aws:iam/role:Role", "rrr/role").inputs.tags).to.deep.include({
                [FILES_TAG]: "s3://platform-files-mock/sites/rrr/",
            });
        });

        it("binds the hook to each Site component, never to a resource that can be replaced", () => {
            for (const run of [stg, prod]) {
                const sites = run.ofType("wp-platform:index:Site");
                expect(sites.length).to.be.greaterThan(0);
                for (const site of sites) expect(site.afterDeleteHooks, site.name).to.deep.equal([FILES_CLEANUP_HOOK]);
                const bound = run.resources.filter((r) => r.afterDeleteHooks.length > 0);
                expect(bound.map((r) => r.type)).to.deep.equal(sites.map(() => "wp-platform:index:Site"));
                expect(bound.every((r) => !r.custom)).to.equal(true);
            }
        });

        it("records where each site's files are, and whether the stack retains data, in the component's inputs", () => {
            expect(stg.get("wp-platform:index:Site", "rrr").inputs).to.deep.equal({
                files: "s3://platform-files-mock/sites/rrr/",
                retainData: false,
            });
            expect(prod.ofType("wp-platform:index:Site")[0].inputs.retainData).to.equal(true);
        });

        it("registers the hook in every stack, so one that turns retention on can still remove its sites", async () => {
            expect(stg.hooks).to.deep.equal([FILES_CLEANUP_HOOK]);
            expect(prod.hooks).to.deep.equal([FILES_CLEANUP_HOOK]);
            const turnedOn = await runProgram({ stack: "stg", config: { retainDataOnDelete: true } });
            expect(turnedOn.hooks).to.deep.equal([FILES_CLEANUP_HOOK]);
        });
    });
});

/** Collects what the code logs through pulumi.log during each test. */
function captureLogs(): { info: string[]; warn: string[] } {
    const logged = { info: [] as string[], warn: [] as string[] };
    const original = { info: pulumi.log.info, warn: pulumi.log.warn };
    beforeEach(() => {
        logged.info.length = 0;
        logged.warn.length = 0;
        (pulumi.log as { info: unknown }).info = async (message: string) => void logged.info.push(message);
        (pulumi.log as { warn: unknown }).warn = async (message: string) => void logged.warn.push(message);
    });
    afterEach(() => {
        (pulumi.log as { info: unknown }).info = original.info;
        (pulumi.log as { warn: unknown }).warn = original.warn;
    });
    return logged;
}
