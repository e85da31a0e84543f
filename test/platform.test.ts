import { expect } from "chai";
import { MYSQL_POOL, parameterGroupFamily } from "../components/platform";
import { diffRuns, names } from "./support/diff";
import { type ProgramRun, isSecret, runProgram } from "./support/program";

const PARAMS = "aws:rds/parameterGroup:ParameterGroup";
const INSTANCE = "aws:rds/instance:Instance";
const SG = "aws:ec2/securityGroup:SecurityGroup";

describe("Platform", () => {
    let stg: ProgramRun;
    let prod: ProgramRun;
    before(async () => {
        stg = await runProgram({ stack: "stg" });
        prod = await runProgram({ stack: "prod" });
    });

    it("creates the namespace, enforcing the restricted Pod Security Standard", () => {
        const ns = stg.get("kubernetes:core/v1:Namespace", "platform-namespace").inputs;
        expect(ns.metadata.name).to.equal("wp-platform");
        expect(ns.metadata.labels).to.include({ "pod-security.kubernetes.io/enforce": "restricted" });
    });

    it("builds one Kubernetes provider with mutable ConfigMaps, used by every Kubernetes object", () => {
        const provider = stg.get("pulumi:providers:kubernetes", "platform-k8s");
        expect(provider.inputs.enableConfigMapMutable).to.equal("true");
        for (const r of stg.resources.filter((r) => r.type.startsWith("kubernetes:"))) {
            expect(r.provider, r.urn).to.match(/::platform-k8s::/);
        }
    });

    it("points the MySQL provider at the shared instance with its master credentials, secret", () => {
        const provider = stg.get("pulumi:providers:mysql", "platform-mysql");
        expect(provider.inputs).to.include({
            endpoint: "wp-platform-stg.cmock.eu-west-1.rds.amazonaws.com:3306",
            username: "wpadmin",
            tls: "true",
        });
        expect(isSecret(provider.raw.password)).to.equal(true);
    });

    it("bounds the MySQL provider's connections: a pool per operation, each closed within seconds", () => {
        // terraform-provider-mysql opens a pool in every create/read/update/delete and never closes
        // it; only a lifetime makes database/sql close the leaked connections (docs/engine.md).
        for (const run of [stg, prod]) {
            const inputs = run.get("pulumi:providers:mysql", "platform-mysql").inputs;
            expect(Number(inputs.maxConnLifetimeSec)).to.be.within(1, 60);
            expect(Number(inputs.maxOpenConns)).to.be.within(2, 5);
            expect(Number(inputs.maxConnLifetimeSec)).to.equal(MYSQL_POOL.maxConnLifetimeSec);
            expect(Number(inputs.maxOpenConns)).to.equal(MYSQL_POOL.maxOpenConns);
        }
    });

    it("runs one private, encrypted, backed-up MySQL instance for the stack", () => {
        const db = stg.get("aws:rds/instance:Instance", "platform-db").inputs;
        expect(db).to.include({
            identifier: "wp-platform-stg",
            engine: "mysql",
            storageEncrypted: true,
            publiclyAccessible: false,
            backupRetentionPeriod: 7,
            skipFinalSnapshot: false,
            finalSnapshotIdentifier: "wp-platform-stg-final",
            autoMinorVersionUpgrade: true,
            deletionProtection: false,
            username: "wpadmin",
        });
        expect(db.enabledCloudwatchLogsExports).to.deep.equal(["error", "slowquery"]);
        expect(isSecret(stg.get("aws:rds/instance:Instance", "platform-db").raw.password)).to.equal(true);
    });

    it("protects the instance and the bucket in prod, and not in stg", () => {
        const protectedOnes = (run: ProgramRun) =>
            run.resources
                .filter((r) => r.protect)
                .map((r) => r.name)
                .sort();
        expect(protectedOnes(prod)).to.deep.equal(["platform-db", "platform-files"]);
        expect(prod.get("aws:rds/instance:Instance", "platform-db").inputs).to.include({
            deletionProtection: true,
            backupRetentionPeriod: 14,
            multiAz: true,
        });
        expect(protectedOnes(stg)).to.deep.equal([]);
    });

    it("requires TLS to the database with a parameter group named by its family", () => {
        const params = stg.get(PARAMS, "platform-db-params-mysql8-4").inputs;
        expect(params).to.include({ family: "mysql8.4", name: "wp-platform-stg-mysql8-4" });
        expect(params.parameters).to.deep.include({ name: "require_secure_transport", value: "1" });
        expect(stg.get(INSTANCE, "platform-db").inputs.parameterGroupName).to.equal("wp-platform-stg-mysql8-4");
    });

    it("runs MySQL 8.4 in both committed stacks, and by default", async () => {
        for (const run of [stg, prod]) expect(run.get(INSTANCE, "platform-db").inputs.engineVersion).to.equal("8.4");
        const defaults = await runProgram({ config: { database: {} } });
        expect(defaults.get(INSTANCE, "platform-db").inputs.engineVersion).to.equal("8.4");
        expect(defaults.get(PARAMS, "platform-db-params-mysql8-4").inputs.family).to.equal("mysql8.4");
    });

    it("derives the parameter group family from the version", () => {
        expect(["8.0", "8.0.40", "8.4", "8.4.6"].map(parameterGroupFamily)).to.deep.equal(["mysql8.0", "mysql8.0", "mysql8.4", "mysql8.4"]);
    });

    it("moves from 8.0 to 8.4 in one up: a new group first, the instance in place onto it, the old group last", async () => {
        const database = (engineVersion: string) => ({ database: { engineVersion } });
        const before = await runProgram({ config: database("8.0") });
        const after = await runProgram({ config: database("8.4") });
        const diff = diffRuns(before, after);
        // The old group is no longer in the program: the engine deletes it after every registered
        // resource's step, the instance's update included. Nothing is replaced.
        expect(names(diff.added)).to.deep.equal([`${PARAMS}::platform-db-params-mysql8-4`]);
        expect(names(diff.removed)).to.deep.equal([`${PARAMS}::platform-db-params-mysql8-0`]);
        expect(names(diff.changed)).to.deep.equal([`${INSTANCE}::platform-db`]);
        // engineVersion and parameterGroupName are updatable: `~ platform-db`, never `+-`.
        expect(diff.replaced).to.deep.equal([]);
        const [old, now] = [before, after].map((run) => run.get(INSTANCE, "platform-db").inputs);
        expect([old.engineVersion, old.parameterGroupName]).to.deep.equal(["8.0", "wp-platform-stg-mysql8-0"]);
        expect([now.engineVersion, now.parameterGroupName]).to.deep.equal(["8.4", "wp-platform-stg-mysql8-4"]);
        // RDS refuses a major version change without the flag; applied now, so the old group is free to go.
        expect(now).to.include({ allowMajorVersionUpgrade: true, applyImmediately: true });
        // The instance waits for its new group (dependency), so the group exists before the move.
        const group = after.get(PARAMS, "platform-db-params-mysql8-4");
        expect(after.get(INSTANCE, "platform-db").dependencies).to.include(group.urn);
    });

    it("changes only the instance for a minor version pin within a family", async () => {
        const before = await runProgram({ config: { database: { engineVersion: "8.4" } } });
        const after = await runProgram({ config: { database: { engineVersion: "8.4.6" } } });
        const diff = diffRuns(before, after);
        expect(diff.added).to.deep.equal([]);
        expect(diff.removed).to.deep.equal([]);
        expect(names(diff.changed)).to.deep.equal([`${INSTANCE}::platform-db`]);
        expect(diff.replaced).to.deep.equal([]);
    });

    it("admits MySQL from the deploy runner when the stack names its security groups or networks", async () => {
        const run = await runProgram({
            config: { database: { adminSecurityGroupIds: ["sg-0123456789abcdef0"], adminCidrs: ["10.99.0.0/24", "203.0.113.7/32"] } },
        });
        const ingress = run.get(SG, "platform-db-sg").inputs.ingress;
        expect(ingress).to.have.length(3);
        for (const rule of ingress) expect(rule).to.include({ protocol: "tcp", fromPort: 3306, toPort: 3306 });
        expect(ingress[0].securityGroups).to.deep.equal(["sg-0f1e2d3c4b5a69788"]);
        expect(ingress[1].securityGroups).to.deep.equal(["sg-0123456789abcdef0"]);
        expect(ingress[2].cidrBlocks).to.deep.equal(["10.99.0.0/24", "203.0.113.7/32"]);
    });

    it("admits MySQL from the cluster nodes only, in the cluster's private subnets", () => {
        const sg = stg.get("aws:ec2/securityGroup:SecurityGroup", "platform-db-sg").inputs;
        expect(sg.vpcId).to.equal("vpc-0a1b2c3d4e5f60718");
        expect(sg.ingress).to.have.length(1);
        expect(sg.ingress[0]).to.include({ protocol: "tcp", fromPort: 3306, toPort: 3306 });
        expect(sg.ingress[0].securityGroups).to.deep.equal(["sg-0f1e2d3c4b5a69788"]);
        expect(sg.ingress[0]).not.to.have.property("cidrBlocks");
        expect(stg.get("aws:rds/subnetGroup:SubnetGroup", "platform-db-subnets").inputs.subnetIds).to.have.length(3);
    });

    it("blocks public access to the files bucket, encrypts and versions it, and refuses plain HTTP", () => {
        expect(stg.get("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "platform-files-public-access").inputs).to.include({
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        });
        const sse = stg.get(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "platform-files-encryption",
        ).inputs;
        expect(sse.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm).to.equal("aws:kms");
        expect(
            stg.get("aws:s3/bucketVersioning:BucketVersioning", "platform-files-versioning").inputs.versioningConfiguration,
        ).to.deep.equal({ status: "Enabled" });
        const policy = JSON.parse(stg.get("aws:s3/bucketPolicy:BucketPolicy", "platform-files-policy").inputs.policy);
        expect(policy.Statement[0]).to.deep.include({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } });
        const rules = stg.get("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "platform-files-lifecycle").inputs.rules;
        expect(rules.map((r: any) => r.id)).to.deep.equal(["expire-old-versions", "abort-incomplete-uploads"]);
    });

    it("lets stg's bucket empty itself when the stack is destroyed, never prod's (protected, and it keeps files)", async () => {
        const bucket = (run: ProgramRun) => run.get("aws:s3/bucket:Bucket", "platform-files");
        expect(bucket(stg).inputs.forceDestroy).to.equal(true);
        expect(bucket(prod).inputs.forceDestroy).to.equal(false);
        expect(bucket(prod).protect).to.equal(true);
        // Unprotected but keeping removed sites' files: a destroy must not throw those away either.
        const keeping = await runProgram({ config: { retainDataOnDelete: true, deletionProtection: false } });
        expect(bucket(keeping).inputs.forceDestroy).to.equal(false);
    });

    it("gives the pods an IRSA role that reaches the sites' media, nothing more: no secret, no other role", () => {
        const role = stg.get("aws:iam/role:Role", "platform-workload-role").inputs;
        const trust = JSON.parse(role.assumeRolePolicy).Statement[0];
        const issuer = "oidc.eks.eu-west-1.amazonaws.com/id/5C1B2E3F4A5D6E7F8091A2B3C4D5E6F7";
        expect(trust.Action).to.equal("sts:AssumeRoleWithWebIdentity");
        expect(trust.Condition.StringEquals).to.deep.equal({
            [`${issuer}:sub`]: "system:serviceaccount:wp-platform:wordpress",
            [`${issuer}:aud`]: "sts.amazonaws.com",
        });
        const policy = JSON.parse(stg.get("aws:iam/rolePolicy:RolePolicy", "platform-workload-policy").inputs.policy);
        expect(policy.Statement.map((s: any) => [s.Action, s.Resource, s.Condition])).to.deep.equal([
            [
                ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                "arn:aws:s3:::platform-files-mock/sites/*/uploads/*",
                undefined,
            ],
            ["s3:ListBucket", "arn:aws:s3:::platform-files-mock", { StringLike: { "s3:prefix": ["sites/*/uploads/*"] } }],
        ]);
        const actions = JSON.stringify(policy);
        expect(actions).not.to.match(/secretsmanager|sts:|backups/);
        const sa = stg.get("kubernetes:core/v1:ServiceAccount", "platform-service-account").inputs;
        expect(sa.metadata).to.deep.include({
            name: "wordpress",
            annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/platform-workload-role-mock" },
        });
    });
});
