// Names that cannot collide, for any set of valid site ids: the real engine refuses two resources
// with one URN, Kubernetes refuses two objects of one kind and name in a namespace, AWS two roles
// or secrets of one name; the mocks refuse none of these, so this test does.
import { expect } from "chai";
import { COLORS } from "../src/config";
import { dedicatedServiceName, deploymentName, serviceName, siteObjectName } from "../src/naming";
import { RESERVED_SITE_IDS, SITE_ID_PATTERN } from "../src/sites";
import { type ProgramRun, runProgram, siteFile } from "./support/program";
import { stackProblems } from "./support/stack-invariants";

/** Ids chosen to meet: shared prefixes, the suffixes of the program's own names, 1 and 24 characters. */
const CRAFTED = [
    "a",
    "z",
    "shop",
    "shop-1",
    "shopx1",
    "shop-preview",
    "shop-tls",
    "shop-preview-tls",
    "shop-site",
    "shop-settings",
    "shop-install",
    "shop-db",
    "shop-db-user",
    "shop-role",
    "shop-k8s-secret",
    "site-index",
    "site-settings-0",
    "blue-deployment",
    "canary-env",
    "wordpress",
    "a".repeat(24),
    `${"a".repeat(23)}b`,
    `${"a".repeat(22)}-b`,
];

/** More ids from a seeded generator: same ids every run. */
function generatedIds(count: number, seed: number): string[] {
    let state = seed;
    const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = (chars: string) => chars[Math.floor(next() * chars.length)];
    const ids = new Set<string>();
    while (ids.size < count) {
        const length = 1 + Math.floor(next() * 24);
        let id = pick("abcs");
        while (id.length < length) id += pick(id.endsWith("-") || id.length === length - 1 ? "ab1s" : "ab1s-");
        if (SITE_ID_PATTERN.test(id) && !RESERVED_SITE_IDS.includes(id)) ids.add(id);
    }
    return [...ids];
}

const IDS = [...new Set([...CRAFTED, ...generatedIds(40, 7)])];

describe("names of any set of valid site ids", () => {
    let run: ProgramRun;
    before(async function () {
        this.timeout(60000);
        expect(
            IDS.every((id) => SITE_ID_PATTERN.test(id)),
            "every id is valid",
        ).to.equal(true);
        run = await runProgram({
            sites: Object.fromEntries(IDS.map((id) => [`${id}.yaml`, siteFile(id, { hostnames: [`${id}.cloud2-stg.example.com`] })])),
        });
    });

    it("registers every URN, Kubernetes object (certificate Secrets included) and physical name once, within the limits", () => {
        expect(run.resources.length).to.be.greaterThan(IDS.length * 17);
        // Each site's certificate Secret (cert-manager) is among the objects checked.
        expect(run.ofType("kubernetes:networking.k8s.io/v1:Ingress").filter((r) => r.inputs.spec.tls)).to.have.length(IDS.length * 2);
        expect(stackProblems(run, IDS)).to.deep.equal([]);
    });

    it("names one IAM role, secret, database and user per site", () => {
        for (const [type, input] of [
            ["aws:iam/role:Role", "name"],
            ["aws:secretsmanager/secret:Secret", "name"],
            ["mysql:index/database:Database", "name"],
            ["mysql:index/user:User", "user"],
        ]) {
            expect(
                run.ofType(type).filter((r) => typeof r.inputs[input] === "string"),
                type,
            ).to.have.length(IDS.length);
        }
    });

    it("grants each user a database pattern that matches its own database and no other", () => {
        const databases = run.ofType("mysql:index/database:Database").map((r) => r.inputs.name as string);
        for (const grant of run.ofType("mysql:index/grant:Grant")) {
            const matching = databases.filter((db) => grantPatternMatches(grant.inputs.database, db));
            expect(matching, grant.name).to.have.length(1);
        }
    });
});

describe("names of dedicated sites (isolation: dedicated), for the same ids", () => {
    let run: ProgramRun;
    before(async function () {
        this.timeout(60000);
        run = await runProgram({
            sites: Object.fromEntries(
                IDS.map((id) => [`${id}.yaml`, siteFile(id, { hostnames: [`${id}.cloud2-stg.example.com`], isolation: "dedicated" })]),
            ),
        });
    });

    it("gives no two (id, color) pairs, and no shared object, one Service name, and every name is a DNS-1035 label", () => {
        const shared = COLORS.map((color) => serviceName(color));
        const names = IDS.flatMap((id) => COLORS.map((color) => dedicatedServiceName(id, color)));
        expect(new Set([...names, ...shared]).size).to.equal(names.length + shared.length);
        for (const name of names) expect(name).to.match(/^(?=.{1,63}$)[a-z]([-a-z0-9]*[a-z0-9])?$/);
        const registered = run.ofType("kubernetes:core/v1:Service").map((r) => r.inputs.metadata.name as string);
        expect([...registered].sort()).to.deep.equal([...names, ...shared].sort());
    });

    it("gives no two (id, color) pairs, and no shared Deployment, one Deployment, HPA or PDB name", () => {
        const own = IDS.flatMap((id) => COLORS.flatMap((color) => [siteObjectName(id, color), siteObjectName(id, `cron-${color}`)]));
        const shared = COLORS.flatMap((color) => [deploymentName(color), `cron-${color}`]);
        expect(new Set([...own, ...shared]).size).to.equal(own.length + shared.length);
        expect(run.ofType("kubernetes:apps/v1:Deployment")).to.have.length(own.length + shared.length);
    });

    it("registers every URN, Kubernetes object and physical name once, within the limits", () => {
        expect(stackProblems(run, IDS)).to.deep.equal([]);
        // Two roles per site: its Jobs' and its pods'.
        expect(run.ofType("aws:iam/role:Role").filter((r) => typeof r.inputs.name === "string")).to.have.length(IDS.length * 2);
    });
});

/** MySQL's reading of a database name in a GRANT: `_` and `%` wildcards unless escaped with `\`. */
function grantPatternMatches(pattern: string, database: string): boolean {
    let regex = "";
    for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i];
        if (c === "\\" && i + 1 < pattern.length) regex += escapeRegExp(pattern[++i]);
        else if (c === "_") regex += ".";
        else if (c === "%") regex += ".*";
        else regex += escapeRegExp(c);
    }
    return new RegExp(`^${regex}$`).test(database);
}

function escapeRegExp(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
