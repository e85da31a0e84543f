import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { z } from "zod";
import {
    isHostname,
    isUnderDomain,
    loadSites,
    LoadSitesOptions,
    MAX_SITE_ID_LENGTH,
    parseSiteFile,
    RESERVED_SITE_IDS,
    SITE_ID_PATTERN,
    siteFileSchema,
    SiteFileError,
    SiteSpec,
} from "../src/sites";

const FIXTURES = path.join(__dirname, "fixtures", "sites");

let root: string;
let folders = 0;

/** A fresh sites folder (outside the working directory, so its paths show absolute) holding `files`. */
function sitesDir(files: Record<string, string | Buffer> = {}): string {
    const dir = path.join(root, `stg-${++folders}`);
    fs.mkdirSync(dir);
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
    return dir;
}

/** A valid site file: `id` on line 1 (value at column 5), hostnames on line 4 (first item at column 13). */
function site(id: string, hostnames = `${id}.cloud2-stg.example.com`, extra = ""): string {
    return `id: ${id}\nname: "Project Bluelaunch | ${id}"\ntheme: astra\nhostnames: [${hostnames}]\n${extra}`;
}

function loadError(dir: string, options?: LoadSitesOptions): SiteFileError {
    try {
        loadSites(dir, options);
    } catch (e) {
        expect(e).to.be.instanceOf(SiteFileError);
        return e as SiteFileError;
    }
    return expect.fail("loadSites returned instead of throwing");
}

/**
 * Asserts that `error` lists a problem of `file` at `line`:`column` on `field` whose message matches
 * `text`, both in `problems` and as a line `<file>:<line>:<column>: <field>: <message>` of the message.
 */
function expectProblem(error: SiteFileError, where: { file: string; line?: number; column?: number; field?: string }, text: RegExp): void {
    const found = error.problems.filter(
        (p) => p.file === where.file && p.line === where.line && p.column === where.column && p.field === where.field,
    );
    expect(found, `no problem at ${JSON.stringify(where)} in:\n${error.message}`).to.have.length.greaterThan(0);
    expect(
        found.map((p) => p.message).some((m) => text.test(m)),
        `${text} in:\n${error.message}`,
    ).to.equal(true);
    let prefix = where.file;
    if (where.line !== undefined) prefix += `:${where.line}`;
    if (where.column !== undefined) prefix += `:${where.column}`;
    if (where.field !== undefined) prefix += `: ${where.field}`;
    const lines = error.message.split("\n").filter((l) => l.startsWith(`${prefix}: `));
    expect(
        lines.some((l) => text.test(l)),
        `a line "${prefix}: ..." matching ${text} in:\n${error.message}`,
    ).to.equal(true);
}

describe("loadSites", () => {
    before(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "wp-sites-"));
    });

    after(() => {
        fs.rmSync(root, { recursive: true, force: true });
    });

    it("loads every site file, .yaml or .yml, into a spec with defaults resolved, sorted by id", () => {
        const dir = path.join(FIXTURES, "good");
        // Shown relative to the working directory, as an operator types it.
        const shown = (name: string) => path.relative(process.cwd(), path.join(dir, name));
        expect(loadSites(dir)).to.deep.equal([
            {
                id: "alpha",
                name: "Alpha & Co | landing page",
                theme: "twentytwentyfour",
                hostnames: ["alpha.cloud2-stg.example.com"],
                canonicalHostname: "alpha.cloud2-stg.example.com",
                service: "active",
                isolation: "shared",
                file: shown("alpha.yml"),
            },
            {
                id: "zeta",
                name: "Project Bluelaunch | zeta",
                theme: "astra",
                hostnames: ["zeta.cloud2-stg.example.com", "www.zeta.example.org"],
                canonicalHostname: "www.zeta.example.org",
                service: "green",
                isolation: "shared",
                file: shown("zeta.yaml"),
            },
        ] satisfies SiteSpec[]);
        expect(shown("alpha.yml")).to.equal(path.join("test", "fixtures", "sites", "good", "alpha.yml"));
    });

    it("returns the same sites, sorted by id, whatever the order the files were written in", () => {
        // "rrr-2.yaml" sorts before "rrr.yaml" ("-" < "."), but the id "rrr" before "rrr-2".
        const files: [string, string][] = [
            ["rrr.yaml", site("rrr")],
            ["c-site.yaml", site("c-site")],
            ["a-site.yml", site("a-site")],
            ["rrr-2.yaml", site("rrr-2")],
            ["b-site.yaml", site("b-site")],
        ];
        const forward = sitesDir(Object.fromEntries(files));
        const backward = sitesDir(Object.fromEntries([...files].reverse()));
        const ids = (dir: string) => loadSites(dir).map((s) => s.id);
        expect(ids(forward)).to.deep.equal(["a-site", "b-site", "c-site", "rrr", "rrr-2"]);
        expect(ids(backward)).to.deep.equal(["a-site", "b-site", "c-site", "rrr", "rrr-2"]);
    });

    it("leaves dotfiles and README.md alone, whatever they hold", () => {
        const dir = sitesDir({ "rrr.yaml": site("rrr"), "README.md": "id: [", ".gitkeep": "", ".notes": "{" });
        fs.mkdirSync(path.join(dir, ".drafts"));
        fs.writeFileSync(path.join(dir, ".drafts", "shop.yaml"), "id: [");
        expect(loadSites(dir).map((s) => s.file)).to.deep.equal([path.join(dir, "rrr.yaml")]);
    });

    it("refuses any other entry that is not a site file, a subfolder or a renamed file, saying what to do", () => {
        // A site file moved into a subfolder or renamed is no longer read: the site would be deleted.
        const dir = sitesDir({ "rrr.yaml": site("rrr"), "shop.yaml.bak": site("shop"), notes: "{" });
        fs.mkdirSync(path.join(dir, "sub"));
        fs.writeFileSync(path.join(dir, "sub", "x.yaml"), site("x"));
        const error = loadError(dir);
        expect(error.problems.map((p) => path.basename(p.file))).to.deep.equal(["notes", "shop.yaml.bak", "sub"]);
        expect(error.message.split("\n")[0]).to.equal(`3 problems in the site files of ${dir}:`);
        for (const name of ["notes", "shop.yaml.bak"]) {
            expectProblem(
                error,
                { file: path.join(dir, name) },
                new RegExp(`is not a site file.*: move it out of ${dir} or name it <id>\\.yaml`),
            );
        }
        expectProblem(error, { file: path.join(dir, "sub") }, new RegExp(`is a folder.*: move it out of ${dir}`));
        // With the others, never instead of them.
        fs.writeFileSync(path.join(dir, "rrr.yaml"), site("rrr", "RRR.example.com"));
        expect(loadError(dir).problems.map((p) => path.basename(p.file))).to.deep.equal(["notes", "rrr.yaml", "shop.yaml.bak", "sub"]);
    });

    it("still reads a dotfile named like a site file, as a site file", () => {
        // Renaming shop.yaml to .shop.yaml must not remove the site silently either.
        const dir = sitesDir({ ".shop.yaml": site("shop") });
        expectProblem(loadError(dir), { file: path.join(dir, ".shop.yaml"), line: 1, column: 5, field: "id" }, /base name/);
    });

    it("reads an existing empty folder as zero sites", () => {
        expect(loadSites(sitesDir())).to.deep.equal([]);
    });

    it("refuses a missing folder instead of returning zero sites", () => {
        const dir = path.join(root, "no-such-stack");
        const error = loadError(dir);
        expect(error.problems).to.have.length(1);
        expectProblem(error, { file: dir }, /does not exist/);
        expect(error.message.split("\n")[0]).to.equal(`1 problem in the site files of ${dir}:`);
    });

    it("refuses a path that is a file, not a folder", () => {
        const file = path.join(sitesDir({ "rrr.yaml": site("rrr") }), "rrr.yaml");
        expectProblem(loadError(file), { file }, /not a folder/);
    });

    it("reports every problem of several bad files together in one error", () => {
        const dir = sitesDir({
            "good.yaml": site("good"),
            "one.yaml": site("one", "ONE.example.com"),
            "two.yaml": site("two", "two.example.com", "service: red\n"),
            "three.yaml": site("three").replace("theme: astra", "theme: Astra Pro"),
        });
        const error = loadError(dir);
        expect(error.message.split("\n")[0]).to.equal(`3 problems in the site files of ${dir}:`);
        expect(error.problems.map((p) => path.basename(p.file))).to.deep.equal(["one.yaml", "three.yaml", "two.yaml"]);
        expectProblem(error, { file: path.join(dir, "one.yaml"), line: 4, column: 13, field: "hostnames[0]" }, /lowercase/);
        expectProblem(error, { file: path.join(dir, "three.yaml"), line: 3, column: 8, field: "theme" }, /theme slug/);
        expectProblem(error, { file: path.join(dir, "two.yaml"), line: 5, column: 10, field: "service" }, /blue, green, active/);
        expect(error.message).not.to.include("good.yaml");
    });

    it("shows a path relative to the working directory when the folder is under it", () => {
        const error = loadError(path.join(FIXTURES, "bad"));
        const file = path.join("test", "fixtures", "sites", "bad", "rrr.yaml");
        expect(path.resolve(file)).to.equal(path.join(FIXTURES, "bad", "rrr.yaml"));
        expectProblem(error, { file, line: 4, column: 13, field: "hostnames[0]" }, /must be lowercase/);
        expect(error.message.split("\n")[1]).to.match(/^test\/fixtures\/sites\/bad\/rrr\.yaml:4:13: hostnames\[0\]: /);
    });

    it("refuses a file over 64 KiB, and accepts one of exactly 64 KiB", () => {
        const padded = (bytes: number) => {
            const text = site("rrr") + "#";
            return text + "x".repeat(bytes - text.length - 1) + "\n";
        };
        expect(Buffer.byteLength(padded(64 * 1024))).to.equal(65536);
        expect(loadSites(sitesDir({ "rrr.yaml": padded(64 * 1024) }))).to.have.length(1);
        const dir = sitesDir({ "rrr.yaml": padded(64 * 1024 + 1) });
        const error = loadError(dir);
        expect(error.problems).to.have.length(1);
        expectProblem(error, { file: path.join(dir, "rrr.yaml") }, /65537 bytes; .* at most 65536 bytes \(64 KiB\)/);
    });

    it("refuses a symbolic link to a file outside the folder", () => {
        const outside = path.join(root, "elsewhere.yaml");
        fs.writeFileSync(outside, site("rrr"));
        const dir = sitesDir();
        fs.symlinkSync(outside, path.join(dir, "rrr.yaml"));
        expectProblem(loadError(dir), { file: path.join(dir, "rrr.yaml") }, /symbolic link .*outside the sites folder/);
    });

    it("follows a symbolic link to a file inside the folder", () => {
        const dir = sitesDir();
        fs.mkdirSync(path.join(dir, ".files"));
        fs.writeFileSync(path.join(dir, ".files", "rrr.yaml"), site("rrr"));
        fs.symlinkSync(path.join(".files", "rrr.yaml"), path.join(dir, "rrr.yaml"));
        expect(loadSites(dir).map((s) => s.id)).to.deep.equal(["rrr"]);
    });

    it("refuses something that is not a regular file, such as a folder named rrr.yaml", () => {
        const dir = sitesDir();
        fs.mkdirSync(path.join(dir, "rrr.yaml"));
        expectProblem(loadError(dir), { file: path.join(dir, "rrr.yaml") }, /is a folder, not a regular file/);
    });

    it("refuses bytes that are not UTF-8, at their line and column", () => {
        const text = Buffer.concat([Buffer.from("id: rrr\nname: caf"), Buffer.from([0xe9]), Buffer.from("\ntheme: astra\n")]);
        const dir = sitesDir({ "rrr.yaml": text });
        expectProblem(loadError(dir), { file: path.join(dir, "rrr.yaml"), line: 2, column: 10 }, /not valid UTF-8 \(byte 0xE9\)/);
    });

    it("refuses tabs used as indentation", () => {
        const dir = sitesDir({ "rrr.yaml": "id: rrr\nname: x\ntheme: astra\nhostnames:\n\t- rrr.example.com\n" });
        expectProblem(loadError(dir), { file: path.join(dir, "rrr.yaml"), line: 5, column: 1 }, /tabs are not allowed as indentation/);
    });

    it("refuses a duplicate key, naming the line of the first", () => {
        const dir = sitesDir({ "rrr.yaml": site("rrr", "rrr.example.com", "id: rrr\n") });
        expectProblem(
            loadError(dir),
            { file: path.join(dir, "rrr.yaml"), line: 5, column: 1, field: "id" },
            /given twice \(first on line 1\)/,
        );
    });

    it("refuses a YAML syntax error, at its line and column", () => {
        const dir = sitesDir({ "rrr.yaml": "id: rrr\nname: 'Project\ntheme: astra\n" });
        expectProblem(
            loadError(dir),
            { file: path.join(dir, "rrr.yaml"), line: 4, column: 1 },
            /YAML syntax error: Missing closing 'quote/,
        );
    });

    it("refuses a file of several YAML documents", () => {
        const dir = sitesDir({ "rrr.yaml": `${site("rrr")}---\n${site("rrr")}` });
        expectProblem(loadError(dir), { file: path.join(dir, "rrr.yaml"), line: 5, column: 1 }, /more than one YAML document/);
    });

    it("refuses a list or a scalar instead of a mapping", () => {
        const dir = sitesDir({ "list.yaml": "- id: list\n", "scalar.yaml": "# a comment\nrrr.example.com\n" });
        const error = loadError(dir);
        expectProblem(error, { file: path.join(dir, "list.yaml"), line: 1, column: 1 }, /must be a YAML mapping .*not a list/);
        expectProblem(
            error,
            { file: path.join(dir, "scalar.yaml"), line: 2, column: 1 },
            /must be a YAML mapping .*not the text "rrr.example.com"/,
        );
    });

    it("refuses an empty file and a file of only comments", () => {
        const dir = sitesDir({ "empty.yaml": "", "comments.yaml": "# id: comments\n\n# hostnames: []\n" });
        const error = loadError(dir);
        expect(error.problems).to.have.length(2);
        expectProblem(error, { file: path.join(dir, "empty.yaml") }, /is empty/);
        expectProblem(error, { file: path.join(dir, "comments.yaml") }, /is empty/);
    });

    it("refuses anchors, aliases and tags", () => {
        const dir = sitesDir({ "rrr.yaml": "id: &id rrr\nname: *id\ntheme: !!str astra\nhostnames: [rrr.example.com]\n" });
        const error = loadError(dir);
        const file = path.join(dir, "rrr.yaml");
        expectProblem(error, { file, line: 1, column: 5 }, /anchor &id is not allowed/);
        expectProblem(error, { file, line: 2, column: 7 }, /alias \*id is not allowed/);
        expectProblem(error, { file, line: 3, column: 8 }, /tag !!str is not allowed/);
    });

    it("refuses an unknown key and suggests the closest field", () => {
        const dir = sitesDir({ "rrr.yaml": "id: rrr\nname: x\ntheme: astra\nhostname: rrr.example.com\n" });
        const error = loadError(dir);
        const file = path.join(dir, "rrr.yaml");
        expectProblem(error, { file, line: 4, column: 1, field: "hostname" }, /unknown field; did you mean "hostnames"\?/);
        expectProblem(error, { file, field: "hostnames" }, /is required/);
    });

    it("names the field and the expected type when a value has the wrong type", () => {
        const dir = sitesDir({ "rrr.yaml": "id: 123\nname: [a, b]\ntheme: astra\nhostnames: rrr.example.com\ncanonicalHostname:\n" });
        const error = loadError(dir);
        const file = path.join(dir, "rrr.yaml");
        expectProblem(error, { file, line: 1, column: 5, field: "id" }, /must be a string, not the number 123; put the value in quotes/);
        expectProblem(error, { file, line: 2, column: 7, field: "name" }, /must be a string, not a list/);
        expectProblem(
            error,
            { file, line: 4, column: 12, field: "hostnames" },
            /must be a list of hostnames, not the text "rrr.example.com"/,
        );
        expectProblem(error, { file, line: 5, column: 1, field: "canonicalHostname" }, /must be a string, not an empty value/);
    });

    it("lists every missing required field", () => {
        const dir = sitesDir({ "rrr.yaml": "name: x\n" });
        const error = loadError(dir);
        const file = path.join(dir, "rrr.yaml");
        expect(error.problems.map((p) => p.field)).to.deep.equal(["id", "theme", "hostnames"]);
        for (const field of ["id", "theme", "hostnames"]) expectProblem(error, { file, field }, /is required/);
    });

    it("gives the file's own id in the example of a missing hostnames", () => {
        const dir = sitesDir({ "shop.yaml": "id: shop\nname: x\ntheme: twentytwentythree\n", "Bad_Id.yml": "name: x\n" });
        const error = loadError(dir);
        expectProblem(error, { file: path.join(dir, "shop.yaml"), field: "hostnames" }, /is required: .*, such as \[shop\.example\.com\]$/);
        expectProblem(error, { file: path.join(dir, "Bad_Id.yml"), field: "hostnames" }, /is required: .*, such as \[www\.example\.com\]$/);
    });

    it("refuses an id that is not 1 to 24 lowercase letters, digits and hyphens starting with a letter", () => {
        const long = "a".repeat(MAX_SITE_ID_LENGTH + 1);
        const ids: Record<string, RegExp> = {
            Rrr: /must be lowercase \("rrr"\)/,
            r_r: /may hold only lowercase letters, digits and hyphens/,
            "9lives": /must start with a letter/,
            "rrr-": /must not end with a hyphen/,
            [long]: /is 25 characters/,
        };
        const dir = sitesDir(Object.fromEntries(Object.keys(ids).map((id, i) => [`${id}.yaml`, site(id, `x${i}.example.com`)])));
        const error = loadError(dir);
        expect(error.problems).to.have.length(5);
        for (const [id, text] of Object.entries(ids)) {
            expectProblem(error, { file: path.join(dir, `${id}.yaml`), line: 1, column: 5, field: "id" }, text);
        }
    });

    it("refuses a reserved id and says why", () => {
        const dir = sitesDir({ "blue.yaml": site("blue") });
        expectProblem(
            loadError(dir),
            { file: path.join(dir, "blue.yaml"), line: 1, column: 5, field: "id" },
            /"blue" is reserved: it names the blue Deployment/,
        );
    });

    it("refuses an id that differs from the file's base name", () => {
        const dir = sitesDir({ "rrr.yaml": site("abc") });
        expectProblem(
            loadError(dir),
            { file: path.join(dir, "rrr.yaml"), line: 1, column: 5, field: "id" },
            /"abc" must equal the file's base name "rrr"/,
        );
    });

    it("refuses two files with the same id, naming both", () => {
        const dir = sitesDir({ "rrr.yaml": site("rrr", "a.example.com"), "rrr.yml": site("rrr", "b.example.com") });
        const error = loadError(dir);
        expect(error.problems).to.have.length(1);
        expectProblem(
            error,
            { file: path.join(dir, "rrr.yml"), line: 1, column: 5, field: "id" },
            new RegExp(`also the id of ${escape(path.join(dir, "rrr.yaml"))}:1:5`),
        );
    });

    it("refuses an empty or too long name, and a theme that is not a WordPress slug", () => {
        const dir = sitesDir({
            "empty.yaml": site("empty").replace(/^name: .*$/m, 'name: "  "'),
            "long.yaml": site("long").replace(/^name: .*$/m, `name: ${"n".repeat(201)}`),
            "theme.yaml": site("theme").replace("theme: astra", "theme: -astra"),
        });
        const error = loadError(dir);
        expectProblem(error, { file: path.join(dir, "empty.yaml"), line: 2, column: 7, field: "name" }, /must not be empty/);
        expectProblem(error, { file: path.join(dir, "long.yaml"), line: 2, column: 7, field: "name" }, /201 characters; .* at most 200/);
        expectProblem(
            error,
            { file: path.join(dir, "theme.yaml"), line: 3, column: 8, field: "theme" },
            /not a WordPress theme slug: lowercase letters, digits, hyphens and underscores/,
        );
    });

    it("refuses an empty list of hostnames", () => {
        const dir = sitesDir({ "rrr.yaml": site("rrr", "") });
        expectProblem(
            loadError(dir),
            { file: path.join(dir, "rrr.yaml"), line: 4, column: 12, field: "hostnames" },
            /at least one hostname/,
        );
    });

    it("refuses an upper-case hostname, saying it must be lowercase", () => {
        const dir = sitesDir({ "rrr.yaml": site("rrr", "rrr.example.com, Rrr.Example.com") });
        expectProblem(
            loadError(dir),
            { file: path.join(dir, "rrr.yaml"), line: 4, column: 30, field: "hostnames[1]" },
            /"Rrr.Example.com" must be lowercase: write "rrr.example.com"/,
        );
    });

    it("refuses a wildcard hostname", () => {
        const dir = sitesDir({ "rrr.yaml": site("rrr", '"*.example.com"') });
        expectProblem(
            loadError(dir),
            { file: path.join(dir, "rrr.yaml"), line: 4, column: 13, field: "hostnames[0]" },
            /wildcards are not allowed/,
        );
    });

    it("refuses hostnames that are not DNS names", () => {
        const bad: [string, RegExp][] = [
            ["localhost", /at least two labels/],
            [`${"a".repeat(64)}.com`, /label of 64 characters; a label has at most 63/],
            [`${"abcdefghi.".repeat(25)}com1`, /is 254 characters; a hostname has at most 253/],
            ["-rrr.example.com", /must not start or end with a hyphen/],
            ["rrr_1.example.com", /may hold only a-z, 0-9 and hyphens/],
            ["https://rrr.example.com/", /bare hostname/],
        ];
        const items = bad.map(([h]) => `  - "${h}"\n`).join("");
        const dir = sitesDir({ "rrr.yaml": `id: rrr\nname: x\ntheme: astra\nhostnames:\n${items}` });
        const error = loadError(dir);
        const file = path.join(dir, "rrr.yaml");
        bad.forEach(([, text], i) => expectProblem(error, { file, line: 5 + i, column: 5, field: `hostnames[${i}]` }, text));
        expect(error.problems).to.have.length(bad.length);
    });

    it("refuses a hostname listed twice in one site", () => {
        const dir = sitesDir({ "rrr.yaml": site("rrr", "rrr.example.com, www.example.com, rrr.example.com") });
        expectProblem(
            loadError(dir),
            { file: path.join(dir, "rrr.yaml"), line: 4, column: 47, field: "hostnames[2]" },
            /"rrr.example.com" is listed twice \(also hostnames\[0\]\)/,
        );
    });

    it("refuses a hostname on two sites, naming both files and lines", () => {
        const dir = sitesDir({
            "aaa.yaml": site("aaa", "aaa.example.com, shared.example.com"),
            "bbb.yaml": site("bbb", "shared.example.com"),
        });
        const error = loadError(dir);
        expect(error.problems).to.have.length(1);
        expectProblem(
            error,
            { file: path.join(dir, "bbb.yaml"), line: 4, column: 13, field: "hostnames[0]" },
            new RegExp(`"shared.example.com" is also a hostname of site "aaa" \\(${escape(path.join(dir, "aaa.yaml"))}:4:30\\)`),
        );
    });

    it("refuses a canonicalHostname that is not one of hostnames", () => {
        const dir = sitesDir({ "rrr.yaml": site("rrr", "rrr.example.com", "canonicalHostname: www.rrr.example.com\n") });
        expectProblem(
            loadError(dir),
            { file: path.join(dir, "rrr.yaml"), line: 5, column: 20, field: "canonicalHostname" },
            /must be one of hostnames \(rrr.example.com\)/,
        );
    });

    it("refuses an unknown service", () => {
        const dir = sitesDir({ "rrr.yaml": site("rrr", "rrr.example.com", "service: canary\n") });
        expectProblem(
            loadError(dir),
            { file: path.join(dir, "rrr.yaml"), line: 5, column: 10, field: "service" },
            /must be one of blue, green, active, not the text "canary"/,
        );
    });

    it("refuses an unknown isolation, and reads dedicated", () => {
        const dir = sitesDir({ "rrr.yaml": site("rrr", "rrr.example.com", "isolation: private\n") });
        expectProblem(
            loadError(dir),
            { file: path.join(dir, "rrr.yaml"), line: 5, column: 12, field: "isolation" },
            /must be one of shared, dedicated, not the text "private"/,
        );
        const ok = sitesDir({ "rrr.yaml": site("rrr", "rrr.example.com", "isolation: dedicated\n") });
        expect(loadSites(ok).map((s) => s.isolation)).to.deep.equal(["dedicated"]);
    });

    it("with allowedDomains, accepts hostnames equal to or under one and refuses the others", () => {
        const allowedDomains = ["example.com", "example.org"];
        const good = sitesDir({ "rrr.yaml": site("rrr", "example.com, a.b.example.org") });
        expect(loadSites(good, { allowedDomains })[0].hostnames).to.deep.equal(["example.com", "a.b.example.org"]);
        const dir = sitesDir({ "rrr.yaml": site("rrr", "rrr.example.com, badexample.com") });
        expect(loadSites(dir)).to.have.length(1);
        const error = loadError(dir, { allowedDomains });
        expect(error.problems).to.have.length(1);
        expectProblem(
            error,
            { file: path.join(dir, "rrr.yaml"), line: 4, column: 30, field: "hostnames[1]" },
            /"badexample.com" is not under a domain allowed on this stack \(example.com, example.org\)/,
        );
    });

    it("with previewDomain, refuses a hostname equal to it or under it: the platform serves <id>.<previewDomain> itself", () => {
        const previewDomain = "preview.example.com";
        const good = sitesDir({ "rrr.yaml": site("rrr", "rrr.example.com, xpreview.example.com, preview.example.org") });
        expect(loadSites(good, { previewDomain })).to.have.length(1);
        const dir = sitesDir({
            "rrr.yaml": site("rrr", "rrr.example.com, preview.example.com"),
            "shop.yaml": site("shop", "shop.preview.example.com"),
        });
        expect(loadSites(dir)).to.have.length(2);
        const error = loadError(dir, { previewDomain, allowedDomains: ["example.com"] });
        expect(error.problems).to.have.length(2);
        expectProblem(
            error,
            { file: path.join(dir, "rrr.yaml"), line: 4, column: 30, field: "hostnames[1]" },
            /"preview.example.com" is under the stack's preview domain preview.example.com \(release.previewDomain\).*two Ingresses would claim one host/,
        );
        expectProblem(
            error,
            { file: path.join(dir, "shop.yaml"), line: 4, column: 13, field: "hostnames[0]" },
            /"shop.preview.example.com" is under the stack's preview domain/,
        );
    });
});

describe("parseSiteFile", () => {
    it("returns the spec of a valid file, with defaults resolved", () => {
        expect(parseSiteFile("sites/stg/rrr.yaml", site("rrr"))).to.deep.equal({
            spec: {
                id: "rrr",
                name: "Project Bluelaunch | rrr",
                theme: "astra",
                hostnames: ["rrr.cloud2-stg.example.com"],
                canonicalHostname: "rrr.cloud2-stg.example.com",
                service: "active",
                isolation: "shared",
                file: "sites/stg/rrr.yaml",
            },
            problems: [],
        });
    });

    it("returns the problems of a bad file instead of throwing, and no spec", () => {
        const result = parseSiteFile("sites/stg/rrr.yaml", site("rrr", "rrr.example.com", "service: red\n"));
        expect(result.spec).to.equal(undefined);
        expect(result.problems).to.deep.equal([
            {
                file: "sites/stg/rrr.yaml",
                line: 5,
                column: 10,
                field: "service",
                message: 'must be one of blue, green, active, not the text "red"',
            },
        ]);
    });
});

describe("siteFileSchema", () => {
    it("generates a strict JSON Schema with a description on every field", () => {
        const schema = z.toJSONSchema(siteFileSchema, { io: "input" }) as {
            properties: Record<string, { description?: string }>;
            required: string[];
            additionalProperties: boolean;
        };
        expect(Object.keys(schema.properties)).to.deep.equal([
            "id",
            "name",
            "theme",
            "hostnames",
            "canonicalHostname",
            "service",
            "isolation",
        ]);
        for (const [field, property] of Object.entries(schema.properties)) {
            expect(property.description, field).to.be.a("string").and.not.equal("");
        }
        expect(schema.required).to.deep.equal(["id", "name", "theme", "hostnames"]);
        expect(schema.additionalProperties).to.equal(false);
    });
});

describe("site rules", () => {
    it("SITE_ID_PATTERN accepts 1 to 24 lowercase letters, digits and hyphens starting with a letter", () => {
        for (const id of ["a", "rrr", "site-2", "a".repeat(24)]) expect(SITE_ID_PATTERN.test(id), id).to.equal(true);
        for (const id of ["", "Rrr", "2site", "site-", "-site", "r_r", "a".repeat(25)])
            expect(SITE_ID_PATTERN.test(id), id).to.equal(false);
    });

    it("RESERVED_SITE_IDS holds the names of platform objects", () => {
        const named = ["platform", "release", "blue", "green", "active", "canary", "preview", "default", "www", "admin", "kube-system"];
        expect(RESERVED_SITE_IDS).to.include.members(named);
    });

    it("isHostname accepts lowercase DNS names of two labels or more only", () => {
        for (const h of ["a.b", "rrr.cloud2-stg.example.com", `${"a".repeat(63)}.com`]) expect(isHostname(h), h).to.equal(true);
        for (const h of [
            "",
            "localhost",
            "A.example.com",
            "*.example.com",
            "a..b",
            "-a.b",
            "a-.b",
            `${"a".repeat(64)}.com`,
            "example.com.",
        ]) {
            expect(isHostname(h), h).to.equal(false);
        }
    });

    it("isUnderDomain accepts the domain itself and names under it, not names that only end like it", () => {
        expect(isUnderDomain("example.com", ["example.com"])).to.equal(true);
        expect(isUnderDomain("a.example.com", ["example.org", "example.com"])).to.equal(true);
        expect(isUnderDomain("badexample.com", ["example.com"])).to.equal(false);
        expect(isUnderDomain("example.com", [])).to.equal(false);
    });
});

function escape(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
