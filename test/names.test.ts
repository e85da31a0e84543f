// Names that cannot collide, for any set of valid site ids: the real engine refuses two resources
// with one URN, Kubernetes refuses two objects of one kind and name in a namespace, AWS two roles
// or secrets of one name; the mocks refuse none of these, so this test does.
import { expect } from "chai";
import { RESERVED_SITE_IDS, SITE_ID_PATTERN } from "../src/sites";
import { type ProgramRun, type Registered, runProgram, siteFile } from "./support/program";

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

/** Kubernetes names of a site object: a Job's name is also a label value, at most 63. */
const K8S_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

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

    it("registers every URN once", () => {
        const urns = run.resources.map((r) => r.urn);
        expect(urns.length).to.be.greaterThan(IDS.length * 17);
        expect(duplicates(urns)).to.deep.equal([]);
    });

    it("gives every Kubernetes object, certificate Secrets included, its own (kind, namespace, name), within the limits", () => {
        const k8s = run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && r.inputs.metadata);
        const keys = k8s.map((r) => `${kindOf(r)}/${r.inputs.metadata.namespace ?? ""}/${r.inputs.metadata.name}`);
        // cert-manager creates a Secret (and a Certificate) of each name an Ingress asks for.
        const certificates = run
            .ofType("kubernetes:networking.k8s.io/v1:Ingress")
            .flatMap((r) =>
                (r.inputs.spec.tls ?? []).map((t: { secretName: string }) => `Secret/${r.inputs.metadata.namespace}/${t.secretName}`),
            );
        expect(certificates.length).to.be.greaterThan(IDS.length);
        expect(duplicates([...keys, ...certificates])).to.deep.equal([]);
        for (const r of k8s) {
            const name: string = r.inputs.metadata.name;
            expect(K8S_NAME.test(name), name).to.equal(true);
            expect(name.length, name).to.be.at.most(kindOf(r) === "Job" ? 63 : 253);
        }
    });

    it("gives every IAM role, secret, database and user its own name, within AWS's and MySQL's limits", () => {
        const roles = run.ofType("aws:iam/role:Role").flatMap((r) => (r.inputs.name ? [r.inputs.name as string] : []));
        const secrets = run.ofType("aws:secretsmanager/secret:Secret").map((r) => r.inputs.name as string);
        const databases = run.ofType("mysql:index/database:Database").map((r) => r.inputs.name as string);
        const users = run.ofType("mysql:index/user:User").map((r) => r.inputs.user as string);
        for (const [names, limit] of [
            [roles, 64],
            [secrets, 512],
            [databases, 64],
            [users, 32],
        ] as const) {
            expect(names).to.have.length(IDS.length);
            expect(duplicates(names)).to.deep.equal([]);
            for (const name of names) expect(name.length, name).to.be.at.most(limit);
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

function kindOf(r: Registered): string {
    return r.type.split(":").pop()!;
}

function duplicates(xs: readonly string[]): string[] {
    const seen = new Set<string>();
    return xs.filter((x) => (seen.has(x) ? true : (seen.add(x), false)));
}

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
