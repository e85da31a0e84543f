import { expect } from "chai";
import { type ProgramRun, isSecret, runProgram } from "./support/program";

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

    it("requires TLS to the database with a parameter group", () => {
        const params = stg.get("aws:rds/parameterGroup:ParameterGroup", "platform-db-params").inputs;
        expect(params.family).to.equal("mysql8.0");
        expect(params.parameters).to.deep.include({ name: "require_secure_transport", value: "1" });
        expect(stg.get("aws:rds/instance:Instance", "platform-db").inputs.parameterGroupName).to.equal("platform-db-params-mock");
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

    it("gives the pods an IRSA role that reads this stack's site secrets and assumes its site roles, nothing more", () => {
        const role = stg.get("aws:iam/role:Role", "platform-workload-role").inputs;
        const trust = JSON.parse(role.assumeRolePolicy).Statement[0];
        const issuer = "oidc.eks.eu-west-1.amazonaws.com/id/5C1B2E3F4A5D6E7F8091A2B3C4D5E6F7";
        expect(trust.Action).to.equal("sts:AssumeRoleWithWebIdentity");
        expect(trust.Condition.StringEquals).to.deep.equal({
            [`${issuer}:sub`]: "system:serviceaccount:wp-platform:wordpress",
            [`${issuer}:aud`]: "sts.amazonaws.com",
        });
        const policy = JSON.parse(stg.get("aws:iam/rolePolicy:RolePolicy", "platform-workload-policy").inputs.policy);
        expect(policy.Statement.map((s: any) => [s.Action, s.Resource])).to.deep.equal([
            [
                ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:wp-platform/stg/*",
            ],
            ["sts:AssumeRole", "arn:aws:iam::123456789012:role/wp-platform/stg/sites/*"],
        ]);
        const sa = stg.get("kubernetes:core/v1:ServiceAccount", "platform-service-account").inputs;
        expect(sa.metadata).to.deep.include({
            name: "wordpress",
            annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/platform-workload-role-mock" },
        });
    });
});
