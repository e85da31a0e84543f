// The two-run diff (tools/diff.ts): which changes a preview shows as an update in place (`~`) and
// which as a replacement (`+-`), by the force-new fields of each provider's schema.
import { expect } from "chai";
import { REPLACE_RULES, diffRuns, replaceReasons, updatedInPlace } from "../tools/diff";
import type { ProgramRun, Registered } from "../tools/offline";

const PROVIDER_URN = "urn:pulumi:stg::wp-platform::pulumi:providers:kubernetes::k8s";

function resource(type: string, name: string, raw: Record<string, unknown>, more: Partial<Registered> = {}): Registered {
    return {
        urn: `urn:pulumi:stg::wp-platform::${type}::${name}`,
        type,
        name,
        parent: "",
        custom: true,
        inputs: raw,
        raw,
        provider: "",
        protect: false,
        retainOnDelete: false,
        aliases: [],
        deleteBeforeReplace: false,
        ignoreChanges: [],
        dependencies: [],
        afterDeleteHooks: [],
        ...more,
    };
}

/** The fields whose change replaces `type`'s resource, from `raw` to `raw` edited. */
function reasons(type: string, raw: Record<string, unknown>, edit: (copy: any) => void, more: Partial<Registered> = {}): string[] {
    const after = structuredClone(raw);
    edit(after);
    return replaceReasons(resource(type, "r", raw, more), resource(type, "r", after, more));
}

function run(...resources: Registered[]): ProgramRun {
    return { resources } as unknown as ProgramRun;
}

const JOB = "kubernetes:batch/v1:Job";
const job = () => ({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "rrr.verify", namespace: "wp-platform", labels: { app: "x" } },
    spec: {
        backoffLimit: 1,
        activeDeadlineSeconds: 600,
        template: { metadata: { labels: { app: "x" } }, spec: { containers: [{ name: "wp", image: "wp@sha256:1" }] } },
    },
});

describe("diffRuns: update or replace", () => {
    describe("Kubernetes (pulumi-kubernetes provider/pkg/provider/diff.go)", () => {
        it("replaces a Job whose pod template changes, and says so", () => {
            expect(reasons(JOB, job(), (j) => (j.spec.template.spec.containers[0].image = "wp@sha256:2"))).to.deep.equal(["spec.template"]);
        });

        it("replaces a Job whose selector, completions or parallelism change", () => {
            expect(reasons(JOB, job(), (j) => (j.spec.selector = { matchLabels: { a: "b" } }))).to.deep.equal(["spec.selector"]);
            expect(reasons(JOB, job(), (j) => (j.spec.completions = 2))).to.deep.equal(["spec.completions"]);
            expect(reasons(JOB, job(), (j) => (j.spec.parallelism = 2))).to.deep.equal(["spec.parallelism"]);
        });

        it("updates a Job in place for its own labels or its deadline", () => {
            expect(reasons(JOB, job(), (j) => (j.metadata.labels.app = "y"))).to.deep.equal([]);
            expect(reasons(JOB, job(), (j) => (j.spec.activeDeadlineSeconds = 900))).to.deep.equal([]);
        });

        it("does not count a change at a path the resource ignores", () => {
            const ignoring = { ignoreChanges: ["spec.template.spec.containers[0].image"] };
            expect(reasons(JOB, job(), (j) => (j.spec.template.spec.containers[0].image = "wp@sha256:2"), ignoring)).to.deep.equal([]);
        });

        it("replaces any explicitly named object that is renamed or moved", () => {
            const ingress = { metadata: { name: "rrr.site", namespace: "wp-platform" }, spec: { rules: [] } };
            const type = "kubernetes:networking.k8s.io/v1:Ingress";
            expect(reasons(type, ingress, (i) => (i.metadata.name = "rrr.web"))).to.deep.equal(["metadata.name"]);
            expect(reasons(type, ingress, (i) => (i.metadata.namespace = "other"))).to.deep.equal(["metadata.namespace"]);
            expect(reasons(type, ingress, (i) => (i.spec.rules = [{ host: "a.example.com" }]))).to.deep.equal([]);
        });

        it("rolls a Deployment in place for a new image, and replaces it for a new selector", () => {
            const type = "kubernetes:apps/v1:Deployment";
            const deployment = {
                metadata: { name: "blue-deployment" },
                spec: { selector: { matchLabels: { app: "blue" } }, ...job().spec },
            };
            expect(reasons(type, deployment, (d) => (d.spec.template.spec.containers[0].image = "wp@sha256:2"))).to.deep.equal([]);
            expect(reasons(type, deployment, (d) => (d.spec.selector.matchLabels.app = "green"))).to.deep.equal(["spec.selector"]);
        });

        for (const [kind, option] of [
            ["ConfigMap", "enableConfigMapMutable"],
            ["Secret", "enableSecretMutable"],
        ] as const) {
            it(`replaces a ${kind} whose data changes, unless its provider sets ${option}`, () => {
                const type = `kubernetes:core/v1:${kind}`;
                const provider = (on: boolean) => resource("pulumi:providers:kubernetes", "k8s", on ? { [option]: "true" } : {});
                const ref = `${PROVIDER_URN}::k8s-id`;
                const before = resource(type, "index", { metadata: { name: "index" }, data: { a: "1" } }, { provider: ref });
                const after = resource(type, "index", { metadata: { name: "index" }, data: { a: "2" } }, { provider: ref });
                const immutable = diffRuns(run(provider(false), before), run(provider(false), after));
                expect(immutable.changed).to.deep.equal([after.urn]);
                expect(immutable.replaced).to.deep.equal([after.urn]);
                const mutable = diffRuns(run(provider(true), before), run(provider(true), after));
                expect(mutable.replaced).to.deep.equal([]);
                expect(updatedInPlace(mutable)).to.deep.equal([after.urn]);
            });
        }

        it("updates a Service in place, but for its clusterIP", () => {
            const type = "kubernetes:core/v1:Service";
            const service = { metadata: { name: "blue" }, spec: { selector: { app: "blue" }, clusterIP: "10.0.0.1" } };
            expect(reasons(type, service, (s) => (s.spec.selector.app = "green"))).to.deep.equal([]);
            expect(reasons(type, service, (s) => (s.spec.clusterIP = "10.0.0.2"))).to.deep.equal(["spec.clusterIP"]);
        });

        it("updates a policy/v1 PodDisruptionBudget in place", () => {
            const pdb = { metadata: { name: "blue" }, spec: { maxUnavailable: 1 } };
            expect(reasons("kubernetes:policy/v1:PodDisruptionBudget", pdb, (p) => (p.spec.maxUnavailable = 2))).to.deep.equal([]);
        });
    });

    describe("MySQL (terraform-provider-mysql)", () => {
        const grant = { user: "wp_rrr", host: "%", database: "wp\\_rrr", privileges: ["SELECT"] };

        it("replaces a Grant for a change of any field, delete-first or not", () => {
            expect(reasons("mysql:index/grant:Grant", grant, (g) => g.privileges.push("INSERT"))).to.deep.equal(["*"]);
            expect(reasons("mysql:index/grant:Grant", grant, (g) => (g.host = "10.%"), { deleteBeforeReplace: true })).to.deep.equal(["*"]);
        });

        it("replaces a Database for a new name, and updates its collation in place", () => {
            const database = { name: "wp_rrr", defaultCharacterSet: "utf8mb4", defaultCollation: "utf8mb4_unicode_ci" };
            expect(reasons("mysql:index/database:Database", database, (d) => (d.name = "wp_rrr2"))).to.deep.equal(["name"]);
            expect(reasons("mysql:index/database:Database", database, (d) => (d.defaultCollation = "utf8mb4_bin"))).to.deep.equal([]);
        });

        it("replaces a User for a new user or host, and changes its password in place", () => {
            const user = { user: "wp_rrr", host: "%", plaintextPassword: "a" };
            expect(reasons("mysql:index/user:User", user, (u) => (u.user = "wp_x"))).to.deep.equal(["user"]);
            expect(reasons("mysql:index/user:User", user, (u) => (u.host = "10.%"))).to.deep.equal(["host"]);
            expect(reasons("mysql:index/user:User", user, (u) => (u.plaintextPassword = "b"))).to.deep.equal([]);
        });
    });

    describe("AWS (terraform-provider-aws)", () => {
        it("replaces a parameter group for a new family or name, and changes its parameters in place", () => {
            const type = "aws:rds/parameterGroup:ParameterGroup";
            const group = { name: "wp-platform-stg-mysql8-4", family: "mysql8.4", description: "TLS", parameters: [] };
            expect(reasons(type, group, (g) => (g.family = "mysql8.0"))).to.deep.equal(["family"]);
            expect(reasons(type, group, (g) => (g.name = "other"))).to.deep.equal(["name"]);
            expect(reasons(type, group, (g) => g.parameters.push({ name: "max_connections", value: "500" }))).to.deep.equal([]);
        });

        it("replaces an RDS instance for storage encryption or engine, and renames or resizes it in place", () => {
            const type = "aws:rds/instance:Instance";
            const db = {
                identifier: "wp-platform-stg",
                engine: "mysql",
                engineVersion: "8.4",
                storageEncrypted: true,
                instanceClass: "db.t4g.small",
            };
            expect(reasons(type, db, (d) => (d.storageEncrypted = false))).to.deep.equal(["storageEncrypted"]);
            expect(reasons(type, db, (d) => (d.engine = "mariadb"))).to.deep.equal(["engine"]);
            expect(reasons(type, db, (d) => (d.identifier = "wp-platform-stg2"))).to.deep.equal([]);
            expect(reasons(type, db, (d) => (d.engineVersion = "8.4.6"))).to.deep.equal([]);
            expect(reasons(type, db, (d) => (d.instanceClass = "db.t4g.medium"))).to.deep.equal([]);
        });

        it("replaces a Secrets Manager secret for a new name, and a secret version for a new value", () => {
            const secret = { name: "wp-platform/stg/rrr", description: "a", recoveryWindowInDays: 7 };
            expect(reasons("aws:secretsmanager/secret:Secret", secret, (s) => (s.name = "wp-platform/stg/x"))).to.deep.equal(["name"]);
            expect(reasons("aws:secretsmanager/secret:Secret", secret, (s) => (s.description = "b"))).to.deep.equal([]);
            const version = { secretId: "arn", secretString: "{}" };
            const type = "aws:secretsmanager/secretVersion:SecretVersion";
            expect(reasons(type, version, (v) => (v.secretString = '{"a":1}'))).to.deep.equal(["secretString"]);
        });

        it("replaces a role policy moved to another role, and updates its document in place", () => {
            const policy = { role: "wp.stg.rrr", policy: "{}" };
            expect(reasons("aws:iam/rolePolicy:RolePolicy", policy, (p) => (p.role = "wp.stg.x"))).to.deep.equal(["role"]);
            expect(reasons("aws:iam/rolePolicy:RolePolicy", policy, (p) => (p.policy = '{"a":1}'))).to.deep.equal([]);
        });

        it("updates a type it has no rule for in place", () => {
            expect(reasons("aws:ec2/securityGroup:SecurityGroup", { ingress: [] }, (g) => g.ingress.push({ fromPort: 1 }))).to.deep.equal(
                [],
            );
        });
    });

    it("cites a source for every rule", () => {
        for (const [type, rule] of Object.entries(REPLACE_RULES)) {
            expect(rule.paths, type).to.not.be.empty;
            expect(rule.source, type).to.match(/\.go\b/);
        }
    });

    it("lists a replaced resource in changed and in replaced, an updated one in changed only", () => {
        const before = [
            resource(JOB, "rrr/verify", job()),
            resource("mysql:index/user:User", "rrr/db-user", { user: "a", plaintextPassword: "x" }),
        ];
        const after = [
            resource(JOB, "rrr/verify", { ...job(), spec: { ...job().spec, template: {} } }),
            resource("mysql:index/user:User", "rrr/db-user", { user: "a", plaintextPassword: "y" }),
        ];
        const diff = diffRuns(run(...before), run(...after));
        expect(diff.changed).to.deep.equal(after.map((r) => r.urn));
        expect(diff.replaced).to.deep.equal([after[0].urn]);
        expect(updatedInPlace(diff)).to.deep.equal([after[1].urn]);
        expect(diffRuns(run(...before), run(...before))).to.deep.equal({ added: [], removed: [], changed: [], replaced: [] });
    });
});
