/* eslint-disable @typescript-eslint/no-require-imports -- run by node directly (tools/local/s3.ts), no TypeScript. */
// The local fleet's S3 server: s3rver (an S3 API on the file system) on 127.0.0.1, with the
// stack's buckets and the state folder's own random key pair (s3rver checks that the key exists;
// it does not check SigV4 signatures: test/e2e/s3-signatures.e2e.ts does, with AWS's signer).
//
//   node tools/local/s3-server.js <config.json>
//
// config.json (0600, written by s3.ts): { port, directory, buckets, accessKeyId, secretAccessKey,
// pidFile }. Prints "listening <port>" once it accepts requests; SIGTERM/SIGINT close it.
"use strict";
const fs = require("fs");
const S3rver = require("s3rver");
const Account = require("s3rver/lib/models/account");

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
// Only this folder's key pair: s3rver's built-in S3RVER/S3RVER is revoked.
Account.DUMMY_ACCOUNT.revokeAccessKey("S3RVER");
Account.DUMMY_ACCOUNT.createKeyPair(config.accessKeyId, config.secretAccessKey);

const server = new S3rver({
    address: "127.0.0.1",
    port: config.port,
    directory: config.directory,
    silent: config.silent !== false,
    configureBuckets: config.buckets.map((name) => ({ name })),
});
// ListObjectVersions (GET /<bucket>?versions), which s3rver lacks and the files cleanup hook
// (components/site-files-cleanup.ts) uses: answered as S3 answers for a bucket without versioning,
// one version "null" per object. Before s3rver's own routes, so it checks the key itself.
const xml = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
server.middleware.unshift(async (ctx, next) => {
    const match = /^\/([^/]+)\/?$/.exec(ctx.path);
    if (ctx.method !== "GET" || !match || !("versions" in ctx.query)) return next();
    ctx.type = "application/xml";
    const key = /Credential=([^/,\s]+)\//.exec(ctx.get("authorization"));
    if (!key || !Account.registry.has(key[1])) {
        ctx.status = 403;
        ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidAccessKeyId</Code></Error>';
        return;
    }
    const bucket = match[1];
    if (!(await ctx.store.getBucket(bucket))) {
        ctx.status = 404;
        ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchBucket</Code><BucketName>${xml(bucket)}</BucketName></Error>`;
        return;
    }
    const prefix = String(ctx.query.prefix || "");
    const marker = String(ctx.query["key-marker"] || "");
    const { objects, isTruncated } = await ctx.store.listObjects(bucket, { prefix, startAfter: marker, maxKeys: 1000 });
    const versions = objects.map(
        (o) =>
            `<Version><Key>${xml(o.key)}</Key><VersionId>null</VersionId><IsLatest>true</IsLatest>` +
            `<LastModified>${o.lastModifiedDate.toISOString()}</LastModified><ETag>${xml(o.metadata.etag)}</ETag>` +
            `<Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Version>`,
    );
    const next_ =
        isTruncated && objects.length
            ? `<NextKeyMarker>${xml(objects[objects.length - 1].key)}</NextKeyMarker><NextVersionIdMarker>null</NextVersionIdMarker>`
            : "";
    ctx.body =
        `<?xml version="1.0" encoding="UTF-8"?>\n<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
        `<Name>${xml(bucket)}</Name><Prefix>${xml(prefix)}</Prefix><KeyMarker>${xml(marker)}</KeyMarker><MaxKeys>1000</MaxKeys>` +
        `<IsTruncated>${isTruncated}</IsTruncated>${next_}${versions.join("")}</ListVersionsResult>`;
});
server.run((err, { port } = {}) => {
    if (err) {
        console.error(`s3rver: ${err.message}`);
        process.exit(1);
    }
    fs.writeFileSync(config.pidFile, `${process.pid}\n`);
    console.log(`listening ${port}`);
});
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
