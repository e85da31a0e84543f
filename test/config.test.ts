import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError, parseConfig } from "../src/config";
import { readStackConfig } from "../src/stack-file";
import { ROOT, configFor } from "./support/program";

const GREEN = `sha256:${"b".repeat(64)}`;

function problemsOf(raw: Record<string, string>, root: string = ROOT): string[] {
    try {
        parseConfig(raw, "stg", root);
    } catch (e) {
        expect(e).to.be.instanceOf(ConfigError);
        return [...(e as ConfigError).problems];
    }
    throw new Error("the config was expected to be refused");
}

describe("parseConfig", () => {
    it("reads both committed stack files", () => {
        const stg = parseConfig(readStackConfig(path.join(ROOT, "Pulumi.stg.yaml")), "stg", ROOT);
        const prod = parseConfig(readStackConfig(path.join(ROOT, "Pulumi.prod.yaml")), "prod", ROOT);
        expect(stg.sitesDir).to.equal(path.join(ROOT, "sites", "stg"));
        expect(stg.retainDataOnDelete).to.equal(false);
        expect(prod.retainDataOnDelete).to.equal(true);
        expect(prod.deletionProtection).to.equal(true);
        expect(prod.release.blue).to.match(/^sha256:[0-9a-f]{64}$/);
        expect(prod.release.green).to.match(/^sha256:[0-9a-f]{64}$/);
    });

    it("fills in defaults and resolves sitesDir to sites/<stack>", () => {
        const raw = configFor("stg", {
            sitesDir: undefined,
            namespace: undefined,
            database: undefined,
            wordpress: undefined,
            deletionProtection: undefined,
        });
        const config = parseConfig(raw, "stg", ROOT);
        expect(config.sitesDir).to.equal(path.join(ROOT, "sites", "stg"));
        expect(config.namespace).to.equal("wp-platform");
        expect(config.database.backupRetentionDays).to.equal(7);
        expect(config.wordpress.port).to.equal(8080);
        expect(config.wordpress.requests).to.deep.equal({ cpu: "250m", memory: "256Mi" });
        expect(config.release.idleReplicas).to.equal(1);
        expect(config.deletionProtection).to.equal(config.retainDataOnDelete);
    });

    it("refuses a tag, and `latest` above all, where a digest belongs", () => {
        const problems = problemsOf(configFor("stg", { release: { active: "blue", blue: "latest", green: "6.8.3" } }));
        expect(problems).to.have.length(2);
        expect(problems[0]).to.contain("wp-platform:release.blue").and.contain('"latest" is not a digest');
        expect(problems[1]).to.contain("wp-platform:release.green").and.contain("sha256:<64 hex>");
    });

    it("refuses an image repository that carries a tag or digest", () => {
        const [problem] = problemsOf(configFor("stg", { image: "registry.example.com/wordpress:6.8" }));
        expect(problem).to.contain("wp-platform:image").and.contain("tag or digest");
    });

    it("refuses an unknown color", () => {
        const [problem] = problemsOf(configFor("stg", { release: { active: "purple", blue: GREEN, green: GREEN } }));
        expect(problem).to.contain("wp-platform:release.active").and.contain("blue or green");
    });

    it("names a missing key and what it is", () => {
        const [problem] = problemsOf(configFor("stg", { image: undefined }));
        expect(problem).to.equal("wp-platform:image: required; the WordPress image repository, without tag or digest");
    });

    it("refuses an unknown key and suggests the one meant", () => {
        const raw = { ...configFor("stg"), "wp-platform:relase": "{}" };
        const [problem] = problemsOf(raw);
        expect(problem).to.contain("wp-platform:relase: unknown key (did you mean wp-platform:release?)");
    });

    it("reports every problem at once", () => {
        const problems = problemsOf(configFor("stg", { image: undefined, adminEmail: "nobody", retainDataOnDelete: "yes" }));
        expect(problems).to.have.length(3);
        expect(problems.join("\n"))
            .to.contain("wp-platform:image")
            .and.contain("wp-platform:adminEmail")
            .and.contain("wp-platform:retainDataOnDelete");
    });

    it("defaults the database to MySQL 8.4, with no runner access", () => {
        const config = parseConfig(configFor("stg", { database: undefined }), "stg", ROOT);
        expect(config.database).to.include({ engineVersion: "8.4" });
        expect(config.database.adminCidrs).to.deep.equal([]);
        expect(config.database.adminSecurityGroupIds).to.deep.equal([]);
    });

    it("refuses an engine version with no RDS MySQL parameter group family here", () => {
        for (const engineVersion of ["8.1", "9.0", "8", "5.7", "8.4.x"]) {
            const [problem] = problemsOf(configFor("stg", { database: { engineVersion } }));
            expect(problem, engineVersion).to.contain("engineVersion").and.contain("8.4 or 8.0 line");
        }
    });

    it("takes the deploy runner's security groups and IPv4 networks", () => {
        const database = { adminSecurityGroupIds: ["sg-0123abcd"], adminCidrs: ["10.20.0.0/16", "203.0.113.7/32"] };
        const config = parseConfig(configFor("stg", { database }), "stg", ROOT);
        expect(config.database).to.deep.include(database);
    });

    it("refuses a runner network that is not a CIDR, is wider than a /8, or has host bits set", () => {
        const cases: [string, string][] = [
            ["10.20.0.0", "is not an IPv4 CIDR"],
            ["10.20.0.0/33", "prefix 0-32"],
            ["300.1.1.1/32", "octets 0-255"],
            ["0.0.0.0/0", "wider than a /8"],
            ["10.20.1.0/16", "host bits set: the network is 10.20.0.0/16"],
            ["fd00::/64", "is not an IPv4 CIDR"],
        ];
        const problems = problemsOf(configFor("stg", { database: { adminCidrs: cases.map(([cidr]) => cidr) } }));
        expect(problems).to.have.length(cases.length);
        cases.forEach(([cidr, message], i) => {
            expect(problems[i]).to.contain("adminCidrs").and.contain(JSON.stringify(cidr)).and.contain(message);
        });
        const [sg] = problemsOf(configFor("stg", { database: { adminSecurityGroupIds: ["my-runner"] } }));
        expect(sg).to.contain("adminSecurityGroupIds").and.contain('"sg-..."');
    });

    it("defaults the cron runners to 4 sites at once, 120 s a site, every 60 s, and bounds each", () => {
        const config = parseConfig(configFor("stg", { cron: undefined }), "stg", ROOT);
        expect(config.cron).to.deep.include({ concurrency: 4, siteTimeoutSeconds: 120, intervalSeconds: 60 });
        const problems = problemsOf(configFor("stg", { cron: { concurrency: 0, siteTimeoutSeconds: 5, intervalSecond: 60 } }));
        expect(problems.join("\n")).to.contain("wp-platform:cron.concurrency").and.contain("wp-platform:cron.siteTimeoutSeconds");
        expect(problems.join("\n")).to.match(/wp-platform:cron.intervalSecond.*intervalSeconds/);
    });

    it("leaves other namespaces (aws:region) alone", () => {
        const config = parseConfig({ ...configFor("stg"), "aws:region": "eu-west-1", "kubernetes:context": "x" }, "stg", ROOT);
        expect(config.stack).to.equal("stg");
    });
});

describe("config errors", () => {
    let root: string;
    /** A project folder whose Pulumi.stg.yaml is the committed one with `edit` applied to its text. */
    function project(edit: (text: string) => string): { raw: Record<string, string>; text: string } {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "wp-config-"));
        const text = edit(fs.readFileSync(path.join(ROOT, "Pulumi.stg.yaml"), "utf8"));
        fs.writeFileSync(path.join(root, "Pulumi.stg.yaml"), text);
        return { raw: readStackConfig(path.join(root, "Pulumi.stg.yaml")), text };
    }
    /** `line:column` of the first `needle` after `after` in `text`. */
    function at(text: string, needle: string, after = ""): string {
        const offset = text.indexOf(needle, text.indexOf(after));
        const before = text.slice(0, offset).split("\n");
        return `${before.length}:${before[before.length - 1].length + 1}`;
    }
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("name the stack file, line and column, the key, the problem and the value", () => {
        const { raw, text } = project((t) => t.replace("active: blue", "active: bleu"));
        expect(problemsOf(raw, root)).to.deep.equal([
            `Pulumi.stg.yaml:${at(text, "bleu")}: wp-platform:release.active: blue or green (got "bleu")`,
        ]);
    });

    it("come all at once, each at its place", () => {
        const { raw, text } = project((t) =>
            t
                .replace("active: blue", "active: bleu")
                .replace("adminEmail: platform-team@example.com", "adminEmail: nobody")
                .replace("minReplicas: 2", "minReplicas: 0")
                .replace("  wp-platform:namespace:", "  wp-platform:namespaec: x\n  wp-platform:namespace:"),
        );
        const problems = problemsOf(raw, root);
        expect(problems).to.have.length(4);
        const matching = (pattern: string) => problems.filter((p) => new RegExp(pattern).test(p));
        expect(problems).to.include(`Pulumi.stg.yaml:${at(text, "bleu")}: wp-platform:release.active: blue or green (got "bleu")`);
        expect(
            matching(`^Pulumi\\.stg\\.yaml:${at(text, "nobody")}: wp-platform:adminEmail: an e-mail address \\(got "nobody"\\)$`),
        ).to.have.length(1);
        expect(
            matching(`^Pulumi\\.stg\\.yaml:${at(text, "0", "minReplicas: 0")}: wp-platform:wordpress\\.minReplicas: .* \\(got 0\\)$`),
        ).to.have.length(1);
        expect(
            matching(
                `^Pulumi\\.stg\\.yaml:${at(text, "wp-platform:namespaec")}: wp-platform:namespaec: unknown key \\(did you mean wp-platform:namespace\\?\\)`,
            ),
        ).to.have.length(1);
    });

    it("name the stack file that lacks a required key", () => {
        const { raw } = project((t) => t.replace(/^  wp-platform:image: .*\n/m, ""));
        expect(problemsOf(raw, root)).to.deep.equal([
            "Pulumi.stg.yaml: wp-platform:image: required; the WordPress image repository, without tag or digest",
        ]);
    });

    it("point at an unknown key inside an object, and suggest the one meant", () => {
        const { raw, text } = project((t) => t.replace("    idleReplicas: 1", "    idleReplicas: 1\n    activ: green"));
        expect(problemsOf(raw, root)).to.deep.equal([
            `Pulumi.stg.yaml:${at(text, "green", "activ:")}: wp-platform:release.activ: unknown key (did you mean active?); ` +
                `known keys of wp-platform:release: active, blue, green, idleReplicas, previewDomain (got "green")`,
        ]);
    });

    it("suggest the key meant at any depth, and list the known keys when none is close", () => {
        const problems = problemsOf(
            configFor("stg", { wordpress: { requests: { cpuu: "1" } }, ingress: { classname: "nginx" }, jobs: { retries: 3 } }),
        );
        expect(problems).to.deep.equal([
            'wp-platform:wordpress.requests.cpuu: unknown key (did you mean cpu?); known keys of wp-platform:wordpress.requests: cpu, memory (got "1")',
            'wp-platform:ingress.classname: unknown key (did you mean className?); known keys of wp-platform:ingress: className, controllerNamespace, clusterIssuer, tlsSecretName (got "nginx")',
            "wp-platform:jobs.retries: unknown key; known keys of wp-platform:jobs: backoffLimit, deadlineSeconds (got 3)",
        ]);
    });

    it("give the key alone for a value the file does not hold (set elsewhere), or without a stack file", () => {
        const { raw } = project((t) => t);
        const overridden = { ...raw, "wp-platform:release": JSON.stringify({ ...JSON.parse(raw["wp-platform:release"]), active: "red" }) };
        expect(problemsOf(overridden, root)).to.deep.equal(['wp-platform:release.active: blue or green (got "red")']);
        fs.rmSync(path.join(root, "Pulumi.stg.yaml"));
        expect(problemsOf(overridden, root)).to.deep.equal(['wp-platform:release.active: blue or green (got "red")']);
    });
});
