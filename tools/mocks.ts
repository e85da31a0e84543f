// Pulumi runtime mocks: realistic outputs for the resource types the program registers, known
// answers for the invokes it makes (one account, one region), and an error for any invoke nobody
// expected. The tests' mocks make up recognisable values; the render's (tools/render/mocks.ts)
// show what the cloud generates as `<computed>`.
import * as crypto from "crypto";
import type * as pulumi from "@pulumi/pulumi";

export const ACCOUNT_ID = "123456789012";
export const REGION = "eu-west-1";

/** The value a mocked random resource produces: recognisable, so tests can look for leaks. */
export function mockSecretValue(name: string): string {
    return `MOCKSECRET${crypto.createHash("sha256").update(name).digest("hex").slice(0, 24)}`;
}

type State = Record<string, unknown>;

/** What a set of mocks makes up for the values the cloud would generate. */
export interface Generated {
    /** A resource's id; undefined leaves it unknown (in a preview). */
    id(name: string): string | undefined;
    /** A name the provider generates (autonaming) or a part of an address AWS chooses. */
    name(name: string): string;
    /** The result of a random resource. */
    random(name: string): string;
    /** The bytes of a random.RandomBytes of `length` bytes. */
    bytes(name: string, length: number): { base64: string; hex: string };
}

function k8sState(name: string, inputs: State, generated: Generated): State {
    const metadata = (inputs.metadata as State | undefined) ?? {};
    return { ...inputs, metadata: { ...metadata, name: metadata.name ?? generated.name(name) } };
}

type Outputs = (name: string, inputs: State, generated: Generated) => State;

const outputs: Record<string, Outputs> = {
    "random:index/randomPassword:RandomPassword": (name, inputs, g) => ({ ...inputs, result: g.random(name) }),
    "random:index/randomBytes:RandomBytes": (name, inputs, g) => ({ ...inputs, ...g.bytes(name, Number(inputs.length)) }),
    "aws:rds/instance:Instance": (name, inputs, g) => {
        const address = `${String(inputs.identifier ?? g.name(name))}.${g.name("c")}.${REGION}.rds.amazonaws.com`;
        return {
            ...inputs,
            address,
            port: 3306,
            endpoint: `${address}:3306`,
            arn: `arn:aws:rds:${REGION}:${ACCOUNT_ID}:db:${String(inputs.identifier ?? g.name(name))}`,
        };
    },
    // ElastiCache names the primary endpoint after the replication group: master.<id>.<hash>.<region short>.cache.amazonaws.com.
    "aws:elasticache/replicationGroup:ReplicationGroup": (name, inputs, g) => ({
        ...inputs,
        primaryEndpointAddress: `master.${String(inputs.replicationGroupId ?? g.name(name))}.${g.name("h").slice(0, 6)}.euw1.cache.amazonaws.com`,
        arn: `arn:aws:elasticache:${REGION}:${ACCOUNT_ID}:replicationgroup:${String(inputs.replicationGroupId ?? g.name(name))}`,
    }),
    "aws:rds/subnetGroup:SubnetGroup": (name, inputs, g) => ({ ...inputs, name: inputs.name ?? g.name(name) }),
    "aws:rds/parameterGroup:ParameterGroup": (name, inputs, g) => ({ ...inputs, name: inputs.name ?? g.name(name) }),
    "aws:s3/bucket:Bucket": (name, inputs, g) => {
        const bucket = String(inputs.bucket ?? g.name(name));
        return { ...inputs, bucket, arn: `arn:aws:s3:::${bucket}`, bucketRegionalDomainName: `${bucket}.s3.${REGION}.amazonaws.com` };
    },
    "aws:cloudfront/multitenantDistribution:MultitenantDistribution": (name, inputs, g) => ({
        ...inputs,
        arn: `arn:aws:cloudfront::${ACCOUNT_ID}:distribution/${g.name(name)}`,
        connectionMode: "tenant-only",
    }),
    "aws:cloudfront/connectionGroup:ConnectionGroup": (name, inputs, g) => ({
        ...inputs,
        arn: `arn:aws:cloudfront::${ACCOUNT_ID}:connection-group/${g.name(name)}`,
        routingEndpoint: `${g.name(name)}.cloudfront.net`,
    }),
    "aws:cloudfront/function:Function": (name, inputs, g) => ({
        ...inputs,
        arn: `arn:aws:cloudfront::${ACCOUNT_ID}:function/${String(inputs.name ?? g.name(name))}`,
    }),
    "aws:cloudfront/distributionTenant:DistributionTenant": (name, inputs, g) => ({
        ...inputs,
        // A tenant id is letters, digits, `_` and `-`: the name's slash would read as a path.
        arn: `arn:aws:cloudfront::${ACCOUNT_ID}:distribution-tenant/${g.name(name).replace(/[^A-Za-z0-9_-]/g, "-")}`,
    }),
    "aws:wafv2/webAcl:WebAcl": (name, inputs, g) => ({
        ...inputs,
        arn: `arn:aws:wafv2:us-east-1:${ACCOUNT_ID}:global/webacl/${String(inputs.name ?? g.name(name))}/${g.name(name)}`,
    }),
    "aws:iam/role:Role": (name, inputs, g) => {
        const roleName = String(inputs.name ?? g.name(name));
        return { ...inputs, name: roleName, arn: `arn:aws:iam::${ACCOUNT_ID}:role${String(inputs.path ?? "/")}${roleName}` };
    },
    "aws:secretsmanager/secret:Secret": (name, inputs, g) => ({
        ...inputs,
        arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:${String(inputs.name ?? g.name(name))}-${g.name("suffix")}`,
    }),
};

const invokes: Record<string, (inputs: State) => State> = {
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({
        accountId: ACCOUNT_ID,
        arn: `arn:aws:iam::${ACCOUNT_ID}:user/ci`,
        userId: "AIDAMOCK",
        id: ACCOUNT_ID,
    }),
    "aws:index/getPartition:getPartition": () => ({
        partition: "aws",
        dnsSuffix: "amazonaws.com",
        id: "aws",
        reverseDnsPrefix: "com.amazonaws",
    }),
    "aws:index/getRegion:getRegion": () => ({
        region: REGION,
        name: REGION,
        id: REGION,
        endpoint: `ec2.${REGION}.amazonaws.com`,
        description: "Europe (Ireland)",
    }),
};

/** Mocks that answer every resource type and invoke the program uses, making up values with `generated`. */
export function createMocks(generated: Generated, invokeHint = "tools/mocks.ts"): pulumi.runtime.Mocks {
    return {
        newResource(args) {
            const make = outputs[args.type];
            const state = make
                ? make(args.name, args.inputs, generated)
                : args.type.startsWith("kubernetes:")
                  ? k8sState(args.name, args.inputs, generated)
                  : args.inputs;
            return { id: generated.id(args.name), state };
        },
        call(args) {
            const answer = invokes[args.token];
            if (!answer) throw new Error(`unexpected invoke ${args.token}: add a realistic answer to ${invokeHint}`);
            return answer(args.inputs);
        },
    };
}

/** The tests' made-up values: every value known, recognisable (`-mock`, `-id`, MOCKSECRET...) so a test can look for it. */
export const mockGenerated: Generated = {
    id: (name) => `${name}-id`,
    name: (name) => (name === "c" ? "cmock" : name === "suffix" ? "AbCdEf" : `${name}-mock`),
    random: mockSecretValue,
    bytes: (name, length) => {
        const bytes = Buffer.alloc(length, mockSecretValue(name));
        return { base64: bytes.toString("base64"), hex: bytes.toString("hex") };
    },
};

/** The tests' mocks, with `mockGenerated`'s values. */
export const mocks: pulumi.runtime.Mocks = createMocks(mockGenerated);
