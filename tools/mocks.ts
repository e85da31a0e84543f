// Pulumi runtime mocks: realistic outputs for the resource types the program registers, known
// answers for the invokes it makes, and an error for any invoke nobody expected.
import * as crypto from "crypto";
import type * as pulumi from "@pulumi/pulumi";

export const ACCOUNT_ID = "123456789012";
export const REGION = "eu-west-1";

/** The value a mocked random resource produces: recognisable, so tests can look for leaks. */
export function mockSecretValue(name: string): string {
    return `MOCKSECRET${crypto.createHash("sha256").update(name).digest("hex").slice(0, 24)}`;
}

type State = Record<string, unknown>;

function k8sState(name: string, inputs: State): State {
    const metadata = (inputs.metadata as State | undefined) ?? {};
    return { ...inputs, metadata: { ...metadata, name: metadata.name ?? `${name}-mock` } };
}

const outputs: Record<string, (name: string, inputs: State) => State> = {
    "random:index/randomPassword:RandomPassword": (name, inputs) => ({ ...inputs, result: mockSecretValue(name) }),
    "random:index/randomBytes:RandomBytes": (name, inputs) => {
        const bytes = Buffer.alloc(Number(inputs.length), mockSecretValue(name));
        return { ...inputs, base64: bytes.toString("base64"), hex: bytes.toString("hex") };
    },
    "aws:rds/instance:Instance": (name, inputs) => {
        const address = `${String(inputs.identifier ?? name)}.cmock.${REGION}.rds.amazonaws.com`;
        return {
            ...inputs,
            address,
            port: 3306,
            endpoint: `${address}:3306`,
            arn: `arn:aws:rds:${REGION}:${ACCOUNT_ID}:db:${inputs.identifier}`,
        };
    },
    "aws:rds/subnetGroup:SubnetGroup": (name, inputs) => ({ ...inputs, name: inputs.name ?? `${name}-mock` }),
    "aws:rds/parameterGroup:ParameterGroup": (name, inputs) => ({ ...inputs, name: inputs.name ?? `${name}-mock` }),
    "aws:s3/bucket:Bucket": (name, inputs) => {
        const bucket = String(inputs.bucket ?? `${name}-mock`);
        return { ...inputs, bucket, arn: `arn:aws:s3:::${bucket}` };
    },
    "aws:iam/role:Role": (name, inputs) => {
        const roleName = String(inputs.name ?? `${name}-mock`);
        return { ...inputs, name: roleName, arn: `arn:aws:iam::${ACCOUNT_ID}:role${inputs.path ?? "/"}${roleName}` };
    },
    "aws:secretsmanager/secret:Secret": (name, inputs) => ({
        ...inputs,
        arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:${inputs.name ?? name}-AbCdEf`,
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

export const mocks: pulumi.runtime.Mocks = {
    newResource(args) {
        const make = outputs[args.type];
        const state = make
            ? make(args.name, args.inputs)
            : args.type.startsWith("kubernetes:")
              ? k8sState(args.name, args.inputs)
              : args.inputs;
        return { id: `${args.name}-id`, state };
    },
    call(args) {
        const answer = invokes[args.token];
        if (!answer) throw new Error(`unexpected invoke ${args.token}: add a realistic answer to tools/mocks.ts`);
        return answer(args.inputs);
    },
};
