// The mocks of the offline render. Unlike the test mocks (tools/mocks.ts) they invent nothing: a
// resource's state is its inputs, and no id, so in a preview every output the cloud or the cluster
// would compute (an ARN, a generated name, an address, a random password) is unknown and reaches
// the inputs that depend on it as unknown: the render shows `<computed>` there.
import type * as pulumi from "@pulumi/pulumi";
import { COMPUTED } from "./values";

/**
 * The lookups the program makes. A real preview runs them against the account, so their answers
 * are known there; offline they are not, and they answer `<computed>` in every field rather than
 * an unknown: an unknown would make each string built from them unknown as a whole, and the
 * workload role's policy would read `<computed>` instead of its statements with `<computed>` in the
 * account, partition and region of its ARNs.
 */
const INVOKES: Record<string, readonly string[]> = {
    "aws:index/getCallerIdentity:getCallerIdentity": ["accountId", "arn", "userId", "id"],
    "aws:index/getPartition:getPartition": ["partition", "dnsSuffix", "id", "reverseDnsPrefix"],
    "aws:index/getRegion:getRegion": ["region", "name", "id", "endpoint", "description"],
};

export const renderMocks: pulumi.runtime.Mocks = {
    newResource(args) {
        return { id: undefined, state: args.inputs };
    },
    call(args) {
        const fields = INVOKES[args.token];
        if (!fields) throw new Error(`unexpected invoke ${args.token}: tools/render/mocks.ts must say what the render shows for it`);
        return Object.fromEntries(fields.map((field) => [field, COMPUTED]));
    },
};
