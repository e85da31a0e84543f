// The stack's shared ground: namespace, providers, the shared RDS instance, the files bucket, the
// object cache and the workload identity of the WordPress pods. Nothing here depends on the list of sites, so adding or
// removing a site never touches it.
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as mysql from "@pulumi/mysql";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { DatabaseConfig, NetworkConfig, PlatformConfig } from "../src/config";
import { MEDIA_PATTERN, PLATFORM_TYPE, SERVICE_ACCOUNT, STACK_TAG } from "../src/naming";
import { irsaTrustPolicy, mediaPolicy } from "../src/iam";
import { CACHE_TOKEN_LENGTH } from "../src/settings";

export interface PlatformArgs {
    /** The stack name: in the names of cloud objects and in tags. */
    readonly stack: string;
    /** Kubernetes namespace of the platform. */
    readonly namespace: string;
    /** The cluster's network: its VPC, private subnets and node security group. */
    readonly network: NetworkConfig;
    /** Size and version of the shared MySQL instance. */
    readonly database: DatabaseConfig;
    /** RDS deletion protection, and Pulumi `protect` on the instance and the bucket. */
    readonly deletionProtection: boolean;
    /** A removed site's data is kept: the bucket then never empties itself on delete. */
    readonly retainData: boolean;
    /** ARN of the cluster's IAM OIDC provider, trusted by the workload role (IRSA). */
    readonly oidcProviderArn: string;
    /** kubeconfig context; the ambient one when absent. */
    readonly kubeContext?: string;
    /** The stack's object cache (ElastiCache for Valkey): its size and version, or none when disabled. */
    readonly cache: CacheConfig;
    /**
     * The ARN of the stack's CloudFront distribution, when the stack has an edge: the bucket policy lets
     * it read the sites' uploads (`sites/<id>/uploads/...`) and nothing else. The distribution is built after
     * Platform, on its bucket, so index.ts passes a deferred output here.
     */
    readonly edgeDistributionArn?: pulumi.Input<string>;
}

export type CacheConfig = PlatformConfig["cache"];

/** Where the pods reach the stack's object cache. */
export interface CacheEndpoint {
    /** The primary endpoint: writes go there, and it follows a failover to a replica. */
    readonly host: pulumi.Output<string>;
    readonly port: number;
    /** The AUTH token (a Pulumi secret); the cache refuses every command before AUTH, and plain TCP. */
    readonly authToken: pulumi.Output<string>;
}

/** The port of the cache: Valkey's default, and the only one its security group opens. */
export const CACHE_PORT = 6379;

export interface Providers {
    readonly k8s: k8s.Provider;
    readonly mysql: mysql.Provider;
}

/**
 * The MySQL provider (terraform-provider-mysql, mysql/provider.go `connectToMySQL`) opens a new
 * connection pool for every create, read, update and delete and never closes it: without a lifetime
 * each pool keeps its connection open until the provider exits, and one `up` that adds 60 sites holds
 * some 300 connections of the instance's few hundred, live sites' included. With a lifetime, Go's
 * database/sql closes an idle connection at most twice that long after it was opened. Each operation
 * runs its statements one after another, so two connections per pool never make it wait.
 */
export const MYSQL_POOL = { maxConnLifetimeSec: 10, maxOpenConns: 2 } as const;

/** `mysql8.4` for "8.4" or "8.4.6": the parameter group family of an RDS MySQL version. */
export function parameterGroupFamily(engineVersion: string): string {
    const [major, minor] = engineVersion.split(".");
    return `mysql${major}.${minor}`;
}

/**
 * `wp-platform-<stack>`, the cache's replication group id. ElastiCache takes 1 to 40 letters, digits
 * and single hyphens, starting with a letter and not ending with a hyphen, and stores it in lowercase
 * (terraform-provider-aws `validateReplicationGroupID`): a stack name that cannot make one is an error
 * here, before anything is registered, not a failed create in the middle of an update.
 */
export function cacheReplicationGroupId(stack: string): string {
    const id = `wp-platform-${stack}`;
    if (id.length > 40 || !/^[a-z][a-z0-9-]*$/.test(id) || id.includes("--") || id.endsWith("-")) {
        throw new Error(
            `stack ${JSON.stringify(stack)} cannot name its object cache ${JSON.stringify(id)}: ElastiCache takes at most 40 ` +
                "lowercase letters, digits and single hyphens, not ending with a hyphen (a stack name of at most 28 such characters)",
        );
    }
    return id;
}

/** `valkey9` for "9.0": the parameter group family of an ElastiCache Valkey version. */
export function cacheParameterGroupFamily(engineVersion: string): string {
    return `valkey${engineVersion.split(".")[0]}`;
}

export class Platform extends pulumi.ComponentResource {
    readonly providers: Providers;
    readonly namespace: pulumi.Output<string>;
    /** Host name of the shared MySQL instance. */
    readonly dbHost: pulumi.Output<string>;
    readonly bucketName: pulumi.Output<string>;
    readonly bucketArn: pulumi.Output<string>;
    /** `<bucket>.s3.<region>.amazonaws.com`: the bucket as a CloudFront origin. */
    readonly bucketRegionalDomainName: pulumi.Output<string>;
    /** The IAM role of the WordPress pods and Jobs; site roles trust it. */
    readonly workloadRoleArn: pulumi.Output<string>;
    readonly serviceAccountName: pulumi.Output<string>;
    /**
     * The object cache, when the stack has one (`cache.enabled`): every site's settings carry its host,
     * port and token (src/settings.ts), and the image's drop-in reads them (README, "Object cache").
     */
    readonly cache?: CacheEndpoint;

    constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super(PLATFORM_TYPE, name, {}, opts);
        const tags = { [STACK_TAG]: args.stack };
        // Checked before any child is registered.
        const cacheId = args.cache.enabled ? cacheReplicationGroupId(args.stack) : undefined;

        const k8sProvider = new k8s.Provider(
            `${name}-k8s`,
            {
                context: args.kubeContext,
                // The site index changes with every site added or removed: update it in place rather
                // than replace it, so no Deployment rolls.
                enableConfigMapMutable: true,
                // A site's Secret changes with its canonical URL: update it in place, not delete and recreate it.
                enableSecretMutable: true,
            },
            { parent: this },
        );
        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: args.namespace,
                    labels: {
                        "pod-security.kubernetes.io/enforce": "restricted",
                        "pod-security.kubernetes.io/enforce-version": "latest",
                    },
                },
            },
            { parent: this, provider: k8sProvider },
        );

        const db = createDatabase(name, args, tags, this);
        const files = createBucket(name, args, tags, this);
        const identity = createWorkloadIdentity(name, args, namespace, files.bucket, tags, k8sProvider, this);
        const cache = cacheId === undefined ? undefined : createCache(name, cacheId, args, tags, this);

        const mysqlProvider = new mysql.Provider(
            `${name}-mysql`,
            {
                endpoint: pulumi.interpolate`${db.instance.address}:${db.instance.port}`,
                username: db.instance.username,
                // The provider does not mark its own password secret; the state must never hold it in plain text.
                password: pulumi.secret(db.password.result),
                tls: args.database.tls,
                ...MYSQL_POOL,
            },
            { parent: this },
        );

        this.providers = { k8s: k8sProvider, mysql: mysqlProvider };
        this.namespace = namespace.metadata.name;
        this.dbHost = db.instance.address;
        this.bucketName = files.bucket.bucket;
        this.bucketArn = files.bucket.arn;
        this.bucketRegionalDomainName = files.bucket.bucketRegionalDomainName;
        this.workloadRoleArn = identity.role.arn;
        this.serviceAccountName = identity.serviceAccount.metadata.name;
        this.cache = cache;
        this.registerOutputs({
            namespace: this.namespace,
            dbHost: this.dbHost,
            bucketName: this.bucketName,
            workloadRoleArn: this.workloadRoleArn,
            cacheHost: cache?.host,
        });
    }
}

function createDatabase(name: string, args: PlatformArgs, tags: Record<string, string>, parent: pulumi.Resource) {
    const cfg = args.database;
    // RDS refuses "/", "@", '"' and spaces in a master password; letters and digits are plenty at 40.
    const password = new random.RandomPassword(`${name}-db-master-password`, { length: 40, special: false }, { parent });
    const subnets = new aws.rds.SubnetGroup(
        `${name}-db-subnets`,
        { subnetIds: args.network.subnetIds, description: `wp-platform ${args.stack}: private subnets of the shared MySQL`, tags },
        { parent },
    );
    const mysqlFrom = (description: string, from: { securityGroups?: string[]; cidrBlocks?: string[] }) => ({
        description,
        protocol: "tcp",
        fromPort: 3306,
        toPort: 3306,
        ...from,
    });
    const securityGroup = new aws.ec2.SecurityGroup(
        `${name}-db-sg`,
        {
            vpcId: args.network.vpcId,
            description: `wp-platform ${args.stack}: MySQL from the cluster nodes and the deploy runners the stack config admits, nothing else`,
            ingress: [
                mysqlFrom("MySQL from the cluster nodes", { securityGroups: [args.network.nodeSecurityGroupId] }),
                // `pulumi up` itself: the MySQL provider creates each site's database and user from the
                // machine that runs it (docs/ci.md, "Runners").
                ...(cfg.adminSecurityGroupIds.length > 0
                    ? [mysqlFrom("MySQL from the deploy runner (pulumi up)", { securityGroups: [...cfg.adminSecurityGroupIds] })]
                    : []),
                ...(cfg.adminCidrs.length > 0
                    ? [mysqlFrom("MySQL from the deploy runner's network (pulumi up)", { cidrBlocks: [...cfg.adminCidrs] })]
                    : []),
            ],
            tags,
        },
        { parent },
    );
    // Named, in Pulumi and in RDS, by its family: a new major version brings a new group, created
    // before the instance moves to it, and the old group, no longer in the program, is deleted after
    // every registered resource's step is done, the instance's move included. A group replaced under
    // one name would have to be deleted first, while the instance still uses it (docs/engine.md).
    const family = parameterGroupFamily(cfg.engineVersion);
    const familySlug = family.replace(/\./g, "-");
    const parameters = new aws.rds.ParameterGroup(
        `${name}-db-params-${familySlug}`,
        {
            name: `wp-platform-${args.stack}-${familySlug}`,
            family,
            description: `wp-platform ${args.stack}: TLS required`,
            parameters: [{ name: "require_secure_transport", value: "1" }],
            tags,
        },
        { parent },
    );
    const instance = new aws.rds.Instance(
        `${name}-db`,
        {
            identifier: `wp-platform-${args.stack}`,
            engine: "mysql",
            engineVersion: cfg.engineVersion,
            // The version comes from config alone (minor upgrades aside): this only lets a change of
            // database.engineVersion to a new major version through, which RDS otherwise refuses.
            allowMajorVersionUpgrade: true,
            // `pulumi up` is the change window: a version or class change happens now, not at the next
            // maintenance window (the old parameter group could not be deleted while a pending
            // change still names it). Either restarts the instance: docs/engine.md.
            applyImmediately: true,
            instanceClass: cfg.instanceClass,
            allocatedStorage: cfg.allocatedStorage,
            maxAllocatedStorage: cfg.maxAllocatedStorage,
            storageType: "gp3",
            storageEncrypted: true,
            multiAz: cfg.multiAz,
            dbSubnetGroupName: subnets.name,
            vpcSecurityGroupIds: [securityGroup.id],
            parameterGroupName: parameters.name,
            publiclyAccessible: false,
            username: "wpadmin",
            password: pulumi.secret(password.result),
            backupRetentionPeriod: cfg.backupRetentionDays,
            copyTagsToSnapshot: true,
            deleteAutomatedBackups: false,
            skipFinalSnapshot: false,
            finalSnapshotIdentifier: `wp-platform-${args.stack}-final`,
            deletionProtection: args.deletionProtection,
            autoMinorVersionUpgrade: true,
            enabledCloudwatchLogsExports: ["error", "slowquery"],
            tags,
        },
        // A replaced instance is an empty one: with protection on, Pulumi refuses any plan that would.
        { parent, protect: args.deletionProtection },
    );
    return { instance, password };
}

/**
 * The stack's object cache: one ElastiCache for Valkey replication group (cluster mode off: one shard,
 * a primary and `cache.replicas` replicas), in the cluster's private subnets, reachable from the nodes
 * only, TLS required, encrypted at rest, AUTH token from a Pulumi secret. Every site's keys live under
 * its own prefix, so one site's flush is its own.
 *
 * Nothing here is protected or retained: a cache holds nothing the sites cannot rebuild from their
 * databases, so losing it (a replacement, a destroy) costs a cold cache, never data. Hence no
 * snapshots either.
 */
function createCache(name: string, replicationGroupId: string, args: PlatformArgs, tags: Record<string, string>, parent: pulumi.Resource) {
    const cfg = args.cache;
    // ElastiCache's AUTH rules: 16 to 128 printable characters; the provider refuses @, " and /, and
    // AWS's current guide allows only ! & # $ ^ < > - besides letters and digits. Letters and digits
    // alone, 64 of them, meet both and need no quoting in a client's config.
    const authToken = new random.RandomPassword(`${name}-cache-auth-token`, { length: CACHE_TOKEN_LENGTH, special: false }, { parent });
    const subnets = new aws.elasticache.SubnetGroup(
        `${name}-cache-subnets`,
        {
            name: `wp-platform-${args.stack}-cache`,
            description: `wp-platform ${args.stack}: private subnets of the object cache`,
            subnetIds: args.network.subnetIds,
            tags,
        },
        { parent },
    );
    // No egress rules: the provider revokes the default allow-all egress rule of a new VPC security
    // group, and a cache only answers the connections it admits (security groups are stateful).
    const securityGroup = new aws.ec2.SecurityGroup(
        `${name}-cache-sg`,
        {
            vpcId: args.network.vpcId,
            description: `wp-platform ${args.stack}: Valkey (TLS) from the cluster nodes, nothing else`,
            ingress: [
                {
                    description: "Valkey from the cluster nodes",
                    protocol: "tcp",
                    fromPort: CACHE_PORT,
                    toPort: CACHE_PORT,
                    securityGroups: [args.network.nodeSecurityGroupId],
                },
            ],
            tags,
        },
        { parent },
    );
    // A custom group for one reason: WordPress stores most of its cache keys without a TTL, and the
    // default `volatile-lru` never evicts those, so a full cache would refuse writes. `allkeys-lru`
    // evicts the least recently used key instead. Named by family, as the database's group is: a new
    // major version brings a new group, created before the cache moves to it, the old one deleted after.
    const family = cacheParameterGroupFamily(cfg.engineVersion);
    const parameters = new aws.elasticache.ParameterGroup(
        `${name}-cache-params-${family}`,
        {
            name: `wp-platform-${args.stack}-${family}`,
            family,
            description: `wp-platform ${args.stack}: object cache, evicts any key when full`,
            parameters: [{ name: "maxmemory-policy", value: "allkeys-lru" }],
            tags,
        },
        { parent },
    );
    const failover = cfg.replicas > 0;
    const group = new aws.elasticache.ReplicationGroup(
        `${name}-cache`,
        {
            replicationGroupId,
            description: `wp-platform ${args.stack}: object cache of the WordPress sites`,
            engine: "valkey",
            engineVersion: cfg.engineVersion,
            nodeType: cfg.nodeType,
            numCacheClusters: cfg.replicas + 1,
            // A replica takes over from a failed primary, in another availability zone; the primary
            // endpoint follows it. Both need a replica (the provider refuses them with one node).
            automaticFailoverEnabled: failover,
            multiAzEnabled: failover,
            port: CACHE_PORT,
            subnetGroupName: subnets.name,
            securityGroupIds: [securityGroup.id],
            parameterGroupName: parameters.name,
            transitEncryptionEnabled: true,
            transitEncryptionMode: "required",
            atRestEncryptionEnabled: true,
            authToken: pulumi.secret(authToken.result),
            // A new token (the random resource replaced) is added beside the old one, so pods still on
            // the old one keep working until their settings change; not used at create.
            authTokenUpdateStrategy: "ROTATE",
            autoMinorVersionUpgrade: true,
            // `pulumi up` is the change window, as for the database: a version, size or replica change
            // happens now, and a preview never shows a change AWS has only scheduled.
            applyImmediately: true,
            snapshotRetentionLimit: 0,
            tags,
        },
        { parent },
    );
    const endpoint: CacheEndpoint = {
        host: group.primaryEndpointAddress,
        port: CACHE_PORT,
        authToken: pulumi.secret(authToken.result),
    };
    return endpoint;
}

function createBucket(name: string, args: PlatformArgs, tags: Record<string, string>, parent: pulumi.Resource) {
    // A stack that keeps nothing (stg) can be destroyed: deleting its bucket deletes every object version
    // left in it. A protected bucket, or one that holds a removed site's kept files, never empties itself.
    const bucket = new aws.s3.Bucket(
        `${name}-files`,
        { forceDestroy: !args.deletionProtection && !args.retainData, tags },
        { parent, protect: args.deletionProtection },
    );
    const bucketOpts = { parent };
    new aws.s3.BucketOwnershipControls(
        `${name}-files-ownership`,
        { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
        bucketOpts,
    );
    new aws.s3.BucketPublicAccessBlock(
        `${name}-files-public-access`,
        { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
        bucketOpts,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-files-encryption`,
        { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }] },
        bucketOpts,
    );
    // Versioning is what makes a deleted or overwritten file recoverable (see README, Safety).
    const versioning = new aws.s3.BucketVersioning(
        `${name}-files-versioning`,
        { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
        bucketOpts,
    );
    new aws.s3.BucketLifecycleConfiguration(
        `${name}-files-lifecycle`,
        {
            bucket: bucket.id,
            rules: [
                { id: "expire-old-versions", status: "Enabled", filter: {}, noncurrentVersionExpiration: { noncurrentDays: 90 } },
                {
                    id: "abort-incomplete-uploads",
                    status: "Enabled",
                    filter: {},
                    abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
                },
            ],
        },
        { parent, dependsOn: [versioning] },
    );
    new aws.s3.BucketPolicy(
        `${name}-files-policy`,
        {
            bucket: bucket.id,
            policy: pulumi.jsonStringify({
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "DenyWithoutTLS",
                        Effect: "Deny",
                        Principal: "*",
                        Action: "s3:*",
                        Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
                        Condition: { Bool: { "aws:SecureTransport": "false" } },
                    },
                    ...(args.edgeDistributionArn === undefined ? [] : [edgeReadStatement(bucket.arn, args.edgeDistributionArn)]),
                ],
            }),
        },
        bucketOpts,
    );
    return { bucket };
}

/**
 * CloudFront's service principal, for the stack's distribution only (`AWS:SourceArn`), may read the
 * sites' uploads: no backups, no listing. Origin Access Control signs CloudFront's requests with SigV4;
 * the Deny without TLS above still holds, since CloudFront reaches S3 over HTTPS.
 */
export function edgeReadStatement(bucketArn: pulumi.Input<string>, distributionArn: pulumi.Input<string>) {
    return {
        Sid: "EdgeReadsUploads",
        Effect: "Allow",
        Principal: { Service: "cloudfront.amazonaws.com" },
        Action: "s3:GetObject",
        Resource: pulumi.interpolate`${bucketArn}/sites/*/uploads/*`,
        Condition: { StringEquals: { "AWS:SourceArn": distributionArn } },
    };
}

function createWorkloadIdentity(
    name: string,
    args: PlatformArgs,
    namespace: k8s.core.v1.Namespace,
    bucket: aws.s3.Bucket,
    tags: Record<string, string>,
    provider: k8s.Provider,
    parent: pulumi.Resource,
) {
    const role = new aws.iam.Role(
        `${name}-workload-role`,
        {
            description: `wp-platform ${args.stack}: WordPress pods and cron runners (IRSA)`,
            assumeRolePolicy: irsaTrustPolicy(args.oidcProviderArn, args.namespace, SERVICE_ACCOUNT),
            tags,
        },
        { parent },
    );
    // What the serving pods use of AWS, and nothing more (README, "Who can read and write what"): the
    // sites' media. Patterns by name, not a list of sites, so a new site needs no change here. No
    // Secrets Manager (the pods' settings are mounted) and no site role (a site's Jobs have their own).
    new aws.iam.RolePolicy(
        `${name}-workload-policy`,
        {
            role: role.name,
            policy: mediaPolicy(bucket.arn, MEDIA_PATTERN),
        },
        { parent },
    );
    const serviceAccount = new k8s.core.v1.ServiceAccount(
        `${name}-service-account`,
        {
            metadata: {
                name: SERVICE_ACCOUNT,
                namespace: namespace.metadata.name,
                annotations: { "eks.amazonaws.com/role-arn": role.arn },
            },
            automountServiceAccountToken: false,
        },
        { parent, provider },
    );
    return { role, serviceAccount };
}
