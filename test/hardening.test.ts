// Input hardening: a corpus of bad site files and bad configs. Each must stop the whole program with
// a clear error (file, line, field, what is allowed) before a single resource is registered: a run
// that went on without a bad site would make `pulumi up` delete that site.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runFailingProgram, siteFile } from "./support/program";
import { stringify } from "yaml";

const GOOD = stringify(siteFile("good"));
const D = `sha256:${"d".repeat(64)}`;

interface Case {
    readonly name: string;
    /** The bad file(s), by name; a good site is always beside them. */
    readonly files: Record<string, string | Buffer>;
    /** Fragments the error must contain: the file, its line:column, the field, what is allowed. */
    readonly expect: readonly (string | RegExp)[];
}

const CASES: Case[] = [
    { name: "YAML syntax error", files: { "bad.yaml": "id: bad\nname: [unclosed\n" }, expect: ["bad.yaml:3:1", /YAML syntax error/] },
    {
        name: "tabs as indentation",
        files: { "bad.yaml": "id: bad\nhostnames:\n\t- bad.cloud2-stg.example.com\n" },
        expect: ["bad.yaml:3:", /tab/i],
    },
    {
        name: "duplicate key",
        files: { "bad.yaml": stringify(siteFile("bad")) + "theme: astra\n" },
        expect: ["bad.yaml:6:1", "theme", /given twice \(first on line 3\)/],
    },
    { name: "a list instead of a mapping", files: { "bad.yaml": "- id: bad\n" }, expect: ["bad.yaml:1:1", /mapping/] },
    { name: "a scalar instead of a mapping", files: { "bad.yaml": "just text\n" }, expect: ["bad.yaml:1:1", /mapping/] },
    { name: "an empty file", files: { "bad.yaml": "" }, expect: ["bad.yaml", /empty/] },
    {
        name: "bytes that are not UTF-8",
        files: { "bad.yaml": Buffer.from([0x69, 0x64, 0x3a, 0x20, 0xff, 0xfe, 0x0a]) },
        expect: ["bad.yaml:1:5", /UTF-8/],
    },
    {
        name: "an unknown key",
        files: { "bad.yaml": stringify(siteFile("bad")) + "hostname: x.cloud2-stg.example.com\n" },
        expect: ["bad.yaml:6:1", "hostname", 'did you mean "hostnames"'],
    },
    {
        name: "a wrong type",
        files: { "bad.yaml": stringify(siteFile("bad", { hostnames: "bad.cloud2-stg.example.com" })) },
        expect: ["bad.yaml:4:12", "hostnames", /must be a list/],
    },
    {
        name: "an id that is too long",
        files: { "a-very-long-site-id-over-24.yaml": stringify(siteFile("a-very-long-site-id-over-24")) },
        expect: [":1:5", "id", /24/],
    },
    {
        name: "an id that is not DNS-safe",
        files: { "Bad_Id.yaml": stringify(siteFile("Bad_Id")) },
        expect: ["Bad_Id.yaml:1:5", "id", /lowercase/],
    },
    { name: "a reserved id", files: { "platform.yaml": stringify(siteFile("platform")) }, expect: ["platform.yaml:1:5", "id", /reserved/] },
    {
        name: "a hostname on two sites",
        files: { "bad.yaml": stringify(siteFile("bad", { hostnames: ["good.cloud2-stg.example.com"] })) },
        expect: ["good.yaml:5:5", "bad.yaml:5:5", "hostnames[0]", /one site only/],
    },
    {
        name: "a hostname outside allowedDomains",
        files: { "bad.yaml": stringify(siteFile("bad", { hostnames: ["bad.example.net"] })) },
        expect: ["bad.yaml:5:5", "hostnames[0]", "cloud2-stg.example.com"],
    },
    {
        name: "an upper-case hostname",
        files: { "bad.yaml": stringify(siteFile("bad", { hostnames: ["Bad.cloud2-stg.example.com"] })) },
        expect: ["bad.yaml:5:5", "hostnames[0]", /lowercase/],
    },
    {
        name: "a wildcard hostname",
        files: { "bad.yaml": stringify(siteFile("bad", { hostnames: ["*.cloud2-stg.example.com"] })) },
        expect: ["bad.yaml:5:5", "hostnames[0]", /wildcard/],
    },
    {
        name: "a canonical hostname not in the list",
        files: { "bad.yaml": stringify(siteFile("bad", { canonicalHostname: "other.cloud2-stg.example.com" })) },
        expect: ["bad.yaml:6:20", "canonicalHostname", "bad.cloud2-stg.example.com"],
    },
    {
        name: "an unknown service",
        files: { "bad.yaml": stringify(siteFile("bad", { service: "purple" })) },
        expect: ["bad.yaml:6:10", "service", /blue, green, active/],
    },
    {
        name: "a file over 64 KiB",
        files: { "bad.yaml": stringify(siteFile("bad")) + `# ${"x".repeat(65536)}\n` },
        expect: ["bad.yaml", /64 KiB/],
    },
];

function sitesDir(files: Record<string, string | Buffer>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wp-hardening-"));
    fs.writeFileSync(path.join(dir, "good.yaml"), GOOD);
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
    return dir;
}

async function expectRefused(dir: string, expected: readonly (string | RegExp)[], config: Record<string, unknown> = {}): Promise<void> {
    try {
        const { error, resources } = await runFailingProgram({ config: { sitesDir: dir, ...config } });
        for (const fragment of expected) {
            if (typeof fragment === "string") expect(error.message).to.contain(fragment);
            else expect(error.message).to.match(fragment);
        }
        expect(resources, "resources registered before the error").to.deep.equal([]);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("input hardening", () => {
    for (const c of CASES) {
        it(`refuses ${c.name}, registering nothing`, async () => {
            await expectRefused(sitesDir(c.files), c.expect);
        });
    }

    it("refuses a symbolic link to a file outside the sites folder, registering nothing", async () => {
        const outside = fs.mkdtempSync(path.join(os.tmpdir(), "wp-outside-"));
        fs.writeFileSync(path.join(outside, "evil.yaml"), stringify(siteFile("evil")));
        const dir = sitesDir({});
        fs.symlinkSync(path.join(outside, "evil.yaml"), path.join(dir, "evil.yaml"));
        await expectRefused(dir, ["evil.yaml", /outside/]);
        fs.rmSync(outside, { recursive: true, force: true });
    });

    it("refuses a site file moved into a subfolder or renamed, registering nothing (the site would be deleted)", async () => {
        const dir = sitesDir({ "shop.yaml.bak": stringify(siteFile("shop")) });
        fs.mkdirSync(path.join(dir, "sub"));
        fs.writeFileSync(path.join(dir, "sub", "x.yaml"), stringify(siteFile("x")));
        await expectRefused(dir, [/shop\.yaml\.bak: is not a site file.*move it out of .* or name it <id>\.yaml/, /sub: is a folder/]);
    });

    it("reports the problems of several bad files together", async () => {
        await expectRefused(sitesDir({ "one.yaml": "- x\n", "two.yaml": stringify(siteFile("two", { service: "red" })) }), [
            "one.yaml:1:1",
            "two.yaml:6:10",
            /2 problems/,
        ]);
    });

    it("refuses a release digest that is a tag or `latest`, registering nothing", async () => {
        await expectRefused(
            sitesDir({}),
            ["wp-platform:release.blue", '"latest" is not a digest', "wp-platform:release.green", '"6.8.3"'],
            {
                release: { active: "blue", blue: "latest", green: "6.8.3" },
            },
        );
    });

    it("lists the problems of the config and of every site file together, registering nothing", async () => {
        // A config error must not hide the site files' problems: one run shows all of them.
        const typo = stringify(siteFile("typo")) + "hostname: typo.cloud2-stg.example.com\n";
        const outside = stringify(siteFile("outside", { hostnames: ["outside.example.net"] }));
        const blog = stringify(siteFile("blog", { hostnames: ["shop.preview.cloud2-stg.example.com"] }));
        const release = { active: "bleu", blue: D, green: D, previewDomain: "preview.cloud2-stg.example.com" };
        await expectRefused(
            sitesDir({ "typo.yaml": typo, "outside.yaml": outside, "blog.yaml": blog }),
            [
                /^1 problem in the stack config:\n {2}wp-platform:release\.active: blue or green \(got "bleu"\)\n3 problems in the site files of /,
                /typo\.yaml:6:1: hostname: unknown field; did you mean "hostnames"/,
                // allowedDomains and release.previewDomain parsed: their rules still apply.
                /outside\.yaml:5:5: hostnames\[0\]: "outside\.example\.net" is not under a domain allowed/,
                /blog\.yaml:5:5: hostnames\[0\]: .* is under the stack's preview domain/,
            ],
            { release },
        );
    });

    it("checks the site files with no allowed domains when allowedDomains is itself wrong", async () => {
        const typo = stringify(siteFile("typo", { hostnames: ["typo.example.net"] })) + "hostname: x\n";
        const dir = sitesDir({ "typo.yaml": typo });
        try {
            const { error, resources } = await runFailingProgram({ config: { sitesDir: dir, allowedDomains: "cloud2-stg.example.com" } });
            expect(error.message)
                .to.contain("wp-platform:allowedDomains")
                .and.match(/typo\.yaml:6:1: hostname: unknown field/);
            expect(error.message).not.to.contain("not under a domain allowed");
            expect(resources).to.deep.equal([]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("refuses a config with an unknown key or a wrong type, registering nothing", async () => {
        await expectRefused(sitesDir({}), ["wp-platform:retainDataOnDelet: unknown key", "wp-platform:release.idleReplicas"], {
            retainDataOnDelet: "true",
            release: { active: "blue", blue: D, green: D, idleReplicas: "two" },
        });
    });
});
