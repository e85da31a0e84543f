// The site tools: site:new (tools/site-new.ts), sites:check (tools/sites-check.ts) and the JSON
// Schema of a site file (tools/site-schema.ts). The functions run in-process against temporary
// project roots; the real command lines are spawned twice only (they are slow to start).
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as prettier from "prettier";
import { parse } from "yaml";
import { settingsShard } from "../src/settings";
import { isHostname, loadSites, RESERVED_SITE_IDS, SERVICES, SITE_ID_PATTERN, SiteFileError } from "../src/sites";
import { planSite, runSiteNew, siteFileText, SiteNewError, writeSite } from "../tools/site-new";
import { runSiteSchema, siteJsonSchema, siteSchemaText } from "../tools/site-schema";
import { checkStack, runSitesCheck, stacksOfPaths } from "../tools/sites-check";
import { listStacks, ROOT, SCHEMA_PATH, schemaLine, schemaRef, shippedThemes, stackSites, THEMES_PATH } from "../tools/stacks";

const SCHEMA_LINE = "# yaml-language-server: $schema=../../schema/site.schema.json";

let temp: string;
let roots = 0;

/** A project root holding copies of the real stack files and, per stack, the given site files. */
function projectRoot(stacks: Record<string, Record<string, string>>): string {
    const root = path.join(temp, `root-${++roots}`);
    fs.mkdirSync(path.join(root, "image"), { recursive: true });
    fs.copyFileSync(path.join(ROOT, THEMES_PATH), path.join(root, THEMES_PATH));
    for (const [stack, files] of Object.entries(stacks)) {
        fs.mkdirSync(path.join(root, "sites", stack), { recursive: true });
        fs.copyFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), path.join(root, `Pulumi.${stack}.yaml`));
        for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(root, "sites", stack, name), text);
    }
    return root;
}

/** A valid stg site file. */
function stgSite(id: string, hosts = [`${id}.cloud2-stg.example.com`]): string {
    return `${SCHEMA_LINE}\nid: ${id}\nname: Site ${id}\ntheme: astra\nhostnames: [${hosts.join(", ")}]\n`;
}

function capture() {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) } };
}

/** Every file under `dir`, relative, sorted: to assert that nothing was written. */
function tree(dir: string): string[] {
    return (fs.readdirSync(dir, { recursive: true }) as string[]).map(String).sort();
}

function loadError(dir: string, allowedDomains: readonly string[]): SiteFileError {
    try {
        loadSites(dir, { allowedDomains });
    } catch (e) {
        expect(e).to.be.instanceOf(SiteFileError);
        return e as SiteFileError;
    }
    return expect.fail("loadSites accepted the folder");
}

/** Runs a script of package.json as npm would (its command line, in the project root), without npm. */
function runScript(name: string, args: string[]) {
    const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts as Record<string, string>;
    expect(scripts[name], `scripts.${name}`).to.be.a("string");
    return spawnSync(`${scripts[name]} ${args.join(" ")}`, {
        shell: true,
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, PATH: `${path.join(ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH}` },
    });
}

describe("site tools", () => {
    before(() => {
        temp = fs.mkdtempSync(path.join(os.tmpdir(), "wp-site-tools-"));
    });

    after(() => {
        fs.rmSync(temp, { recursive: true, force: true });
    });

    describe("site:new", () => {
        it("writes a file that loadSites accepts, with exactly the given fields, after the schema line", () => {
            const root = projectRoot({ stg: { "rrr.yaml": stgSite("rrr") } });
            const { out, err, io } = capture();
            const code = runSiteNew(
                [
                    "shop",
                    "--stack",
                    "stg",
                    "--theme",
                    "twentytwentytwo",
                    "--host",
                    "shop.cloud2-stg.example.com",
                    "--host",
                    "www.shop.cloud2-stg.example.com",
                    "--name",
                    `Bob's | "Shop": yes`,
                    "--service",
                    "green",
                    "--isolation",
                    "dedicated",
                    "--canonical",
                    "www.shop.cloud2-stg.example.com",
                ],
                { ...io, root },
            );
            expect(err).to.deep.equal([]);
            expect(code).to.equal(0);
            const dir = path.join(root, "sites", "stg");
            const text = fs.readFileSync(path.join(dir, "shop.yaml"), "utf8");
            expect(text.split("\n")[0]).to.equal(SCHEMA_LINE);
            expect(parse(text)).to.deep.equal({
                id: "shop",
                name: `Bob's | "Shop": yes`,
                theme: "twentytwentytwo",
                hostnames: ["shop.cloud2-stg.example.com", "www.shop.cloud2-stg.example.com"],
                canonicalHostname: "www.shop.cloud2-stg.example.com",
                service: "green",
                isolation: "dedicated",
            });
            const shop = loadSites(dir, { allowedDomains: ["cloud2-stg.example.com"] }).find((s) => s.id === "shop");
            expect(shop).to.include({ name: `Bob's | "Shop": yes`, theme: "twentytwentytwo", service: "green", isolation: "dedicated" });
            expect(shop?.canonicalHostname).to.equal("www.shop.cloud2-stg.example.com");
            const printed = out.join("\n");
            for (const step of [
                "git add ",
                "pull request",
                "pulumi preview --stack stg",
                'wp-platform:index:Site "shop"',
                "site-index ConfigMap",
            ]) {
                expect(printed).to.include(step);
            }
            // The preview updates the site index's ConfigMap and the one settings Secret that holds the site.
            const shard = settingsShard("shop");
            expect(printed.replace(/\s+/g, " ")).to.include(
                `plus two updates in place: the site-index ConfigMap, which gains the site's hostnames, and the Secret ` +
                    `site-index-settings-${shard} (Kubernetes name site-settings-${shard}), which gains the site's settings`,
            );
            expect(printed).not.to.include("one update");
        });

        it("warns, and still writes the file, when the reference image does not ship the theme", () => {
            // A stack may run its own image (image/README.md, "Adapt an existing image"): a warning, not a refusal.
            const root = projectRoot({ stg: {} });
            const file = path.join(root, "sites", "stg", "shop.yaml");
            const args = ["shop", "--stack", "stg", "--theme", "astra", "--host", "shop.cloud2-stg.example.com"];
            const warning =
                `warning: ${file}:4:8: theme: "astra" is not a theme the reference image ships ` +
                "(image/themes.txt: twentytwentyone, twentytwentytwo, twentytwentythree): the deploy fails at its activate-theme Job " +
                'unless the stack runs an image that has it (image/README.md, "Adapt an existing image")';
            const dry = capture();
            expect(runSiteNew([...args, "--dry-run"], { ...dry.io, root })).to.equal(0);
            expect(dry.err).to.deep.equal([warning]);
            const run = capture();
            expect(runSiteNew(args, { ...run.io, root })).to.equal(0);
            expect(run.err).to.deep.equal([warning]);
            expect(parse(fs.readFileSync(file, "utf8")).theme).to.equal("astra");
            // The list is image/themes.txt's, whatever it holds.
            fs.writeFileSync(path.join(root, THEMES_PATH), "# shipped\nastra\n\ntwentytwentythree  # default\n");
            expect(shippedThemes(root)).to.deep.equal(["astra", "twentytwentythree"]);
            const shipped = capture();
            expect(
                runSiteNew(["blog", "--stack", "stg", "--theme", "astra", "--host", "blog.cloud2-stg.example.com"], {
                    ...shipped.io,
                    root,
                }),
            ).to.equal(0);
            expect(shipped.err).to.deep.equal([]);
        });

        it("leaves the optional fields out when not given, and the title is then the id", () => {
            const root = projectRoot({ stg: {} });
            const { out, io } = capture();
            expect(
                runSiteNew(["blog", "--stack", "stg", "--theme", "astra", "--host", "blog.cloud2-stg.example.com"], { ...io, root }),
            ).to.equal(0);
            const text = fs.readFileSync(path.join(root, "sites", "stg", "blog.yaml"), "utf8");
            expect(parse(text)).to.deep.equal({ id: "blog", name: "blog", theme: "astra", hostnames: ["blog.cloud2-stg.example.com"] });
            expect(out.join("\n")).to.include("The site title is the id");
        });

        it("refuses an existing id with exit code 1, and leaves the file as it was", () => {
            const original = stgSite("rrr");
            const root = projectRoot({ stg: { "rrr.yaml": original } });
            const before = tree(root);
            const { err, io } = capture();
            expect(
                runSiteNew(["rrr", "--stack", "stg", "--theme", "astra", "--host", "new.cloud2-stg.example.com"], { ...io, root }),
            ).to.equal(1);
            expect(err.join("\n")).to.match(/id \(<id>\): "rrr" is taken: .*sites\/stg\/rrr\.yaml exists/);
            expect(err.join("\n")).to.include("Nothing was written.");
            expect(fs.readFileSync(path.join(root, "sites", "stg", "rrr.yaml"), "utf8")).to.equal(original);
            expect(tree(root)).to.deep.equal(before);
        });

        it("refuses an id whose file is the .yml of an existing site", () => {
            const root = projectRoot({ stg: { "rrr.yml": stgSite("rrr") } });
            const { err, io } = capture();
            expect(
                runSiteNew(["rrr", "--stack", "stg", "--theme", "astra", "--host", "new.cloud2-stg.example.com"], { ...io, root }),
            ).to.equal(1);
            expect(err.join("\n")).to.match(/"rrr" is taken: .*rrr\.yml exists/);
            expect(fs.existsSync(path.join(root, "sites", "stg", "rrr.yaml"))).to.equal(false);
        });

        it("refuses a hostname already used by another site of the stack, naming that site's file", () => {
            const root = projectRoot({
                stg: { "rrr.yaml": stgSite("rrr", ["rrr.cloud2-stg.example.com", "shared.cloud2-stg.example.com"]) },
            });
            const before = tree(root);
            const { err, io } = capture();
            const args = [
                "shop",
                "--stack",
                "stg",
                "--theme",
                "astra",
                "--host",
                "shop.cloud2-stg.example.com",
                "--host",
                "shared.cloud2-stg.example.com",
            ];
            expect(runSiteNew(args, { ...io, root })).to.equal(1);
            const rrr = path.join(root, "sites", "stg", "rrr.yaml");
            expect(err.join("\n")).to.include(
                `hostnames[1] (--host): "shared.cloud2-stg.example.com" is already a hostname of site "rrr" (${rrr}); a hostname routes to one site only`,
            );
            expect(tree(root)).to.deep.equal(before);
        });

        it("refuses a hostname outside the stack's allowedDomains, in the loader's words", () => {
            const root = projectRoot({ stg: {} });
            const { err, io } = capture();
            const args = [
                "shop",
                "--stack",
                "stg",
                "--theme",
                "astra",
                "--host",
                "shop.cloud2-stg.example.com",
                "--host",
                "shop.example.org",
            ];
            expect(runSiteNew(args, { ...io, root })).to.equal(1);
            expect(tree(path.join(root, "sites"))).to.deep.equal(["stg"]);
            // The same file, loaded by the program's loader with the stack's allowed domains.
            const dir = path.join(temp, `loader-${++roots}`);
            fs.mkdirSync(dir);
            fs.writeFileSync(path.join(dir, "shop.yaml"), stgSite("shop", ["shop.cloud2-stg.example.com", "shop.example.org"]));
            const { allowedDomains } = stackSites("stg", root);
            const problem = loadError(dir, allowedDomains).problems.find((p) => p.field === "hostnames[1]");
            expect(problem?.message).to.match(/not under a domain allowed/);
            expect(err.join("\n")).to.include(`  hostnames[1] (--host): ${problem?.message}`);
        });

        it("refuses a bad id (upper case, reserved, a path, a trailing hyphen) with the loader's message, writing nothing", () => {
            const root = projectRoot({ stg: {} });
            const cases: [string, RegExp][] = [
                ["Shop", /id \(<id>\): "Shop" must be lowercase \("shop"\)/],
                ["www", /id \(<id>\): "www" is reserved/],
                ["../evil", /id \(<id>\): "\.\.\/evil" may hold only lowercase letters, digits and hyphens/],
                ["shop-", /id \(<id>\): "shop-" must not end with a hyphen/],
            ];
            for (const [id, message] of cases) {
                const { err, io } = capture();
                expect(
                    runSiteNew([id, "--stack", "stg", "--theme", "astra", "--host", "x.cloud2-stg.example.com"], { ...io, root }),
                    id,
                ).to.equal(1);
                const text = err.join("\n");
                expect(text, id).to.match(message);
                expect(text, id).not.to.include("must equal the file's base name");
            }
            expect(tree(root)).to.deep.equal(["Pulumi.stg.yaml", "image", THEMES_PATH, "sites", path.join("sites", "stg")]);
        });

        it("lists every problem of the new file at once, each with the option it comes from", () => {
            const root = projectRoot({ stg: {} });
            const { err, io } = capture();
            const args = [
                "shop",
                "--stack",
                "stg",
                "--theme",
                "Astra",
                "--host",
                "Shop.cloud2-stg.example.com",
                "--service",
                "red",
                "--isolation",
                "private",
                "--canonical",
                "other.cloud2-stg.example.com",
            ];
            expect(runSiteNew(args, { ...io, root })).to.equal(1);
            const text = err.join("\n");
            expect(text).to.match(/, 5 problems:/);
            expect(text).to.match(/^ {2}isolation \(--isolation\): must be one of shared, dedicated, not the text "private"/m);
            expect(text).to.match(/^ {2}theme \(--theme\): "Astra" is not a WordPress theme slug/m);
            expect(text).to.match(/^ {2}hostnames\[0\] \(--host\): "Shop\.cloud2-stg\.example\.com" must be lowercase/m);
            expect(text).to.match(/^ {2}service \(--service\): must be one of blue, green, active, not the text "red"/m);
            expect(text).to.match(/^ {2}canonicalHostname \(--canonical\): "other\.cloud2-stg\.example\.com" must be one of hostnames/m);
        });

        it("refuses to add to a sites folder that has problems already", () => {
            const root = projectRoot({ stg: { "bad.yaml": "id: bad\nhostname: x\n" } });
            const { err, io } = capture();
            expect(
                runSiteNew(["shop", "--stack", "stg", "--theme", "astra", "--host", "shop.cloud2-stg.example.com"], { ...io, root }),
            ).to.equal(1);
            expect(err.join("\n")).to.match(/has problems already; fix them first[\s\S]*bad\.yaml:2:1: hostname: unknown field/);
            expect(fs.existsSync(path.join(root, "sites", "stg", "shop.yaml"))).to.equal(false);
        });

        it("prints the usage and exits 2 on bad arguments (as render and local do), 1 on an unknown stack", () => {
            const root = projectRoot({ stg: {} });
            const runs: [string[], number, RegExp][] = [
                [
                    ["shop", "--theme", "astra", "--host", "a.cloud2-stg.example.com"],
                    2,
                    /--stack is required[\s\S]*usage: npm run site:new/,
                ],
                [["--stack", "stg", "--theme", "astra"], 2, /the site id is missing.*--host is required[\s\S]*usage:/],
                [
                    ["shop", "--stack", "stg", "--theme", "astra", "--host", "a.cloud2-stg.example.com", "--hots", "b"],
                    2,
                    /site:new: unknown option --hots\n\nusage:/,
                ],
                [
                    ["shop", "--stack", "qa", "--theme", "astra", "--host", "a.cloud2-stg.example.com"],
                    1,
                    /no stack "qa": there is no Pulumi\.qa\.yaml.*the stacks are stg/,
                ],
            ];
            for (const [args, code, message] of runs) {
                const { err, io } = capture();
                expect(runSiteNew(args, { ...io, root }), args.join(" ")).to.equal(code);
                expect(err.join("\n"), args.join(" ")).to.match(message);
            }
            expect(tree(path.join(root, "sites", "stg"))).to.deep.equal([]);
        });

        it("--dry-run prints the file and writes nothing", () => {
            const root = projectRoot({ stg: {} });
            const { out, io } = capture();
            expect(
                runSiteNew(["shop", "--stack", "stg", "--theme", "astra", "--host", "shop.cloud2-stg.example.com", "--dry-run"], {
                    ...io,
                    root,
                }),
            ).to.equal(0);
            expect(out.join("\n")).to.include(`${SCHEMA_LINE}\nid: shop\n`);
            expect(tree(path.join(root, "sites", "stg"))).to.deep.equal([]);
        });

        it("writes files Prettier leaves as they are (npm run lint checks site files), whatever the title", async () => {
            const dir = path.join(ROOT, "sites", "stg");
            const options = { ...((await prettier.resolveConfig(path.join(dir, "x.yaml"))) ?? {}), filepath: path.join(dir, "x.yaml") };
            for (const name of [`Bob's | "Shop": yes`, `'a' "b"`, "yes", "123", "#1 shop", "Harbor Café (staging)", `say "hi"`]) {
                const text = siteFileText(
                    { id: "shop", stack: "stg", theme: "astra", hostnames: ["shop.cloud2-stg.example.com"], name, service: "blue" },
                    dir,
                );
                expect(await prettier.format(text, options), name).to.equal(text);
                expect(parse(text).name, name).to.equal(name);
            }
        });

        it("never overwrites a file that appeared between the check and the write", () => {
            const root = projectRoot({ stg: {} });
            const target = stackSites("stg", root);
            const plan = planSite({ id: "shop", stack: "stg", theme: "astra", hostnames: ["shop.cloud2-stg.example.com"] }, target, {
                root,
            });
            fs.writeFileSync(plan.file, "someone else's\n");
            expect(() => writeSite(plan)).to.throw(SiteNewError, /exists; it was not overwritten/);
            expect(fs.readFileSync(plan.file, "utf8")).to.equal("someone else's\n");
        });
    });

    describe("sites:check", () => {
        it("passes on the committed stacks, one line per stack", () => {
            const { out, err, io } = capture();
            expect(runSitesCheck([], io)).to.equal(0);
            expect(err).to.deep.equal([]);
            const stacks = listStacks();
            expect(stacks).to.include.members(["prod", "stg"]);
            expect(out.map((l) => l.split(":")[0])).to.deep.equal(stacks);
            for (const stack of stacks) {
                const count = loadSites(stackSites(stack).sitesDir).length;
                const line = new RegExp(`^${stack}: ok, ${count} sites? in sites/${stack} `);
                expect(
                    out.some((l) => line.test(l)),
                    `${line} in ${JSON.stringify(out)}`,
                ).to.equal(true);
            }
        });

        it("warns, and passes, when a site's theme is not one the reference image ships", () => {
            const root = projectRoot({
                stg: { "rrr.yaml": stgSite("rrr"), "shop.yaml": stgSite("shop").replace("theme: astra", "theme: twentytwentyone") },
            });
            const { out, err, io } = capture();
            expect(runSitesCheck([], { ...io, root })).to.equal(0);
            expect(out).to.deep.equal([`stg: ok, 2 sites in ${path.join(root, "sites", "stg")} (rrr, shop)`]);
            expect(err).to.deep.equal([
                `warning: ${path.join(root, "sites", "stg", "rrr.yaml")}:4:8: theme: "astra" is not a theme the reference image ships ` +
                    "(image/themes.txt: twentytwentyone, twentytwentytwo, twentytwentythree): the deploy fails at its activate-theme Job " +
                    'unless the stack runs an image that has it (image/README.md, "Adapt an existing image")',
            ]);
        });

        it("fails on a bad folder, listing every problem in the program's words", () => {
            const root = projectRoot({
                stg: {
                    "rrr.yaml": stgSite("rrr"),
                    "shop.yaml": `id: shop\nname: Shop\ntheme: astra\nhostnames: [rrr.cloud2-stg.example.com, a.example.org]\nhostname: x\n`,
                },
                prod: {},
            });
            const expected = loadError(path.join(root, "sites", "stg"), ["cloud2-stg.example.com"]);
            expect(expected.problems).to.have.length(3);
            const { out, err, io } = capture();
            expect(runSitesCheck([], { ...io, root })).to.equal(1);
            expect(err[0]).to.equal(`stg: ${expected.message}`);
            expect(err[1]).to.equal("sites:check: 1 of 2 stacks failed");
            expect(out).to.deep.equal([`prod: ok, 0 sites in ${path.join(root, "sites", "prod")}`]);
        });

        it("with paths, checks only the stacks they belong to, and nothing when none does", () => {
            const root = projectRoot({ stg: { "rrr.yaml": stgSite("rrr") }, prod: { "bad.yaml": "id: bad\n" } });
            const run = (args: string[]) => {
                const { out, err, io } = capture();
                const code = runSitesCheck(args, { ...io, root, cwd: root });
                return { code, out, err };
            };
            const stg = run(["sites/stg/rrr.yaml", "README.md"]);
            expect(stg.code).to.equal(0);
            expect(stg.out)
                .to.have.length(1)
                .and.to.match(/^stg: ok, 1 site in /);
            for (const args of [["sites/prod/bad.yaml"], ["sites/prod"], ["Pulumi.prod.yaml"], ["sites/prod/deleted.yaml"]]) {
                const prod = run(args);
                expect(prod.code, args[0]).to.equal(1);
                expect(prod.err[0], args[0]).to.match(/^prod: \d+ problems? in the site files of /);
                expect(prod.out, args[0]).to.deep.equal([]);
            }
            const none = run(["README.md", "sites/other/x.yaml", "sitesx/stg/a.yaml"]);
            expect(none.code).to.equal(0);
            expect(none.out).to.deep.equal([
                "sites:check: no site file, sites folder or stack file among the given paths; nothing to check",
            ]);
        });

        it("fails when a stack's config cannot be read, since the program could not run it", () => {
            const root = projectRoot({ stg: {} });
            fs.writeFileSync(path.join(root, "Pulumi.qa.yaml"), "config:\n  wp-platform:image: wordpress:latest\n");
            const { err, io } = capture();
            expect(runSitesCheck(["sites/stg"], { ...io, root })).to.equal(1);
            expect(err[0]).to.match(/^qa: \d+ problems in the stack config:\n {2}Pulumi\.qa\.yaml:/);
            expect(err[0]).to.include("\n  Pulumi.qa.yaml: wp-platform:release: required");
            expect(err[0]).to.match(/\n1 problem in the site files of .*sites\/qa:\n.*the sites folder does not exist/);
            fs.writeFileSync(path.join(root, "Pulumi.qa.yaml"), "config:\n  wp-platform:image: [\n");
            const unreadable = capture();
            expect(runSitesCheck(["sites/stg"], { ...unreadable.io, root })).to.equal(1);
            expect(unreadable.err[0]).to.match(/^qa: cannot read the stack config \(.*Pulumi\.qa\.yaml\): /);
        });

        it("lists a stack's config problems and its site files' problems together, as the program does", () => {
            const typo = `${SCHEMA_LINE}\nid: shop\nname: Shop\ntheme: twentytwentythree\nhostname: shop.cloud2-stg.example.com\n`;
            const root = projectRoot({ stg: { "rrr.yaml": stgSite("rrr"), "shop.yaml": typo } });
            const stackFile = path.join(root, "Pulumi.stg.yaml");
            fs.writeFileSync(stackFile, fs.readFileSync(stackFile, "utf8").replace("active: blue", "active: bleu"));
            const { out, err, io } = capture();
            expect(runSitesCheck(["sites/stg/shop.yaml"], { ...io, root, cwd: root })).to.equal(1);
            expect(out).to.deep.equal([]);
            const message = err.join("\n");
            expect(message).to.match(
                /^stg: 1 problem in the stack config:\n {2}Pulumi\.stg\.yaml:\d+:\d+: wp-platform:release\.active: blue or green \(got "bleu"\)\n/,
            );
            const dir = path.join(root, "sites", "stg");
            expect(message).to.include(`\n2 problems in the site files of ${dir}:\n${dir}/shop.yaml`);
            expect(message).to.include(`\n${dir}/shop.yaml:5:1: hostname: unknown field; did you mean "hostnames"`);
            expect(err[err.length - 1]).to.equal("sites:check: 1 of 1 stack failed");
        });

        it("exits 2 on an unknown option, with the usage", () => {
            const { err, io } = capture();
            expect(runSitesCheck(["--strict"], io)).to.equal(2);
            expect(err.join("\n")).to.match(/^sites:check: unknown option --strict\n\nusage: npm run sites:check/);
        });

        it("stacksOfPaths maps site files, sites folders and stack files to their stacks", () => {
            const targets = [
                { stack: "stg", sitesDir: "/p/sites/stg", allowedDomains: [] },
                { stack: "prod", sitesDir: "/p/sites/prod", allowedDomains: [] },
            ];
            const of = (paths: string[]) => [...stacksOfPaths(paths, targets, "/p", "/p")].sort();
            expect(of(["sites/stg/a.yaml"])).to.deep.equal(["stg"]);
            expect(of(["sites/stg/a.YML", "/p/sites/prod"])).to.deep.equal(["prod", "stg"]);
            expect(of(["Pulumi.prod.yaml"])).to.deep.equal(["prod"]);
            // Any entry of a sites folder, at any depth: the loader refuses what is not a site file there.
            expect(of(["sites/stg/sub/a.yaml"])).to.deep.equal(["stg"]);
            expect(of(["sites/prod/shop.yaml.bak"])).to.deep.equal(["prod"]);
            expect(of(["Pulumi.qa.yaml", "Pulumi.yaml", "sites/stgx/a.yaml", "other/sites/stg/a.yaml"])).to.deep.equal([]);
        });

        it("checkStack returns the program's SiteFileError for a missing folder, never zero sites", () => {
            const check = checkStack({ stack: "stg", sitesDir: path.join(temp, "nowhere"), allowedDomains: [] });
            expect(check.sites).to.equal(undefined);
            expect(check.error).to.be.instanceOf(SiteFileError);
            expect(check.error?.message).to.match(/the sites folder does not exist/);
        });
    });

    describe("site file JSON Schema", () => {
        it("schema/site.schema.json is the one generated from siteFileSchema (run `npm run schema` after a change)", async () => {
            const committed = fs.readFileSync(path.join(ROOT, SCHEMA_PATH), "utf8");
            expect(committed, "schema/site.schema.json is out of date: run `npm run schema` and commit it").to.equal(
                await siteSchemaText(),
            );
        });

        it("`npm run schema -- --check` fails on a stale file and the generator rewrites it", async () => {
            const root = path.join(temp, `schema-${++roots}`);
            fs.mkdirSync(path.join(root, "schema"), { recursive: true });
            fs.writeFileSync(path.join(root, SCHEMA_PATH), "{}\n");
            const log = console.log;
            const error = console.error;
            console.log = console.error = () => undefined;
            try {
                expect(await runSiteSchema(["--check"], root)).to.equal(1);
                expect(await runSiteSchema([], root)).to.equal(0);
                expect(await runSiteSchema(["--check"], root)).to.equal(0);
            } finally {
                console.log = log;
                console.error = error;
            }
            expect(fs.readFileSync(path.join(root, SCHEMA_PATH), "utf8")).to.equal(await siteSchemaText());
        });

        it("gives editors a title, descriptions, patterns, enums, required fields and no unknown field", () => {
            const schema = siteJsonSchema() as any;
            expect(schema.$schema).to.equal("http://json-schema.org/draft-07/schema#");
            expect(schema.title).to.be.a("string").and.not.equal("");
            expect(schema.description).to.be.a("string").and.not.equal("");
            expect(schema.type).to.equal("object");
            expect(schema.additionalProperties).to.equal(false);
            expect(schema.required).to.deep.equal(["id", "name", "theme", "hostnames"]);
            for (const [field, property] of Object.entries<any>(schema.properties)) {
                expect(property.description, field).to.be.a("string").and.not.equal("");
            }
            const { id, theme, hostnames, canonicalHostname, service } = schema.properties;
            expect(id.pattern).to.equal(SITE_ID_PATTERN.source);
            expect(id.not.enum).to.deep.equal([...RESERVED_SITE_IDS]);
            expect(theme.pattern).to.be.a("string");
            expect(hostnames).to.include({ type: "array", minItems: 1, uniqueItems: true });
            expect(hostnames.items.pattern).to.equal(canonicalHostname.pattern);
            expect(service.enum).to.deep.equal([...SERVICES]);
            expect(service.default).to.equal("active");
        });

        it("its hostname pattern agrees with the loader's rule", () => {
            const { items } = (siteJsonSchema() as any).properties.hostnames;
            const pattern = new RegExp(items.pattern);
            const samples = [
                "a.b",
                "rrr.cloud2-stg.example.com",
                "xn--caf-dma.example.com",
                `${"a".repeat(63)}.com`,
                "1.2.3.4",
                "",
                "localhost",
                "A.example.com",
                "*.example.com",
                "a..b",
                "-a.b",
                "a-.b",
                `${"a".repeat(64)}.com`,
                "example.com.",
                "a_b.example.com",
                "https://a.example.com",
                "a.example.com:443",
                `${"a.".repeat(126)}aa`,
            ];
            for (const host of samples) {
                expect(pattern.test(host) && host.length <= items.maxLength, JSON.stringify(host)).to.equal(isHostname(host));
            }
        });

        it("every committed site file starts with the schema line, which points at the schema", () => {
            for (const stack of listStacks()) {
                const { sitesDir } = stackSites(stack);
                expect(fs.existsSync(path.resolve(sitesDir, schemaRef(sitesDir))), stack).to.equal(true);
                const files = fs.readdirSync(sitesDir).filter((f) => /\.ya?ml$/i.test(f));
                expect(files, stack).not.to.deep.equal([]);
                for (const file of files) {
                    const first = fs.readFileSync(path.join(sitesDir, file), "utf8").split("\n")[0];
                    expect(first, `add "${schemaLine(sitesDir)}" as the first line of ${path.join(stack, file)}`).to.equal(
                        schemaLine(sitesDir),
                    );
                }
            }
            expect(schemaLine(path.join(ROOT, "sites", "stg"))).to.equal(SCHEMA_LINE);
        });
    });

    describe("the commands (spawned)", () => {
        it("npm run sites:check passes on the committed stacks", () => {
            const result = runScript("sites:check", []);
            expect(result.stderr).to.equal("");
            expect(result.status).to.equal(0);
            expect(
                result.stdout
                    .trim()
                    .split("\n")
                    .map((l) => l.split(":")[0]),
            ).to.deep.equal(listStacks());
        });

        it("npm run site:new refuses an existing id with exit code 1 and leaves the file alone", () => {
            const file = path.join(ROOT, "sites", "stg", "rrr.yaml");
            const before = fs.readFileSync(file, "utf8");
            const listing = fs.readdirSync(path.dirname(file));
            const result = runScript("site:new", ["rrr", "--stack", "stg", "--theme", "astra", "--host", "rrr2.cloud2-stg.example.com"]);
            expect(result.status).to.equal(1);
            expect(result.stderr).to.include('id (<id>): "rrr" is taken: sites/stg/rrr.yaml exists');
            expect(fs.readFileSync(file, "utf8")).to.equal(before);
            expect(fs.readdirSync(path.dirname(file))).to.deep.equal(listing);
        });
    });
});
