// Writes schema/site.schema.json, the JSON Schema of a site file, generated from siteFileSchema
// (src/sites.ts): the schema is written once, in zod, and editors get it through the
// `# yaml-language-server: $schema=...` line at the top of each site file.
//
//   npm run schema             regenerate schema/site.schema.json
//   npm run schema -- --check  exit 1 when the committed file is not the generated one
//
// The JSON Schema helps editors (completion, hover text, red squiggles); the loader stays the judge:
// rules across files (one hostname per stack, allowedDomains, id = file name) are not in it.
import * as fs from "fs";
import * as path from "path";
import * as prettier from "prettier";
import { z } from "zod";
import { siteFileSchema } from "../src/sites";
import { ROOT, SCHEMA_PATH } from "./stacks";

/** The JSON Schema of a site file (draft-07: what yaml-language-server and most editors read best). */
export function siteJsonSchema(): Record<string, unknown> {
    const generated = z.toJSONSchema(siteFileSchema, { io: "input", target: "draft-7" }) as Record<string, unknown>;
    // `$schema` first, then title and description: what a reader of the file looks for first.
    const { $schema, title, description, ...rest } = generated;
    return { $schema, title, description, ...rest };
}

/** The text of schema/site.schema.json, formatted as Prettier would (`npm run format` leaves it as it is). */
export async function siteSchemaText(): Promise<string> {
    const file = path.join(ROOT, SCHEMA_PATH);
    const options = (await prettier.resolveConfig(file)) ?? {};
    return prettier.format(JSON.stringify(siteJsonSchema(), null, 2), { ...options, filepath: file });
}

export async function runSiteSchema(argv: readonly string[], root: string = ROOT): Promise<number> {
    const file = path.join(root, SCHEMA_PATH);
    const text = await siteSchemaText();
    let current: string | undefined;
    try {
        current = fs.readFileSync(file, "utf8");
    } catch {
        current = undefined;
    }
    if (argv.includes("--check")) {
        if (current === text) {
            console.log(`${SCHEMA_PATH} is up to date`);
            return 0;
        }
        console.error(`${SCHEMA_PATH} is ${current === undefined ? "missing" : "out of date"}: run \`npm run schema\` and commit it`);
        return 1;
    }
    if (argv.length > 0) {
        console.error("usage: npm run schema [-- --check]");
        return 1;
    }
    if (current === text) {
        console.log(`${SCHEMA_PATH} is up to date`);
        return 0;
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    console.log(`wrote ${SCHEMA_PATH}`);
    return 0;
}

if (require.main === module) {
    runSiteSchema(process.argv.slice(2)).then(
        (code) => (process.exitCode = code),
        (e: unknown) => {
            console.error(e);
            process.exitCode = 1;
        },
    );
}
