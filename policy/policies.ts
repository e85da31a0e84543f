// The platform's security baseline: every check of policy/, and the same checks shaped as
// @pulumi/policy policies. Nothing here runs on import and nothing here constructs the PolicyPack
// (policy/index.ts does: constructing one starts a gRPC server and can exit the process), so tests
// import this module and run the checks over the resources the program registers.
//
// The checks, by concern: model.ts (what they share), data.ts (RDS, S3, secrets), cache.ts
// (ElastiCache), iam.ts, kubernetes.ts (pods, Jobs, network policy), images.ts.
//
// What the pack sees: `validateResource` gets a resource's inputs before it is created or updated;
// `validateStack` gets every resource's outputs at the end of the run. During `pulumi preview` an
// input computed from another resource (an ARN, a bucket name) is unknown, and @pulumi/policy reports
// a check that reads one as advisory ("can't run during preview"); `pulumi up` registers a resource
// only once its inputs are known, so every check is enforced there.
import type { Policies, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { elasticacheHardened } from "./cache";
import { rdsInstanceHardened, rdsRequireSecureTransport, s3BucketHardened, secretsPresent } from "./data";
import { iamNoWildcards, runtimeLeastPrivilege, siteRoleOwnPrefix, siteRolePoliciesExamined } from "./iam";
import { imagesByDigest } from "./images";
import { jobsBounded, namespaceDefaultDeny, podSecurityRestricted, wordpressNetworkPolicy } from "./kubernetes";
import { DEFAULT_STACK_OPTIONS, type ResourceCheck, type StackCheck, type StackOptions, type StackResource } from "./model";

export * from "./cache";
export * from "./data";
export * from "./iam";
export * from "./images";
export * from "./kubernetes";
export * from "./model";

export const resourceChecks: readonly ResourceCheck[] = [
    rdsInstanceHardened,
    elasticacheHardened,
    iamNoWildcards,
    runtimeLeastPrivilege,
    siteRoleOwnPrefix,
    secretsPresent,
    podSecurityRestricted,
    imagesByDigest,
    jobsBounded,
];

export const stackChecks: readonly StackCheck[] = [
    rdsRequireSecureTransport,
    s3BucketHardened,
    siteRolePoliciesExamined,
    wordpressNetworkPolicy,
    namespaceDefaultDeny,
];

function resourcePolicy(check: ResourceCheck): ResourceValidationPolicy {
    return {
        name: check.name,
        description: check.description,
        validateResource: (args, reportViolation) => {
            if (!check.types.includes(args.type)) return;
            const where = { name: args.name, parent: args.opts?.parent };
            for (const violation of check.check(args.type, args.props, where)) reportViolation(violation);
        },
    };
}

function stackPolicy(check: StackCheck): StackValidationPolicy {
    return {
        name: check.name,
        description: check.description,
        ...(check.options?.length
            ? {
                  configSchema: {
                      properties: Object.fromEntries(
                          check.options.map((o) => [o, { type: "string" as const, default: DEFAULT_STACK_OPTIONS[o] }]),
                      ),
                  },
              }
            : {}),
        validateStack: (args, reportViolation) => {
            const resources: StackResource[] = args.resources.map((r) => ({
                type: r.type,
                name: r.name,
                urn: r.urn,
                props: r.props,
                dependencies: r.dependencies.map((d) => d.urn),
                parent: r.parent?.urn,
            }));
            const options: StackOptions = { ...DEFAULT_STACK_OPTIONS, ...args.getConfig<Partial<StackOptions>>() };
            for (const violation of check.check(resources, options))
                reportViolation(violation, subjectOf(violation, resources, check.types));
        },
    };
}

/**
 * The URN of the resource a stack violation is about: its message starts with the resource's name
 * (`platform-files: ...`, `wordpress-ingress (selects ...)`), so the CLI shows it under that resource.
 */
function subjectOf(violation: string, resources: readonly StackResource[], types: readonly string[]): string | undefined {
    const named = resources.filter((r) => violation.startsWith(`${r.name}:`) || violation.startsWith(`${r.name} `));
    const longest = Math.max(...named.map((r) => r.name.length));
    const candidates = named.filter((r) => r.name.length === longest);
    return (candidates.find((r) => types.includes(r.type)) ?? candidates[0])?.urn;
}

/** Every check as a policy of the pack (policy/index.ts). */
export const policies: Policies = [...resourceChecks.map(resourcePolicy), ...stackChecks.map(stackPolicy)];
