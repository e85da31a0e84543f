import { DeleteObjectsCommand, ListObjectVersionsCommand } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { FILES_CLEANUP_HOOK, cleanUpSiteFiles } from "../components/site-files-cleanup";
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
        const deletedRole = (site: string) => ({
            urn: `urn:x::${site}/role`,
            id: `${site}/role`,
            name: `${site}/role`,
            type: "aws:iam/role:Role",
            oldOutputs: { tags: { [FILES_TAG]: `s3://b-1/sites/${site}/` } },
        });

        it("deletes the files of a site that is no longer in the stack", async () => {
            const bucket = fakeBucket(BUCKET_OBJECTS());
            await cleanUpSiteFiles(new Set(["blog"]), () => bucket)(deletedRole("shop"));
            expect(bucket.objects.map((o) => o.Key)).to.deep.equal(["sites/shop-2/keep.jpg", "sites/blog/keep.jpg"]);
        });

        it("keeps the files when the site is still in the stack (its role is being replaced, not removed)", async () => {
            const bucket = fakeBucket(BUCKET_OBJECTS());
            await cleanUpSiteFiles(new Set(["shop"]), () => bucket)(deletedRole("shop"));
            expect(bucket.objects).to.have.length(6);
            expect(bucket.calls).to.deep.equal([]);
        });

        it("does nothing for a resource without the files tag", async () => {
            const bucket = fakeBucket(BUCKET_OBJECTS());
            await cleanUpSiteFiles(new Set(), () => bucket)({ urn: "u", id: "i", name: "n", type: "t", oldOutputs: { tags: {} } });
            expect(bucket.calls).to.deep.equal([]);
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

        it("runs the cleanup after a site's role is deleted in a stack that does not retain data (stg)", () => {
            expect(stg.hooks).to.deep.equal([FILES_CLEANUP_HOOK]);
            const roles = stg.ofType("aws:iam/role:Role").filter((r) => r.name !== "platform-workload-role");
            expect(roles.map((r) => r.name)).to.deep.equal(["harbor-cafe/role", "rrr/role"]);
            for (const role of roles) expect(role.afterDeleteHooks, role.name).to.deep.equal([FILES_CLEANUP_HOOK]);
            expect(stg.resources.filter((r) => r.afterDeleteHooks.length > 0)).to.have.length(2);
        });

        it("never in a stack that retains data (prod)", () => {
            expect(prod.hooks).to.deep.equal([]);
            expect(prod.resources.filter((r) => r.afterDeleteHooks.length > 0)).to.deep.equal([]);
        });
    });
});
