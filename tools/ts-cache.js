/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS require hook: it runs before any TypeScript can. */
// Runs TypeScript files with node, transpiled once and then read from a cache, so a warm run does
// not load the TypeScript compiler at all (loading it costs about half a second, more than the
// whole of `sites:check`). Transpile only, like `ts-node --transpile-only`: no type checking
// (`npm run typecheck` does that), with the compiler options of tsconfig.json.
//
//   node --require ./tools/ts-cache.js tools/sites-check.ts
//
// The cache is node_modules/.cache/wp-platform-ts/, one file per (source text, tsconfig.json,
// TypeScript version): an edit of a source makes a new entry, never a stale run. Delete the
// folder at will. Debugging: NODE_OPTIONS=--enable-source-maps maps stack traces to the .ts lines.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "wp-platform-ts");

let tsconfigText;
try {
    tsconfigText = fs.readFileSync(path.join(ROOT, "tsconfig.json"), "utf8");
} catch {
    tsconfigText = "{}";
}
const tsVersion = require("typescript/package.json").version;
const salt = `${tsVersion}\0${tsconfigText}\0${process.version}\0`;

let compilerOptions;
function transpile(source, filename) {
    const ts = require("typescript");
    if (compilerOptions === undefined) {
        const parsed = ts.parseConfigFileTextToJson("tsconfig.json", tsconfigText);
        const json = (parsed.config && parsed.config.compilerOptions) || {};
        compilerOptions = ts.convertCompilerOptionsFromJson(json, ROOT).options;
        Object.assign(compilerOptions, { sourceMap: false, inlineSourceMap: true, inlineSources: false, declaration: false });
    }
    return ts.transpileModule(source, { compilerOptions, fileName: filename }).outputText;
}

function load(module, filename) {
    const source = fs.readFileSync(filename, "utf8");
    const key = crypto.createHash("sha256").update(salt).update(filename).update("\0").update(source).digest("hex");
    const cached = path.join(CACHE, `${key}.js`);
    let js;
    try {
        js = fs.readFileSync(cached, "utf8");
    } catch {
        js = transpile(source, filename);
        try {
            fs.mkdirSync(CACHE, { recursive: true });
            const temp = `${cached}.${process.pid}.tmp`;
            fs.writeFileSync(temp, js);
            fs.renameSync(temp, cached); // atomic: a concurrent run reads a whole entry or none
        } catch {
            // A read-only node_modules: run without the cache.
        }
    }
    module._compile(js, filename);
}

require.extensions[".ts"] = load;
