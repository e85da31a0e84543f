import { expect } from "chai";
import * as path from "path";
import { ConfigError, parseConfig } from "../src/config";
import { readStackConfig } from "../src/stack-file";
import { ROOT, configFor } from "./support/program";

const GREEN = `sha256:${"b".repeat(64)}`;

function problemsOf(raw: Record<string, string>): string[] {
    try {
        parseConfig(raw, "stg", ROOT);
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

    it("leaves other namespaces (aws:region) alone", () => {
        const config = parseConfig({ ...configFor("stg"), "aws:region": "eu-west-1", "kubernetes:context": "x" }, "stg", ROOT);
        expect(config.stack).to.equal("stg");
    });
});
