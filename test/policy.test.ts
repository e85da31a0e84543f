// The security baseline (policy/policies.ts) over the resources the real program registers for both
// committed stacks: every check passes there, and every check reports a copy of a registered resource
// with the property it guards broken. The pack's policy objects are run the same way, as the CLI would.
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import type {
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import {
    DEFAULT_STACK_OPTIONS,
    ResourceCheck,
    SECRET_FIELDS,
    StackOptions,
    StackResource,
    TYPES,
    iamNoWildcards,
    imagesByDigest,
    jobsBounded,
    namespaceDefaultDeny,
    podSecurityRestricted,
    policies,
    rdsInstanceHardened,
    rdsRequireSecureTransport,
    resourceChecks,
    runtimeLeastPrivilege,
    s3BucketHardened,
    secretsPresent,
    SITE_TAG,
    siteOfRoleName,
    siteOfRolePolicy,
    siteRoleOwnPrefix,
    siteRolePoliciesExamined,
    stackChecks,
    unmarkedSecrets,
    wordpressNetworkPolicy,
} from "../policy/policies";
import { FILES_TAG } from "../src/site-files";
import { SITE_TYPE, siteRoleName } from "../src/naming";
import { mockSecretValue } from "../tools/mocks";
import { ProgramRun, ROOT, Registered, configFor, isSecret, redact, reveal, runProgram } from "./support/program";

const STACKS = ["stg", "prod"] as const;
type Stack = (typeof STACKS)[number];

const runs = {} as Record<Stack, ProgramRun>;

// ---------------------------------------------------------------------------------------------
// Helpers.

/** Props are free-form JSON: the tests edit them as such. */
type AnyProps = Record<string, any>;

function optionsFor(stack: Stack): StackOptions {
    const ingress = JSON.parse(configFor(stack)["wp-platform:ingress"]) as { controllerNamespace: string };
    return { ingressControllerNamespace: ingress.controllerNamespace };
}

function resourceViolations(check: ResourceCheck, resources: readonly Registered[]): string[] {
    return resources.flatMap((r) => check.check(r.type, r.inputs, r).map((v) => `${r.name}: ${v}`));
}

function asStack(resources: readonly Registered[]): StackResource[] {
    return resources.map((r) => ({
        type: r.type,
        name: r.name,
        urn: r.urn,
        props: r.inputs,
        dependencies: r.dependencies,
        ...(r.parent ? { parent: r.parent } : {}),
    }));
}

/** A copy of a registered resource, its inputs (and raw inputs) edited. */
function edited(resource: Registered, edit: (props: AnyProps) => void): Registered {
    const inputs = structuredClone(resource.inputs);
    edit(inputs);
    return { ...resource, inputs, raw: structuredClone(resource.raw) };
}

/** Edits a policy document held as a JSON string. */
function editDocument(props: AnyProps, key: string, edit: (doc: AnyProps) => void): void {
    const doc = JSON.parse(props[key]) as AnyProps;
    edit(doc);
    props[key] = JSON.stringify(doc);
}

function expectReported(violations: string[], pattern: RegExp): void {
    expect(
        violations.some((v) => pattern.test(v)),
        `expected a violation matching ${pattern}, got ${JSON.stringify(violations, null, 1)}`,
    ).to.equal(true);
}

/** The stack's resources with one of them (by name) edited. */
function stackWith(resources: readonly StackResource[], name: string, edit: (props: AnyProps) => void): StackResource[] {
    expect(
        resources.some((r) => r.name === name),
        `no resource named ${name}`,
    ).to.equal(true);
    return resources.map((r) => {
        if (r.name !== name) return r;
        const props = structuredClone(r.props) as AnyProps;
        edit(props);
        return { ...r, props };
    });
}

function stackWithout(resources: readonly StackResource[], type: string): StackResource[] {
    expect(
        resources.some((r) => r.type === type),
        `no resource of type ${type}`,
    ).to.equal(true);
    return resources.filter((r) => r.type !== type);
}

/** Every value the mocked random resources produced, and every 16-character piece of one (a salt is a slice). */
function randomValues(run: ProgramRun): { whole: string[]; pieces: Set<string> } {
    const whole: string[] = [];
    for (const r of run.ofType("random:index/randomPassword:RandomPassword")) whole.push(mockSecretValue(r.name));
    for (const r of run.ofType("random:index/randomBytes:RandomBytes")) {
        const bytes = Buffer.alloc(Number(r.inputs.length), mockSecretValue(r.name));
        whole.push(bytes.toString("base64"), bytes.toString("hex"));
    }
    const pieces = new Set<string>();
    for (const value of whole) for (let i = 0; i + 16 <= value.length; i++) pieces.add(value.slice(i, i + 16));
    return { whole, pieces };
}

/** The paths of strings in `value` that hold a random value or a piece of one. */
function leaks(value: unknown, random: { pieces: Set<string> }, where = "$"): string[] {
    if (typeof value === "string") {
        for (const piece of random.pieces) if (value.includes(piece)) return [where];
        return [];
    }
    if (Array.isArray(value)) return value.flatMap((v, i) => leaks(v, random, `${where}[${i}]`));
    if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([k, v]) => leaks(v, random, `${where}.${k}`));
    return [];
}

interface Reported {
    /** `<policy>: <message>` */
    readonly line: string;
    /** The resource the CLI shows it under, when the policy names one. */
    readonly urn?: string;
}

/** Runs every policy of the pack as the CLI would: each resource through validateResource, then validateStack. */
async function runPack(resources: readonly Registered[], config: Partial<StackOptions> = {}): Promise<Reported[]> {
    const reported: Reported[] = [];
    const asPolicyResources: PolicyResource[] = resources.map(
        (r) =>
            ({
                type: r.type,
                name: r.name,
                urn: r.urn,
                props: r.inputs,
                dependencies: [],
                propertyDependencies: {},
            }) as unknown as PolicyResource,
    );
    const byUrn = new Map(asPolicyResources.map((r) => [r.urn, r]));
    resources.forEach((r, i) => {
        asPolicyResources[i].dependencies = r.dependencies.map((d) => byUrn.get(d)).filter((d): d is PolicyResource => d !== undefined);
        asPolicyResources[i].parent = byUrn.get(r.parent);
    });
    for (const policy of policies) {
        const report = (message: string, urn?: string) => reported.push({ line: `${policy.name}: ${message}`, ...(urn ? { urn } : {}) });
        const { validateResource } = policy as ResourceValidationPolicy;
        if (validateResource) {
            for (const r of resources) {
                const args = {
                    type: r.type,
                    props: r.inputs,
                    urn: r.urn,
                    name: r.name,
                    opts: r.parent ? { parent: r.parent } : {},
                    getConfig: () => config,
                } as unknown as ResourceValidationArgs;
                for (const validate of Array.isArray(validateResource) ? validateResource : [validateResource])
                    await validate(args, report);
            }
        }
        const { validateStack } = policy as StackValidationPolicy;
        if (validateStack) {
            await validateStack({ resources: asPolicyResources, getConfig: () => config } as unknown as StackValidationArgs, report);
        }
    }
    return reported;
}

describe("security baseline (policy/)", () => {
    // One run per committed stack, shared by every test below.
    before(async function () {
        this.timeout(60_000);
        for (const stack of STACKS) runs[stack] = await runProgram({ stack });
    });

    // ---------------------------------------------------------------------------------------------
    // The committed stacks.

    for (const stack of STACKS) {
        describe(`the ${stack} stack`, () => {
            for (const check of resourceChecks) {
                it(`passes ${check.name}`, () => {
                    const examined = runs[stack].resources.filter((r) => check.types.includes(r.type));
                    expect(examined, `no resource of ${check.types.join(", ")}: the check would pass vacuously`).to.not.be.empty;
                    expect(resourceViolations(check, examined)).to.deep.equal([]);
                });
            }
            for (const check of stackChecks) {
                it(`passes ${check.name}`, () => {
                    const resources = asStack(runs[stack].resources);
                    for (const type of check.types)
                        expect(
                            resources.some((r) => r.type === type),
                            `no ${type}: the check would pass vacuously`,
                        ).to.equal(true);
                    expect(check.check(resources, optionsFor(stack))).to.deep.equal([]);
                });
            }

            it("examines every site's role policy as that site's, and passes site-role-own-prefix there", () => {
                const sites = runs[stack].ofType(SITE_TYPE);
                expect(sites).to.not.be.empty;
                for (const site of sites) {
                    // Found by what the program sets: a child of the Site, attached to a role tagged for it.
                    // Its prefix, and (both stacks have an edge) the invalidation of its own tenant.
                    const policies = runs[stack].ofType(TYPES.iamRolePolicy).filter((p) => p.parent === site.urn);
                    expect(policies.map((p) => p.name).sort(), site.name).to.deep.equal([
                        `${site.name}/edge-policy`,
                        `${site.name}/role-policy`,
                    ]);
                    for (const policy of policies) {
                        const role = runs[stack].ofType(TYPES.iamRole).find((r) => policy.dependencies.includes(r.urn)) as Registered;
                        expect(role.inputs.tags[SITE_TAG]).to.equal(site.name);
                        expect(siteOfRolePolicy(policy.inputs, policy)).to.deep.equal({ id: site.name });
                        expect(siteOfRoleName(policy.inputs.role)).to.equal(site.name);
                        expect(siteRoleOwnPrefix.check(policy.type, policy.inputs, policy)).to.deep.equal([]);
                    }
                }
            });

            it("keeps every secret value a Pulumi secret", () => {
                const examined = runs[stack].resources.filter((r) => SECRET_FIELDS[r.type] !== undefined);
                for (const type of Object.keys(SECRET_FIELDS))
                    expect(
                        examined.some((r) => r.type === type),
                        `no ${type}`,
                    ).to.equal(true);
                const unmarked = examined.flatMap((r) => unmarkedSecrets(r.type, r.raw, isSecret).map((v) => `${r.type} ${r.name}: ${v}`));
                expect(unmarked).to.deep.equal([]);
            });

            it("puts no value of a random resource in a stack output", () => {
                const random = randomValues(runs[stack]);
                expect(random.whole).to.not.be.empty;
                expect(Object.keys(runs[stack].outputs)).to.not.be.empty;
                expect(leaks(runs[stack].outputs, random)).to.deep.equal([]);
            });

            it("puts no value of a random resource in a resource input outside a secret", () => {
                const random = randomValues(runs[stack]);
                const found = runs[stack].resources.flatMap((r) => leaks(redact(r.raw), random).map((p) => `${r.type} ${r.name} ${p}`));
                expect(found).to.deep.equal([]);
            });

            it("passes every policy of the pack, run as the CLI runs them", async () => {
                expect(await runPack(runs[stack].resources, optionsFor(stack))).to.deep.equal([]);
            });
        });
    }

    // ---------------------------------------------------------------------------------------------
    // Each check reports what it guards.

    describe("rds-instance-hardened", () => {
        const cases: [string, (p: AnyProps) => void, RegExp][] = [
            ["unencrypted storage", (p) => (p.storageEncrypted = false), /storageEncrypted must be true/],
            ["no storageEncrypted", (p) => delete p.storageEncrypted, /storageEncrypted must be true/],
            ["a public instance", (p) => (p.publiclyAccessible = true), /publiclyAccessible must be false/],
            ["1 day of backups", (p) => (p.backupRetentionPeriod = 1), /backupRetentionPeriod must be at least 7/],
            ["no backup retention", (p) => delete p.backupRetentionPeriod, /backupRetentionPeriod must be at least 7/],
            ["no minor version upgrades", (p) => (p.autoMinorVersionUpgrade = false), /autoMinorVersionUpgrade must be true/],
            ["no log exports", (p) => (p.enabledCloudwatchLogsExports = []), /enabledCloudwatchLogsExports/],
            ["a skipped final snapshot", (p) => (p.skipFinalSnapshot = true), /skipFinalSnapshot must be false/],
            ["no final snapshot name", (p) => delete p.finalSnapshotIdentifier, /finalSnapshotIdentifier must be set/],
        ];
        for (const [what, edit, pattern] of cases) {
            it(`reports ${what}`, () => {
                const db = edited(runs.stg.get(TYPES.rdsInstance, "platform-db"), edit);
                expectReported(rdsInstanceHardened.check(db.type, db.inputs, db), pattern);
            });
        }
    });

    describe("rds-require-secure-transport", () => {
        const resources = () => asStack(runs.prod.resources);
        const options = DEFAULT_STACK_OPTIONS;

        it("reports a parameter group that sets require_secure_transport to 0", () => {
            const stack = stackWith(
                resources(),
                "platform-db-params-mysql8-4",
                (p) => (p.parameters = [{ name: "require_secure_transport", value: "0" }]),
            );
            expectReported(
                rdsRequireSecureTransport.check(stack, options),
                /platform-db-params-mysql8-4: .*require_secure_transport to 1 \(is "0"\)/,
            );
        });

        it("reports a parameter group that leaves it unset", () => {
            const stack = stackWith(
                resources(),
                "platform-db-params-mysql8-4",
                (p) => (p.parameters = [{ name: "max_connections", value: "500" }]),
            );
            expectReported(rdsRequireSecureTransport.check(stack, options), /unset, so OFF/);
        });

        it("reports an instance on a parameter group that is not the stack's (the default group)", () => {
            const stack = stackWithout(resources(), TYPES.rdsParameterGroup);
            expectReported(rdsRequireSecureTransport.check(stack, options), /platform-db: uses no parameter group of this stack/);
        });

        it("accepts ON as well as 1", () => {
            const stack = stackWith(
                resources(),
                "platform-db-params-mysql8-4",
                (p) => (p.parameters = [{ name: "require_secure_transport", value: "ON" }]),
            );
            expect(rdsRequireSecureTransport.check(stack, options)).to.deep.equal([]);
        });
    });

    describe("s3-bucket-hardened", () => {
        const resources = () => asStack(runs.stg.resources);
        const check = (stack: StackResource[]) => s3BucketHardened.check(stack, DEFAULT_STACK_OPTIONS);

        for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) {
            it(`reports a public access block without ${flag}`, () => {
                const stack = stackWith(resources(), "platform-files-public-access", (p) => (p[flag] = false));
                expectReported(check(stack), new RegExp(`must set ${flag} to true`));
            });
        }

        it("reports a bucket without a public access block", () => {
            expectReported(
                check(stackWithout(resources(), TYPES.bucketPublicAccessBlock)),
                /platform-files: has no BucketPublicAccessBlock/,
            );
        });

        it("reports a bucket without default encryption", () => {
            expectReported(check(stackWithout(resources(), TYPES.bucketEncryption)), /has no default encryption/);
        });

        it("reports suspended versioning", () => {
            const stack = stackWith(resources(), "platform-files-versioning", (p) => (p.versioningConfiguration.status = "Suspended"));
            expectReported(check(stack), /versioning must be Enabled/);
        });

        it("reports a bucket policy that does not deny requests without TLS", () => {
            const stack = stackWith(resources(), "platform-files-policy", (p) =>
                editDocument(p, "policy", (doc) => {
                    delete doc.Statement[0].Condition;
                }),
            );
            expectReported(check(stack), /has no bucket policy denying requests without TLS/);
        });

        it("reports a TLS statement that leaves out the objects", () => {
            const stack = stackWith(resources(), "platform-files-policy", (p) =>
                editDocument(p, "policy", (doc) => {
                    doc.Statement[0].Resource = doc.Statement[0].Resource.filter((r: string) => !r.endsWith("/*"));
                }),
            );
            expectReported(check(stack), /has no bucket policy denying requests without TLS/);
        });

        it("reports a bucket without a policy", () => {
            expectReported(check(stackWithout(resources(), TYPES.bucketPolicy)), /has no bucket policy denying requests without TLS/);
        });

        it("reports lifecycle rules without expiry of noncurrent versions", () => {
            const stack = stackWith(
                resources(),
                "platform-files-lifecycle",
                (p) => (p.rules = p.rules.filter((r: AnyProps) => !r.noncurrentVersionExpiration)),
            );
            expectReported(check(stack), /expiring noncurrent versions/);
        });

        it("reports lifecycle rules that do not abort incomplete multipart uploads", () => {
            const stack = stackWith(
                resources(),
                "platform-files-lifecycle",
                (p) => (p.rules = p.rules.filter((r: AnyProps) => !r.abortIncompleteMultipartUpload)),
            );
            expectReported(check(stack), /aborting incomplete multipart uploads/);
        });

        it("reports disabled lifecycle rules, and rules limited to a prefix", () => {
            const disabled = stackWith(resources(), "platform-files-lifecycle", (p) =>
                p.rules.forEach((r: AnyProps) => (r.status = "Disabled")),
            );
            expectReported(check(disabled), /expiring noncurrent versions/);
            const partial = stackWith(resources(), "platform-files-lifecycle", (p) =>
                p.rules.forEach((r: AnyProps) => (r.filter = { prefix: "sites/rrr/" })),
            );
            expectReported(check(partial), /aborting incomplete multipart uploads/);
        });

        it("reports a second bucket configured by nothing", () => {
            const bucket = resources().find((r) => r.type === TYPES.bucket) as StackResource;
            const stack = [...resources(), { ...bucket, name: "extra-files", urn: `${bucket.urn}-extra` }];
            const violations = check(stack);
            expect(violations.filter((v) => v.startsWith("extra-files: "))).to.have.length(6);
            expect(violations.filter((v) => v.startsWith("platform-files: "))).to.deep.equal([]);
        });
    });

    describe("runtime-least-privilege", () => {
        const check = (r: Registered) => runtimeLeastPrivilege.check(r.type, r.inputs, r);

        it("passes every role and role policy of both stacks", () => {
            for (const stack of STACKS) expect(resourceViolations(runtimeLeastPrivilege, runs[stack].resources)).to.deep.equal([]);
        });

        it("reports the workload policy the platform had: every site's secret, and every site's role", () => {
            // What the workload role was allowed before the pods lost Secrets Manager and AssumeRole.
            const before = edited(runs.stg.get(TYPES.iamRolePolicy, "platform-workload-policy"), (p) =>
                editDocument(p, "policy", (doc) => {
                    doc.Statement = [
                        {
                            Sid: "ReadSiteSecrets",
                            Effect: "Allow",
                            Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                            Resource: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:wp-platform/stg/*",
                        },
                        {
                            Sid: "AssumeSiteRoles",
                            Effect: "Allow",
                            Action: "sts:AssumeRole",
                            Resource: "arn:aws:iam::123456789012:role/wp-platform/stg/sites/*",
                        },
                    ];
                }),
            );
            const violations = check(before);
            expect(violations).to.have.length(3);
            expectReported(violations, /ReadSiteSecrets" grants "secretsmanager:GetSecretValue": no pod or Job reads Secrets Manager/);
            expectReported(violations, /AssumeSiteRoles" grants "sts:AssumeRole": no principal takes another's role/);
        });

        it("reports a site role's policy that passes a role, but not a Deny", () => {
            const policy = runs.stg.get(TYPES.iamRolePolicy, "rrr/role-policy");
            const add = (statement: AnyProps) => edited(policy, (p) => editDocument(p, "policy", (doc) => doc.Statement.push(statement)));
            expectReported(
                check(add({ Effect: "Allow", Action: "iam:PassRole", Resource: "arn:aws:iam::123456789012:role/x" })),
                /grants "iam:PassRole"/,
            );
            expect(check(add({ Effect: "Deny", Action: "sts:AssumeRole", Resource: "*" }))).to.deep.equal([]);
        });
    });

    describe("iam-no-wildcards", () => {
        const rolePolicy = () => runs.stg.get(TYPES.iamRolePolicy, "platform-workload-policy");
        const role = () => runs.stg.get(TYPES.iamRole, "platform-workload-role");
        const inPolicy = (edit: (doc: AnyProps) => void) => edited(rolePolicy(), (p) => editDocument(p, "policy", edit));
        const inTrust = (edit: (doc: AnyProps) => void) => edited(role(), (p) => editDocument(p, "assumeRolePolicy", edit));
        const check = (r: Registered) => iamNoWildcards.check(r.type, r.inputs, r);

        it('reports Action "*"', () => {
            expectReported(check(inPolicy((doc) => (doc.Statement[0].Action = "*"))), /grants every action of "\*"/);
        });

        it('reports Action "service:*" in a list', () => {
            expectReported(
                check(inPolicy((doc) => doc.Statement[0].Action.push("secretsmanager:*"))),
                /grants every action of "secretsmanager:\*"/,
            );
        });

        it('reports Resource "*"', () => {
            expectReported(check(inPolicy((doc) => (doc.Statement[1].Resource = "*"))), /applies to every resource/);
        });

        it("reports NotAction and NotResource", () => {
            const notAction = inPolicy((doc) => {
                doc.Statement[1].NotAction = doc.Statement[1].Action;
                delete doc.Statement[1].Action;
            });
            expectReported(check(notAction), /uses NotAction/);
            const notResource = inPolicy((doc) => {
                doc.Statement[1].NotResource = doc.Statement[1].Resource;
                delete doc.Statement[1].Resource;
            });
            expectReported(check(notResource), /uses NotResource/);
        });

        it('reports a trust policy for any principal, or for "sts:*"', () => {
            expectReported(check(inTrust((doc) => (doc.Statement[0].Principal = { AWS: "*" }))), /trusts every principal/);
            expectReported(check(inTrust((doc) => (doc.Statement[0].Action = "sts:*"))), /grants every action of "sts:\*"/);
        });

        it("reports a policy that is not JSON", () => {
            expectReported(check(edited(rolePolicy(), (p) => (p.policy = "{not json"))), /policy is not valid JSON/);
        });

        it("leaves wildcards in Deny statements alone", () => {
            const deny = inPolicy((doc) => doc.Statement.push({ Effect: "Deny", Action: "*", Resource: "*" }));
            expect(check(deny)).to.deep.equal([]);
        });
    });

    describe("site-role-own-prefix", () => {
        const sitePolicy = () => runs.stg.get(TYPES.iamRolePolicy, "rrr/role-policy");
        const inPolicy = (edit: (doc: AnyProps) => void) => edited(sitePolicy(), (p) => editDocument(p, "policy", edit));
        const check = (r: Registered) => siteRoleOwnPrefix.check(r.type, r.inputs, r);
        const objects = (doc: AnyProps) => doc.Statement.find((s: AnyProps) => s.Sid === "SiteObjects");
        const listing = (doc: AnyProps) => doc.Statement.find((s: AnyProps) => s.Sid === "ListSitePrefix");
        const bucketArn = "arn:aws:s3:::platform-files-mock";

        it("accepts objects of a folder within the site's prefix, and no wildcard in the middle", () => {
            expect(check(inPolicy((doc) => (objects(doc).Resource = `${bucketArn}/sites/rrr/uploads/*`)))).to.deep.equal([]);
            expectReported(
                check(inPolicy((doc) => (objects(doc).Resource = `${bucketArn}/sites/rrr/*/uploads/*`))),
                /reaches objects .* outside sites\/rrr\/\*/,
            );
        });

        it("reports objects of another site, of every site, and of the whole bucket", () => {
            for (const resource of [
                `${bucketArn}/sites/harbor-cafe/*`,
                `${bucketArn}/sites/*`,
                `${bucketArn}/*`,
                `${bucketArn}/sites/rrr*`,
            ]) {
                expectReported(check(inPolicy((doc) => (objects(doc).Resource = resource))), /reaches objects .* outside sites\/rrr\/\*/);
            }
        });

        it("reports listing the bucket without an s3:prefix condition", () => {
            expectReported(
                check(inPolicy((doc) => delete listing(doc).Condition)),
                /without an s3:prefix condition limited to sites\/rrr\//,
            );
        });

        it("reports an s3:prefix condition wider than the site's prefix", () => {
            const wide = inPolicy((doc) => (listing(doc).Condition.StringLike["s3:prefix"] = ["sites/rrr/", "sites/*"]));
            expectReported(check(wide), /without an s3:prefix condition limited to sites\/rrr\//);
        });

        it("reports object actions on the whole bucket", () => {
            expectReported(
                check(inPolicy((doc) => (listing(doc).Action = ["s3:ListBucket", "s3:DeleteBucket"]))),
                /grants s3:deletebucket on the whole bucket/,
            );
        });

        it("reports actions beyond S3 and resources beyond the bucket", () => {
            const other = inPolicy((doc) =>
                doc.Statement.push({
                    Effect: "Allow",
                    Action: "secretsmanager:GetSecretValue",
                    Resource: "arn:aws:secretsmanager:*:*:secret:*",
                }),
            );
            const violations = check(other);
            expectReported(violations, /grants secretsmanager:getsecretvalue/);
            expectReported(violations, /which is not the site's prefix of the bucket/);
        });

        it("still examines a site's role policy whose Pulumi name changes", () => {
            const wide = inPolicy((doc) => (objects(doc).Resource = `${bucketArn}/*`));
            for (const name of ["rrr/files-policy", "platform-workload-policy", "role-policy"]) {
                const renamed = { ...wide, name, urn: wide.urn.replace(/::[^:]+$/, `::${name}`) };
                expectReported(check(renamed), /reaches objects .* outside sites\/rrr\/\*/);
            }
        });

        it("finds the site by the role it is attached to, when the policy is not a child of the site", () => {
            const wide = inPolicy((doc) => (objects(doc).Resource = `${bucketArn}/*`));
            expect(wide.inputs.role).to.equal(siteRoleName("stg", "rrr"));
            expectReported(check({ ...wide, parent: "" }), /outside sites\/rrr\/\*/);
        });

        it("finds the site by its parent Site, when the role it is attached to has another name", () => {
            const wide = edited(sitePolicy(), (p) => {
                p.role = "renamed-role";
                editDocument(p, "policy", (doc) => (objects(doc).Resource = `${bucketArn}/*`));
            });
            expectReported(check(wide), /outside sites\/rrr\/\*/);
        });

        it("reports a site's policy attached to another site's role", () => {
            const moved = edited(sitePolicy(), (p) => (p.role = siteRoleName("stg", "harbor-cafe")));
            expectReported(
                check(moved),
                /is a child of site "rrr" but is attached to "wp\.stg\.harbor-cafe", the role of site "harbor-cafe"/,
            );
        });

        it("leaves a role policy of no site to iam-no-wildcards", () => {
            const workload = runs.stg.get(TYPES.iamRolePolicy, "platform-workload-policy");
            expect(siteOfRolePolicy(workload.inputs, workload)).to.deep.equal({});
            expect(check(workload)).to.deep.equal([]);
        });

        it("reads siteRoleName backwards for any valid id, and nothing else", () => {
            for (const id of ["rrr", "shop", "shop-preview", "a", "x1-2-3"]) expect(siteOfRoleName(siteRoleName("prod", id))).to.equal(id);
            for (const role of ["wp.stg", "wp.stg.rrr.x", "wp.stg.Rrr", "platform-workload-role", siteRoleName("stg", "rrr") + "-"])
                expect(siteOfRoleName(role), role).to.equal(undefined);
        });
    });

    describe("site-role-policies-examined", () => {
        const resources = () => asStack(runs.stg.resources);
        const check = (stack: StackResource[]) => siteRolePoliciesExamined.check(stack, DEFAULT_STACK_OPTIONS);
        const policyName = "rrr/role-policy";
        const bucketArn = "arn:aws:s3:::platform-files-mock";
        /** rrr's role policy, no longer a child of the Site nor attached by the site role's name: only its dependency joins it. */
        const detached = (edit: (p: AnyProps) => void = () => undefined) =>
            resources().map((r) => {
                if (r.name !== policyName) return r;
                const props = structuredClone(r.props) as AnyProps;
                props.role = "renamed-role";
                edit(props);
                return { type: r.type, name: "files-policy", urn: `${r.urn}-renamed`, props, dependencies: r.dependencies };
            });

        it("accepts the stack's site roles, each policy examined as its site's", () => {
            expect(check(resources())).to.deep.equal([]);
        });

        it("reports a policy on a site's role that site-role-own-prefix would not examine, and checks it itself", () => {
            const violations = check(
                detached((p) =>
                    editDocument(
                        p,
                        "policy",
                        (doc) => (doc.Statement.find((s: AnyProps) => s.Sid === "SiteObjects").Resource = `${bucketArn}/*`),
                    ),
                ),
            );
            expectReported(
                violations,
                /^files-policy: is attached to rrr\/role, the role of site "rrr", but site-role-own-prefix does not examine it/,
            );
            expectReported(violations, /^files-policy: Allow statement "SiteObjects" reaches objects .* outside sites\/rrr\/\*/);
        });

        it("finds a site's role by its tags, whatever the role is named", () => {
            const renamed = detached().map((r) => (r.name === "rrr/role" ? { ...r, name: "files-role" } : r));
            expectReported(check(renamed), /^files-policy: is attached to files-role, the role of site "rrr"/);
        });

        it("reports a role whose files tag and site tag name different sites", () => {
            const stack = stackWith(resources(), "rrr/role", (p) => (p.tags[SITE_TAG] = "harbor-cafe"));
            expectReported(
                check(stack),
                /^rrr\/role: its wp-platform:files tag names site "rrr" and its wp-platform:site tag site "harbor-cafe"/,
            );
            expect(runs.stg.get(TYPES.iamRole, "rrr/role").inputs.tags[FILES_TAG]).to.match(/\/sites\/rrr\/$/);
        });
    });

    describe("renamed resources", () => {
        /** A copy of the stack with one resource renamed: its name, its URN, and every dependency on it. */
        const renamed = (resources: readonly StackResource[], name: string, to: string): StackResource[] => {
            const target = resources.find((r) => r.name === name) as StackResource;
            const urn = target.urn.replace(/::[^:]+$/, `::${to}`);
            return resources.map((r) => ({
                ...(r === target ? { ...r, name: to, urn } : r),
                dependencies: r.dependencies.map((d) => (d === target.urn ? urn : d)),
            }));
        };
        const resourceCases: [ResourceCheck, string, string, (p: AnyProps) => void, RegExp][] = [
            [rdsInstanceHardened, TYPES.rdsInstance, "platform-db", (p) => (p.storageEncrypted = false), /storageEncrypted/],
            [jobsBounded, TYPES.job, "rrr/install", (p) => delete p.spec.backoffLimit, /backoffLimit/],
            [
                podSecurityRestricted,
                TYPES.deployment,
                "release-blue-deployment",
                (p) => (p.spec.template.spec.hostNetwork = true),
                /hostNetwork/,
            ],
            [
                imagesByDigest,
                TYPES.job,
                "rrr/verify",
                (p) => (p.spec.template.spec.containers[0].image = "wordpress:latest"),
                /not pinned by digest/,
            ],
        ];
        for (const [check, type, name, edit, pattern] of resourceCases) {
            it(`${check.name} reports a broken ${type} whatever its name`, () => {
                const bad = edited(runs.stg.get(type, name), edit);
                expectReported(check.check(bad.type, bad.inputs, { ...bad, name: "renamed" }), pattern);
            });
        }

        it("s3-bucket-hardened joins a bucket's settings by dependency, whatever they are named", () => {
            let stack = asStack(runs.stg.resources).filter((r) => r.type !== TYPES.bucketVersioning);
            for (const [from, to] of [
                ["platform-files", "media"],
                ["platform-files-public-access", "a"],
                ["platform-files-policy", "b"],
            ])
                stack = renamed(stack, from, to);
            expect(s3BucketHardened.check(stack, DEFAULT_STACK_OPTIONS)).to.deep.equal([
                "media: versioning must be Enabled (BucketVersioning), so a deleted or overwritten file can be recovered",
            ]);
        });

        it("rds-require-secure-transport joins the instance's parameter group by dependency, whatever it is named", () => {
            const stack = renamed(
                stackWith(asStack(runs.prod.resources), "platform-db-params-mysql8-4", (p) => (p.parameters = [])),
                "platform-db-params-mysql8-4",
                "params",
            );
            expectReported(rdsRequireSecureTransport.check(stack, DEFAULT_STACK_OPTIONS), /^params: .*unset, so OFF/);
        });
    });

    describe("the pack, with the site's children renamed", () => {
        it("reports a broken site role policy whatever its Pulumi name", async () => {
            const broken = runs.stg.resources.map((r) =>
                r.type === TYPES.iamRolePolicy && r.name === "rrr/role-policy"
                    ? {
                          ...edited(r, (p) =>
                              editDocument(p, "policy", (doc) => (doc.Statement[0].Resource = "arn:aws:s3:::platform-files-mock/*")),
                          ),
                          name: "rrr/renamed",
                          urn: r.urn.replace(/::rrr\/role-policy$/, "::rrr/renamed"),
                      }
                    : r,
            );
            const lines = (await runPack(broken)).map((r) => r.line);
            expectReported(lines, /^site-role-own-prefix: Allow statement "SiteObjects" reaches objects .* outside sites\/rrr\/\*/);
        });
    });

    describe("secrets", () => {
        const secretCases: [string, string, string][] = [
            [TYPES.secretVersion, "rrr/secret-version", "secretString"],
            [TYPES.k8sSecret, "rrr/k8s-secret", "stringData"],
            [TYPES.mysqlUser, "rrr/db-user", "plaintextPassword"],
            [TYPES.mysqlProvider, "platform-mysql", "password"],
        ];

        for (const [type, name, field] of secretCases) {
            it(`reports ${type} ${field} in plain text (tests, where secrets show)`, () => {
                const resource = runs.stg.get(type, name);
                const plain = { ...resource.raw, [field]: reveal(resource.raw[field]) };
                expectReported(unmarkedSecrets(type, plain, isSecret), new RegExp(`${field} is not a Pulumi secret`));
            });

            it(`reports ${type} without ${field} (the pack, where secrets are unwrapped)`, () => {
                const empty = edited(runs.stg.get(type, name), (p) => (p[field] = ""));
                expectReported(secretsPresent.check(empty.type, empty.inputs, empty), new RegExp(field));
                const missing = edited(runs.stg.get(type, name), (p) => delete p[field]);
                expectReported(secretsPresent.check(missing.type, missing.inputs, missing), new RegExp(field));
            });
        }

        it("accepts a map whose every value is a secret", () => {
            const secret = runs.stg.get(TYPES.k8sSecret, "rrr/k8s-secret");
            const wrapped = secret.raw.stringData;
            const perKey = Object.fromEntries(
                Object.entries(reveal(wrapped) as Record<string, string>).map(([k, v]) => [k, { ...(wrapped as object), value: v }]),
            );
            expect(unmarkedSecrets(TYPES.k8sSecret, { ...secret.raw, stringData: perKey }, isSecret)).to.deep.equal([]);
            perKey.WORDPRESS_DB_HOST = reveal(perKey.WORDPRESS_DB_HOST) as never;
            expectReported(
                unmarkedSecrets(TYPES.k8sSecret, { ...secret.raw, stringData: perKey }, isSecret),
                /stringData is not a Pulumi secret/,
            );
        });

        it("finds a random value put in a stack output or a plain input", () => {
            const random = randomValues(runs.stg);
            const password = mockSecretValue("rrr/db-password");
            const salt = random.whole.find((v) => v.length === 512) as string;
            expect(leaks({ ...runs.stg.outputs, debug: { password } }, random)).to.deep.equal(["$.debug.password"]);
            expect(leaks({ ...runs.stg.outputs, salt: salt.slice(64, 128) }, random)).to.deep.equal(["$.salt"]);
            expect(leaks(redact({ env: [{ value: `pw=${password}` }] }), random)).to.deep.equal(["$.env[0].value"]);
        });
    });

    describe("pod-security-restricted and images-by-digest", () => {
        const workloads: [string, () => Registered][] = [
            ["a Deployment", () => runs.stg.get(TYPES.deployment, "release-blue-deployment")],
            ["a Job", () => runs.stg.get(TYPES.job, "rrr/install")],
        ];
        const pod = (p: AnyProps): AnyProps => p.spec.template.spec;
        const container = (p: AnyProps): AnyProps => pod(p).containers[0];

        const podCases: [string, (p: AnyProps) => void, RegExp][] = [
            [
                "no runAsNonRoot on pod or container",
                (p) => {
                    delete pod(p).securityContext.runAsNonRoot;
                    delete container(p).securityContext.runAsNonRoot;
                },
                /must run as non-root/,
            ],
            ["a container with runAsNonRoot false", (p) => (container(p).securityContext.runAsNonRoot = false), /must run as non-root/],
            ["runAsUser 0 on the pod", (p) => (pod(p).securityContext.runAsUser = 0), /runAsUser must not be 0/],
            ["runAsUser 0 on a container", (p) => (container(p).securityContext.runAsUser = 0), /must not set runAsUser 0/],
            [
                "no allowPrivilegeEscalation",
                (p) => delete container(p).securityContext.allowPrivilegeEscalation,
                /allowPrivilegeEscalation to false/,
            ],
            [
                "allowPrivilegeEscalation true",
                (p) => (container(p).securityContext.allowPrivilegeEscalation = true),
                /allowPrivilegeEscalation to false/,
            ],
            ["capabilities not dropped", (p) => delete container(p).securityContext.capabilities, /must drop ALL capabilities/],
            [
                "an added capability",
                (p) => (container(p).securityContext.capabilities.add = ["SYS_ADMIN"]),
                /must not add capabilities SYS_ADMIN/,
            ],
            [
                "no seccomp profile on pod or container",
                (p) => {
                    delete pod(p).securityContext.seccompProfile;
                    delete container(p).securityContext.seccompProfile;
                },
                /RuntimeDefault seccomp profile/,
            ],
            [
                "an Unconfined container",
                (p) => (container(p).securityContext.seccompProfile = { type: "Unconfined" }),
                /RuntimeDefault seccomp profile/,
            ],
            [
                "an Unconfined pod",
                (p) => (pod(p).securityContext.seccompProfile = { type: "Unconfined" }),
                /the pod's seccompProfile must be RuntimeDefault/,
            ],
            ["a privileged container", (p) => (container(p).securityContext.privileged = true), /must not be privileged/],
            ["hostNetwork", (p) => (pod(p).hostNetwork = true), /hostNetwork must not be true/],
            ["hostPID", (p) => (pod(p).hostPID = true), /hostPID must not be true/],
            ["hostIPC", (p) => (pod(p).hostIPC = true), /hostIPC must not be true/],
            [
                "a hostPath volume",
                (p) => (pod(p).volumes = [...(pod(p).volumes ?? []), { name: "host", hostPath: { path: "/" } }]),
                /volume "host" is of type hostPath/,
            ],
            ["a hostPort", (p) => (container(p).ports = [{ containerPort: 8080, hostPort: 80 }]), /must not use hostPort 80/],
            [
                "an init container without a security context",
                (p) => (pod(p).initContainers = [{ name: "setup", image: container(p).image }]),
                /init container "setup" must set allowPrivilegeEscalation to false/,
            ],
        ];

        const imageCases: [string, (image: string) => string, RegExp][] = [
            ["the latest tag", (image) => `${image.split("@")[0]}:latest`, /is not pinned by digest/],
            ["a version tag", (image) => `${image.split("@")[0]}:6.5`, /is not pinned by digest/],
            ["no tag at all", (image) => image.split("@")[0], /is not pinned by digest/],
            ["a short digest", (image) => image.slice(0, -1), /is not pinned by digest/],
            ["a tag and a digest", (image) => image.replace("@", ":6.5@"), /carries a tag as well as its digest/],
        ];

        for (const [kind, get] of workloads) {
            for (const [what, edit, pattern] of podCases) {
                it(`reports ${kind} with ${what}`, () => {
                    const bad = edited(get(), edit);
                    expectReported(podSecurityRestricted.check(bad.type, bad.inputs, bad), pattern);
                });
            }
            for (const [what, image, pattern] of imageCases) {
                it(`reports ${kind} image with ${what}`, () => {
                    const bad = edited(get(), (p) => (container(p).image = image(container(p).image)));
                    expectReported(imagesByDigest.check(bad.type, bad.inputs, bad), pattern);
                });
            }
        }

        it("accepts a registry with a port in a digest reference", () => {
            const job = edited(
                runs.stg.get(TYPES.job, "rrr/install"),
                (p) => (container(p).image = `registry.local:5000/wp@sha256:${"a".repeat(64)}`),
            );
            expect(imagesByDigest.check(job.type, job.inputs, job)).to.deep.equal([]);
        });
    });

    describe("jobs-bounded", () => {
        const cases: [string, (p: AnyProps) => void, RegExp][] = [
            ["no backoffLimit", (p) => delete p.spec.backoffLimit, /backoffLimit must be set/],
            ["no activeDeadlineSeconds", (p) => delete p.spec.activeDeadlineSeconds, /activeDeadlineSeconds must be set/],
            ["an activeDeadlineSeconds of 0", (p) => (p.spec.activeDeadlineSeconds = 0), /activeDeadlineSeconds must be set/],
        ];
        for (const [what, edit, pattern] of cases) {
            it(`reports a Job with ${what}`, () => {
                const job = edited(runs.prod.get(TYPES.job, "bluelaunch/activate-theme"), edit);
                expectReported(jobsBounded.check(job.type, job.inputs, job), pattern);
            });
        }
    });

    describe("namespace-default-deny", () => {
        const resources = () => asStack(runs.stg.resources);
        const check = (stack: StackResource[]) => namespaceDefaultDeny.check(stack, optionsFor("stg"));

        it("passes both stacks: a default deny, and no egress to the metadata endpoint", () => {
            for (const stack of STACKS)
                expect(namespaceDefaultDeny.check(asStack(runs[stack].resources), optionsFor(stack))).to.deep.equal([]);
        });

        it("reports a namespace without a default deny: the egress that was open to everything", () => {
            const violations = check(resources().filter((r) => r.name !== "network-default-deny"));
            expectReported(violations, /namespace "wp-platform": no NetworkPolicy denies all ingress and egress/);
        });

        it("reports an egress rule that reaches the instance metadata endpoint, or every destination", () => {
            const edited = (fn: (p: AnyProps) => void) => stackWith(resources(), "network-egress-aws", fn);
            expectReported(check(edited((p) => (p.spec.egress[0].to[0].ipBlock.except = []))), /holds the instance metadata endpoint/);
            expectReported(
                check(edited((p) => (p.spec.egress[0].to[0].ipBlock = { cidr: "169.254.169.254/32" }))),
                /holds the instance metadata/,
            );
            expect(check(edited((p) => (p.spec.egress[0].to[0].ipBlock = { cidr: "10.0.0.0/8" })))).to.deep.equal([]);
            expectReported(check(edited((p) => delete p.spec.egress[0].to)), /admits every destination/);
        });
    });

    describe("wordpress-network-policy", () => {
        const resources = () => asStack(runs.stg.resources);
        const options = optionsFor("stg");
        const check = (stack: StackResource[]) => wordpressNetworkPolicy.check(stack, options);
        const edit = (fn: (p: AnyProps) => void) => stackWith(resources(), "services-wordpress-ingress", fn);

        it("reads the ingress controller's namespace from the stack config", () => {
            expect(options.ingressControllerNamespace).to.equal("ingress-nginx");
        });

        it("reports Deployments no NetworkPolicy selects", () => {
            const violations = check(stackWithout(resources(), TYPES.networkPolicy));
            expectReported(violations, /blue-deployment: no NetworkPolicy of its namespace selects its pods/);
            expectReported(violations, /green-deployment: no NetworkPolicy of its namespace selects its pods/);
        });

        it("reports a policy that selects other pods, sits in another namespace, or covers egress only", () => {
            // Without the namespace's default deny (components/network.ts), which selects every pod.
            const alone = (fn: (p: AnyProps) => void) => edit(fn).filter((r) => !r.name.startsWith("network-"));
            expectReported(
                check(alone((p) => (p.spec.podSelector = { matchLabels: { app: "other" } }))),
                /no NetworkPolicy of its namespace selects its pods/,
            );
            expectReported(check(alone((p) => (p.metadata.namespace = "default"))), /no NetworkPolicy of its namespace selects its pods/);
            expectReported(check(alone((p) => (p.spec.policyTypes = ["Egress"]))), /no NetworkPolicy of its namespace selects its pods/);
        });

        it("admits the sites' verify Jobs of the same namespace, and no other pods", () => {
            const verify = { podSelector: { matchLabels: { "wp-platform/job": "verify" } } };
            expect(check(edit((p) => (p.spec.ingress[0].from = [verify])))).to.deep.equal([]);
            for (const peer of [
                { podSelector: { matchLabels: { "wp-platform/job": "install" } } },
                { podSelector: { matchLabels: { "wp-platform/job": "verify", extra: "x" } } },
                { ...verify, namespaceSelector: {} },
            ])
                expectReported(check(edit((p) => (p.spec.ingress[0].from = [peer]))), /only the namespace "ingress-nginx"/);
        });

        it("reports an ingress rule from anywhere", () => {
            expectReported(check(edit((p) => delete p.spec.ingress[0].from)), /admits traffic from anywhere/);
        });

        it("reports an ipBlock, another namespace, and pods of the same namespace", () => {
            expectReported(check(edit((p) => p.spec.ingress[0].from.push({ ipBlock: { cidr: "0.0.0.0/0" } }))), /admits an ipBlock/);
            expectReported(
                check(
                    edit(
                        (p) =>
                            (p.spec.ingress[0].from = [
                                { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "default" } } },
                            ]),
                    ),
                ),
                /only the namespace "ingress-nginx"/,
            );
            expectReported(
                check(edit((p) => (p.spec.ingress[0].from = [{ namespaceSelector: {} }]))),
                /only the namespace "ingress-nginx"/,
            );
            expectReported(check(edit((p) => (p.spec.ingress[0].from = [{ podSelector: {} }]))), /only the namespace "ingress-nginx"/);
        });

        it("reports a second, wider policy that also selects the pods", () => {
            const policy = resources().find((r) => r.type === TYPES.networkPolicy) as StackResource;
            const open = structuredClone(policy.props) as AnyProps;
            open.spec = { podSelector: {}, ingress: [{}] };
            const stack = [...resources(), { ...policy, name: "allow-all", urn: `${policy.urn}-allow-all`, props: open }];
            expectReported(
                check(stack),
                /allow-all \(selects the pods of release-blue-deployment\): ingress rule 0 admits traffic from anywhere/,
            );
        });

        it("accepts a matchExpressions selector pinning the controller's namespace", () => {
            const pinned = edit(
                (p) =>
                    (p.spec.ingress[0].from = [
                        {
                            namespaceSelector: {
                                matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["ingress-nginx"] }],
                            },
                        },
                    ]),
            );
            expect(check(pinned)).to.deep.equal([]);
        });
    });

    describe("the policy pack", () => {
        const folder = path.join(ROOT, "policy");

        it("holds every check once, under a unique name", () => {
            const names = policies.map((p) => p.name);
            expect(names).to.deep.equal([...resourceChecks, ...stackChecks].map((c) => c.name));
            expect(new Set(names).size).to.equal(names.length);
            expect(names).to.not.include("all");
            for (const policy of policies) expect(policy.description).to.not.be.empty;
        });

        it("reports a broken resource through its policies, as the CLI runs them", async () => {
            const broken = runs.stg.resources.map((r) =>
                r.name === "platform-db" && r.type === TYPES.rdsInstance ? edited(r, (p) => (p.storageEncrypted = false)) : r,
            );
            expect(await runPack(broken)).to.deep.equal([{ line: "rds-instance-hardened: storageEncrypted must be true (is false)" }]);
        });

        it("reports a broken stack through its stack policies, with dependencies as the CLI gives them, under the resource", async () => {
            const broken = runs.stg.resources.filter((r) => r.type !== TYPES.bucketVersioning);
            expect(await runPack(broken)).to.deep.equal([
                {
                    line: "s3-bucket-hardened: platform-files: versioning must be Enabled (BucketVersioning), so a deleted or overwritten file can be recovered",
                    urn: runs.stg.get(TYPES.bucket, "platform-files").urn,
                },
            ]);
        });

        it("reads the ingress controller's namespace from policy config, ingress-nginx by default", async () => {
            expect(await runPack(runs.stg.resources, {})).to.deep.equal([]);
            const reported = await runPack(runs.stg.resources, { ingressControllerNamespace: "traefik" });
            expect(reported).to.not.be.empty;
            for (const { line, urn } of reported) {
                expect(line).to.match(/^wordpress-network-policy: services-wordpress-ingress .*only the namespace "traefik"/);
                expect(urn).to.equal(runs.stg.get(TYPES.networkPolicy, "services-wordpress-ingress").urn);
            }
        });

        it("is a folder the CLI runs: PulumiPolicy.yaml for nodejs, a versioned package.json whose main exists", () => {
            const project = parse(fs.readFileSync(path.join(folder, "PulumiPolicy.yaml"), "utf8")) as { runtime: string };
            expect(project.runtime).to.equal("nodejs");
            // PolicyPack reads the version from the package.json of the folder it runs in, and throws without one.
            const pkg = JSON.parse(fs.readFileSync(path.join(folder, "package.json"), "utf8")) as {
                version?: string;
                main?: string;
                dependencies?: object;
            };
            expect(pkg.version).to.match(/^\d+\.\d+\.\d+/);
            expect(fs.existsSync(path.join(folder, pkg.main ?? "index.js"))).to.equal(true);
            // No dependencies of its own: a second @pulumi/pulumi in policy/node_modules is not wanted.
            expect(pkg.dependencies ?? {}).to.deep.equal({});
            const entry = fs.readFileSync(path.join(folder, "index.ts"), "utf8");
            expect(entry).to.match(/new PolicyPack\("wp-platform",/);
            expect(entry).to.match(/enforcementLevel: "mandatory"/);
        });
    });
});
