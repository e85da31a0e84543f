// The stack's object cache (components/platform.ts, createCache; config wp-platform:cache): what the
// program registers for it, what it exports, what its config refuses, and what leaves it alone.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CACHE_PORT, cacheParameterGroupFamily, cacheReplicationGroupId } from "../components/platform";
import { REPLICATION_GROUP, SECRET_FIELDS, elasticacheHardened } from "../policy/policies";
import { ConfigError, parseConfig } from "../src/config";
import { readStackConfig } from "../src/stack-file";
import { mockSecretValue } from "../tools/mocks";
import { diffRuns, names } from "./support/diff";
import { type ProgramRun, ROOT, configFor, isSecret, redact, runFailingProgram, runProgram, siteFile } from "./support/program";

const SUBNETS = "aws:elasticache/subnetGroup:SubnetGroup";
const PARAMS = "aws:elasticache/parameterGroup:ParameterGroup";
const SG = "aws:ec2/securityGroup:SecurityGroup";
const TOKEN = "random:index/randomPassword:RandomPassword";
/** Every resource of the cache, by type and name. */
const CACHE_RESOURCES = [
    `${SG}::platform-cache-sg`,
    `${PARAMS}::platform-cache-params-valkey9`,
    `${REPLICATION_GROUP}::platform-cache`,
    `${SUBNETS}::platform-cache-subnets`,
    `${TOKEN}::platform-cache-auth-token`,
].sort();
const isCache = (urn: string) => /::platform-cache(-|$)/.test(urn);
const token = mockSecretValue("platform-cache-auth-token");
const cacheOf = (run: ProgramRun) => run.resources.filter((r) => isCache(r.urn));

describe("the object cache", () => {
    let stg: ProgramRun;
    let prod: ProgramRun;
    before(async () => {
        stg = await runProgram({ stack: "stg" });
        prod = await runProgram({ stack: "prod" });
    });

    it("is one Valkey replication group per stack: TLS required, encrypted at rest, AUTH token a Pulumi secret", () => {
        for (const [run, stack] of [
            [stg, "stg"],
            [prod, "prod"],
        ] as const) {
            expect(names(cacheOf(run).map((r) => r.urn))).to.deep.equal(CACHE_RESOURCES);
            const group = run.get(REPLICATION_GROUP, "platform-cache");
            expect(group.inputs).to.include({
                replicationGroupId: `wp-platform-${stack}`,
                engine: "valkey",
                engineVersion: "9.0",
                port: CACHE_PORT,
                transitEncryptionEnabled: true,
                transitEncryptionMode: "required",
                atRestEncryptionEnabled: true,
                authTokenUpdateStrategy: "ROTATE",
                autoMinorVersionUpgrade: true,
                applyImmediately: true,
                snapshotRetentionLimit: 0,
            });
            expect(group.inputs).not.to.have.property("finalSnapshotIdentifier");
            expect(group.inputs.tags).to.deep.equal({ "wp-platform:stack": stack });
            expect(group.inputs.authToken).to.equal(token);
            expect(isSecret(group.raw.authToken)).to.equal(true);
            // ElastiCache's AUTH rules: 16-128 characters; letters and digits need no escaping anywhere.
            expect(run.get(TOKEN, "platform-cache-auth-token").inputs).to.include({ length: 64, special: false });
        }
    });

    it("fails over to a replica in another zone only when it has one: none in stg, one in prod", () => {
        expect(stg.get(REPLICATION_GROUP, "platform-cache").inputs).to.include({
            nodeType: "cache.t4g.small",
            numCacheClusters: 1,
            automaticFailoverEnabled: false,
            multiAzEnabled: false,
        });
        expect(prod.get(REPLICATION_GROUP, "platform-cache").inputs).to.include({
            nodeType: "cache.m7g.large",
            numCacheClusters: 2,
            automaticFailoverEnabled: true,
            multiAzEnabled: true,
        });
    });

    it("admits exactly the cluster nodes' security group on 6379, and nothing else", () => {
        for (const [run, stack] of [
            [stg, "stg"],
            [prod, "prod"],
        ] as const) {
            const network = JSON.parse(configFor(stack)["wp-platform:network"]);
            const sg = run.get(SG, "platform-cache-sg");
            expect(sg.inputs.vpcId).to.equal(network.vpcId);
            expect(sg.inputs.ingress).to.deep.equal([
                {
                    description: "Valkey from the cluster nodes",
                    protocol: "tcp",
                    fromPort: 6379,
                    toPort: 6379,
                    securityGroups: [network.nodeSecurityGroupId],
                },
            ]);
            // No egress rule: the provider revokes a new group's default allow-all (docs/engine.md).
            expect(sg.inputs).not.to.have.property("egress");
            const group = run.get(REPLICATION_GROUP, "platform-cache");
            expect(group.inputs.securityGroupIds).to.deep.equal(["platform-cache-sg-id"]);
            expect(group.dependencies).to.include(sg.urn);
        }
    });

    it("lives in the stack's private subnets (network.subnetIds)", () => {
        for (const [run, stack] of [
            [stg, "stg"],
            [prod, "prod"],
        ] as const) {
            const subnets = run.get(SUBNETS, "platform-cache-subnets").inputs;
            expect(subnets.subnetIds).to.deep.equal(JSON.parse(configFor(stack)["wp-platform:network"]).subnetIds);
            expect(subnets.name).to.equal(`wp-platform-${stack}-cache`);
            expect(run.get(REPLICATION_GROUP, "platform-cache").inputs.subnetGroupName).to.equal(`wp-platform-${stack}-cache`);
        }
    });

    it("evicts any least recently used key when full, by a parameter group named by its family", () => {
        const params = stg.get(PARAMS, "platform-cache-params-valkey9").inputs;
        expect(params).to.include({ family: "valkey9", name: "wp-platform-stg-valkey9" });
        expect(params.parameters).to.deep.equal([{ name: "maxmemory-policy", value: "allkeys-lru" }]);
        expect(stg.get(REPLICATION_GROUP, "platform-cache").inputs.parameterGroupName).to.equal("wp-platform-stg-valkey9");
        expect(["7.2", "8.2", "9.0", "9.1"].map(cacheParameterGroupFamily)).to.deep.equal(["valkey7", "valkey8", "valkey9", "valkey9"]);
    });

    it("protects and retains none of it, in prod either: a cache holds nothing the databases cannot rebuild", () => {
        for (const r of [...cacheOf(stg), ...cacheOf(prod)]) {
            expect(r.protect, r.urn).to.equal(false);
            expect(r.retainOnDelete ?? false, r.urn).to.equal(false);
        }
    });

    it("never holds the token in plain text in any input or output", () => {
        for (const run of [stg, prod]) {
            for (const r of run.resources) expect(JSON.stringify(redact(r.raw)), r.urn).not.to.include(token);
            expect(JSON.stringify(redact(run.rawOutputs))).not.to.include(token);
            expect(JSON.stringify(run.outputs)).not.to.include(token);
        }
    });

    it("exports the primary endpoint as cacheEndpoint, which is not a secret", () => {
        const address = stg.get(REPLICATION_GROUP, "platform-cache");
        expect(stg.outputs.cacheEndpoint).to.match(/^master\.wp-platform-stg\.[a-z0-9-]+\.euw1\.cache\.amazonaws\.com$/);
        expect(address.inputs.replicationGroupId).to.equal("wp-platform-stg");
        expect(isSecret(stg.rawOutputs.cacheEndpoint)).to.equal(false);
        expect(JSON.stringify(stg.outputs)).not.to.include(token);
    });

    it("is in every site's settings, the pods' and the Jobs', with a key prefix of the site's own, the token secret", () => {
        const secrets = stg.ofType("kubernetes:core/v1:Secret");
        for (const site of ["rrr", "harbor-cafe"]) {
            const key = `${site}.json`;
            const jobs = secrets.find((r) => r.name === `${site}/k8s-secret`)!;
            const serving = secrets.find((r) => r.name.startsWith("site-index-settings-") && key in r.inputs.stringData)!;
            for (const secret of [jobs, serving]) {
                const settings = JSON.parse(secret.inputs.stringData[key]);
                expect(settings).to.include({
                    WP_REDIS_HOST: stg.outputs.cacheEndpoint,
                    WP_REDIS_PORT: String(CACHE_PORT),
                    WP_REDIS_PASSWORD: token,
                    WP_REDIS_PREFIX: `${site}:`,
                });
                expect(JSON.stringify(redact(secret.raw)), secret.urn).not.to.include(token);
            }
        }
    });

    it("registers none of its resources, and exports no endpoint, when cache.enabled is false", async () => {
        const run = await runProgram({ config: { cache: { enabled: false } } });
        expect(cacheOf(run).map((r) => r.urn)).to.deep.equal([]);
        expect(run.resources.filter((r) => r.type.startsWith("aws:elasticache/"))).to.deep.equal([]);
        expect(run.outputs).not.to.have.property("cacheEndpoint");
        // The sites' settings name no cache: the image then runs WordPress's own per-request cache.
        for (const secret of run.ofType("kubernetes:core/v1:Secret"))
            for (const value of Object.values(secret.inputs.stringData ?? {})) expect(String(value)).not.to.include("WP_REDIS_");
        // The rest of the platform is there as ever.
        expect(run.get("aws:rds/instance:Instance", "platform-db").inputs.identifier).to.equal("wp-platform-stg");
    });

    it("fills in its defaults when the stack file leaves the key out", async () => {
        const run = await runProgram({ config: { cache: undefined } });
        expect(run.get(REPLICATION_GROUP, "platform-cache").inputs).to.include({
            nodeType: "cache.t4g.small",
            engineVersion: "9.0",
            numCacheClusters: 2,
            automaticFailoverEnabled: true,
        });
    });

    it("refuses a bad cache config before registering anything, naming the key", async () => {
        const { error, resources } = await runFailingProgram({ config: { cache: { nodeType: "t4g.small", replicas: 6 } } });
        expect(error.message).to.include(
            'wp-platform:cache.nodeType: an ElastiCache node type such as "cache.t4g.small" (got "t4g.small")',
        );
        expect(error.message).to.include("wp-platform:cache.replicas: at most 5");
        expect(resources).to.deep.equal([]);
    });

    it("refuses a stack name that cannot make a replication group id", () => {
        expect(cacheReplicationGroupId("stg")).to.equal("wp-platform-stg");
        expect(cacheReplicationGroupId("a".repeat(28))).to.have.length(40);
        for (const stack of ["a".repeat(29), "Prod", "prod-", "-prod", "my_stack", "eu.prod"]) {
            expect(() => cacheReplicationGroupId(stack), stack).to.throw(/cannot name its object cache/);
        }
    });

    describe("changes", () => {
        it("adding a site changes no cache resource", async () => {
            const before = await runProgram({ sites: { "alpha.yaml": siteFile("alpha") } });
            const after = await runProgram({ sites: { "alpha.yaml": siteFile("alpha"), "beta.yaml": siteFile("beta") } });
            const diff = diffRuns(before, after);
            expect(diff.added.length).to.be.greaterThan(0);
            expect([...diff.added, ...diff.removed, ...diff.changed].filter(isCache)).to.deep.equal([]);
            expect(names(cacheOf(after).map((r) => r.urn))).to.deep.equal(CACHE_RESOURCES);
        });

        it("adding a replica updates the group in place, and nothing else", async () => {
            const before = await runProgram({ config: { cache: { replicas: 0 } } });
            const after = await runProgram({ config: { cache: { replicas: 2 } } });
            const diff = diffRuns(before, after);
            expect(diff.added).to.deep.equal([]);
            expect(diff.removed).to.deep.equal([]);
            expect(names(diff.changed)).to.deep.equal([`${REPLICATION_GROUP}::platform-cache`]);
            expect(after.get(REPLICATION_GROUP, "platform-cache").inputs).to.include({ numCacheClusters: 3, multiAzEnabled: true });
        });

        it("moving to a new major version brings a parameter group of its family, and drops the old one", async () => {
            const before = await runProgram({ config: { cache: { engineVersion: "8.2" } } });
            const after = await runProgram({ config: { cache: { engineVersion: "9.0" } } });
            const diff = diffRuns(before, after);
            expect(names(diff.added)).to.deep.equal([`${PARAMS}::platform-cache-params-valkey9`]);
            expect(names(diff.removed)).to.deep.equal([`${PARAMS}::platform-cache-params-valkey8`]);
            expect(names(diff.changed)).to.deep.equal([`${REPLICATION_GROUP}::platform-cache`]);
            const group = after.get(REPLICATION_GROUP, "platform-cache");
            expect(group.dependencies).to.include(after.get(PARAMS, "platform-cache-params-valkey9").urn);
        });
    });

    describe("policy", () => {
        it("passes every registered replication group, and reports each guarded property broken", () => {
            for (const run of [stg, prod]) {
                const group = run.get(REPLICATION_GROUP, "platform-cache");
                expect(elasticacheHardened.check(group.type, group.inputs, { name: group.name })).to.deep.equal([]);
                const broken = (edit: Record<string, unknown>) => elasticacheHardened.check(group.type, { ...group.inputs, ...edit });
                expect(broken({ transitEncryptionEnabled: false })).to.have.length(1);
                expect(broken({ transitEncryptionMode: "preferred" })).to.have.length(1);
                expect(broken({ atRestEncryptionEnabled: undefined })).to.have.length(1);
                expect(broken({ authToken: undefined })).to.have.length(1);
                expect(broken({ authToken: undefined, userGroupIds: ["wp-users"] })).to.deep.equal([]);
            }
        });

        it("names the AUTH token as the group's secret field", () => {
            expect(SECRET_FIELDS[REPLICATION_GROUP].fields).to.deep.equal(["authToken"]);
            for (const field of SECRET_FIELDS[REPLICATION_GROUP].fields) {
                expect(isSecret(stg.get(REPLICATION_GROUP, "platform-cache").raw[field])).to.equal(true);
            }
        });
    });
});

describe("cache config errors", () => {
    let root: string;
    /** A project folder whose Pulumi.stg.yaml is the committed one with `edit` applied to its text. */
    function problemsOf(edit: (text: string) => string): { problems: string[]; text: string } {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "wp-cache-config-"));
        const text = edit(fs.readFileSync(path.join(ROOT, "Pulumi.stg.yaml"), "utf8"));
        fs.writeFileSync(path.join(root, "Pulumi.stg.yaml"), text);
        try {
            parseConfig(readStackConfig(path.join(root, "Pulumi.stg.yaml")), "stg", root);
        } catch (e) {
            expect(e).to.be.instanceOf(ConfigError);
            return { problems: [...(e as ConfigError).problems], text };
        }
        throw new Error("the config was expected to be refused");
    }
    /** `line:column` of the first `needle` after `after` in `text`. */
    function at(text: string, needle: string, after: string): string {
        const offset = text.indexOf(needle, text.indexOf(after));
        const before = text.slice(0, offset).split("\n");
        return `${before.length}:${before[before.length - 1].length + 1}`;
    }
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("name the stack file, line and column, and wp-platform:cache.nodeType", () => {
        const { problems, text } = problemsOf((t) => t.replace("nodeType: cache.t4g.small", "nodeType: t4g.small"));
        expect(problems).to.deep.equal([
            `Pulumi.stg.yaml:${at(text, "t4g.small", "nodeType: t4g")}: wp-platform:cache.nodeType: ` +
                'an ElastiCache node type such as "cache.t4g.small" (got "t4g.small")',
        ]);
    });

    it("refuse more than 5 replicas, an unknown key and a version with a patch number, all at once", () => {
        const { problems, text } = problemsOf((t) =>
            t.replace("replicas: 0", "replicas: 6").replace('engineVersion: "9.0"\n', 'engineVersion: "9.0.1"\n    enable: true\n'),
        );
        expect(problems).to.have.length(3);
        expect(problems).to.include(
            `Pulumi.stg.yaml:${at(text, "6", "replicas: 6")}: wp-platform:cache.replicas: at most 5: ElastiCache's limit of replicas per shard (got 6)`,
        );
        expect(problems).to.include(
            `Pulumi.stg.yaml:${at(text, '"9.0.1"', "wp-platform:cache:")}: wp-platform:cache.engineVersion: ` +
                'a Valkey version as <major>.<minor>, such as "9.0" (got "9.0.1")',
        );
        expect(problems.filter((p) => p.includes("wp-platform:cache.enable: unknown key (did you mean enabled?)"))).to.have.length(1);
    });
});
