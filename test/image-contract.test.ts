// The image's PHP re-states parts of the program's contract (docs/image.md): the salt names the
// settings files carry and the site-id rule. One source: these tests read the PHP as text and
// compare it with the TypeScript constants, so a change on one side only fails here.
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { type SiteJob, jobCommand } from "../components/site";
import { SALT_NAMES } from "../src/settings";
import { MAX_SITE_ID_LENGTH, SITE_ID_PATTERN } from "../src/site-rules";

const IMAGE = path.join(__dirname, "..", "image");
const WP_CONFIG = fs.readFileSync(path.join(IMAGE, "wordpress", "wp-config.php"), "utf8");

/** The value of `const <name> = ...;` in wp-config.php, as its PHP source text. */
function phpConst(name: string): string {
    const m = new RegExp(`^const ${name} = ([\\s\\S]*?);$`, "m").exec(WP_CONFIG);
    if (!m) throw new Error(`image/wordpress/wp-config.php has no top-level const ${name}`);
    return m[1];
}

/** The top-level entries image/.dockerignore leaves out of the build context. */
const IGNORED = fs
    .readFileSync(path.join(IMAGE, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.replace(/#.*/, "").trim().replace(/\/$/, ""))
    .filter(Boolean);

/** Every file the image's build context holds (the Dockerfile copies it all): not vendor/, tests/, README.md. */
function shippedFiles(dir = IMAGE): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (dir === IMAGE && IGNORED.includes(e.name)) return [];
        return e.isDirectory() ? shippedFiles(p) : [p];
    });
}

describe("the image's PHP and the program agree", () => {
    it("on the salt names of a site's settings (src/settings.ts SALT_NAMES)", () => {
        const names = [...phpConst("WP_PLATFORM_SALTS").matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]);
        expect(names).to.deep.equal([...SALT_NAMES]);
    });

    it("on what a site id is (src/site-rules.ts SITE_ID_PATTERN)", () => {
        const literal = phpConst("WP_PLATFORM_SITE_ID_PATTERN");
        const m = /^'\/(.*)\/'$/.exec(literal);
        expect(m, `a '/.../' PHP regex literal: ${literal}`).to.not.equal(null);
        expect(m![1]).to.equal(SITE_ID_PATTERN.source);
        // And the same ids pass, at the edges of the rule too.
        const php = new RegExp(m![1]);
        const longest = `a${"b".repeat(MAX_SITE_ID_LENGTH - 1)}`;
        for (const id of ["a", "rrr", "shop-1", "a1", longest, `${longest}c`, "1a", "a-", "-a", "A", "a_b", "", "a.b"]) {
            expect(php.test(id), id).to.equal(SITE_ID_PATTERN.test(id));
        }
        expect(php.test(longest)).to.equal(true);
        expect(php.test(`${longest}c`)).to.equal(false);
    });

    it("checks the site id with that constant, from the Host's index entry and from WP_SITE_ID alike", () => {
        const check = /function wp_platform_check_site_id\([^)]*\)[^{]*\{([\s\S]*?)\n\}/.exec(WP_CONFIG)![1];
        expect(check).to.include("preg_match( WP_PLATFORM_SITE_ID_PATTERN, $id )");
        expect(WP_CONFIG.match(/wp_platform_check_site_id\(/g)).to.have.length(3);
    });

    it("on the Jobs' commands: each `wp platform <job>` the program runs is a subcommand the image registers", () => {
        const php = fs.readFileSync(path.join(IMAGE, "wp-cli", "platform-command.php"), "utf8");
        expect(php).to.include("WP_CLI::add_command( 'platform', 'WP_Platform_Command' );");
        const jobs: SiteJob[] = ["install", "activate-theme", "verify", "flush-caches"];
        const lib = fs.readFileSync(path.join(IMAGE, "wp-cli", "lib.php"), "utf8");
        for (const job of jobs) {
            const [command, group, name] = jobCommand(job);
            expect([command, group, name]).to.deep.equal(["wp", "platform", job]);
            // WP-CLI names a method by its @subcommand tag, else by the method's own name.
            const method = job.replace(/-/g, "_");
            const registered =
                job === method
                    ? php.includes(`public function ${method}(`)
                    : php.includes(`@subcommand ${job}\n\t */\n\tpublic function ${method}(`);
            expect(registered, `wp platform ${job}`).to.equal(true);
            expect(lib, `WP_PLATFORM_JOB_ENV['${job}']`).to.include(`'${job}'`);
        }
        expect(fs.readFileSync(path.join(IMAGE, "wp-cli.yml"), "utf8")).to.match(/^require:\n {2}- wp-cli\/platform-command\.php$/m);
    });

    it("ships no test hook: the crash injection lives in test/e2e/fixtures/crash.php", () => {
        for (const file of shippedFiles())
            expect(fs.readFileSync(file, "utf8"), path.relative(IMAGE, file)).to.not.include("WP_PLATFORM_CRASH_AT");
    });
});
