// tools/cli.ts: the one command-line convention of the tools (README, "Tools"), and the tools
// that follow it.
import { spawnSync } from "child_process";
import * as path from "path";
import { expect } from "chai";
import { parseArgs as benchArgs } from "../tools/bench";
import { commandLine, HelpRequested, readCommandLine, UsageError } from "../tools/cli";
import { parseArgs as localArgs } from "../tools/local";
import { parseArgs as renderArgs } from "../tools/render";
import { ROOT } from "./support/program";

const OPTIONS = {
    out: { type: "string", needs: "a folder" },
    host: { type: "string", multiple: true },
    fresh: { type: "boolean" },
} as const;

function problem(f: () => unknown): string {
    try {
        f();
    } catch (e) {
        if (e instanceof UsageError) return e.message;
        throw e;
    }
    throw new Error("no usage error");
}

function run(argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const parse = (args: readonly string[]) => readCommandLine(args, OPTIONS, { positionals: true });
    const result = commandLine({ tool: "demo", usage: "usage: demo <x>" }, argv, parse, {
        out: (t) => out.push(t),
        err: (t) => err.push(t),
    });
    return { result, out, err };
}

describe("the tools' command line (tools/cli.ts)", () => {
    describe("readCommandLine", () => {
        it("reads options in both spellings, repeated ones as a list, and positionals", () => {
            const line = readCommandLine(["a", "--out", "x", "--host=h1", "--fresh", "--host", "h2", "b"], OPTIONS, { positionals: true });
            expect(line.values).to.deep.equal({ out: "x", host: ["h1", "h2"], fresh: true });
            expect(line.positionals).to.deep.equal(["a", "b"]);
            // The last of a single option wins; a value may start with a dash, as the option takes one.
            expect(readCommandLine(["--out", "x", "--out", "-y"], OPTIONS).values).to.deep.equal({ out: "-y" });
            expect(readCommandLine([], OPTIONS).values).to.deep.equal({});
        });

        it("drops a lone --, which pnpm passes through", () => {
            expect(readCommandLine(["--", "--fresh", "--", "a"], OPTIONS, { positionals: true })).to.deep.equal({
                values: { fresh: true },
                positionals: ["a"],
            });
        });

        it("words each problem the same for every tool", () => {
            expect(problem(() => readCommandLine(["--bogus"], OPTIONS))).to.equal("unknown option --bogus");
            expect(problem(() => readCommandLine(["-x"], OPTIONS))).to.equal("unknown option -x");
            expect(problem(() => readCommandLine(["--out"], OPTIONS))).to.equal("--out needs a folder");
            expect(problem(() => readCommandLine(["--host"], OPTIONS))).to.equal("--host needs a value");
            expect(problem(() => readCommandLine(["--fresh=yes"], OPTIONS))).to.equal("--fresh takes no value");
            expect(problem(() => readCommandLine(["stray"], OPTIONS))).to.equal("unexpected argument stray");
            // Not an option of Object.prototype either.
            expect(problem(() => readCommandLine(["--constructor"], OPTIONS))).to.equal("unknown option --constructor");
        });

        it("answers -h and --help anywhere, before any problem", () => {
            for (const argv of [["-h"], ["--help"], ["--bogus", "--help"], ["stray", "-h"]]) {
                expect(() => readCommandLine(argv, OPTIONS), argv.join(" ")).to.throw(HelpRequested);
            }
            // The value of an option is not a request for help.
            expect(readCommandLine(["--out", "--help"], OPTIONS).values).to.deep.equal({ out: "--help" });
        });
    });

    describe("commandLine", () => {
        it("gives the arguments and prints nothing when they parse", () => {
            const { result, out, err } = run(["a", "--fresh"]);
            expect(result).to.deep.equal({ args: { values: { fresh: true }, positionals: ["a"] } });
            expect([...out, ...err]).to.deep.equal([]);
        });

        it("prints the usage on stdout and exits 0 for help", () => {
            const { result, out, err } = run(["--help"]);
            expect(result).to.deep.equal({ exitCode: 0 });
            expect(out).to.deep.equal(["usage: demo <x>"]);
            expect(err).to.deep.equal([]);
        });

        it("prints '<tool>: <problem>', a blank line and the usage on stderr and exits 2 on a usage error", () => {
            const { result, out, err } = run(["--bogus"]);
            expect(result).to.deep.equal({ exitCode: 2 });
            expect(out).to.deep.equal([]);
            expect(err).to.deep.equal(["demo: unknown option --bogus\n\nusage: demo <x>"]);
        });

        it("lets any other error through", () => {
            const io = { out: () => undefined, err: () => undefined };
            expect(() =>
                commandLine(
                    { tool: "demo", usage: "" },
                    [],
                    () => {
                        throw new RangeError("a bug");
                    },
                    io,
                ),
            ).to.throw(RangeError);
        });
    });

    describe("the tools", () => {
        it("render takes one stack and --out", () => {
            expect(renderArgs(["stg", "--out", "/tmp/x"])).to.deep.equal({ stack: "stg", outDir: "/tmp/x" });
            expect(renderArgs(["prod"]).outDir).to.equal(path.join(ROOT, "out", "prod"));
            expect(problem(() => renderArgs([]))).to.equal("which stack?");
            expect(problem(() => renderArgs(["stg", "prod"]))).to.equal("one stack at a time (got stg and prod)");
            expect(problem(() => renderArgs(["stg", "--out"]))).to.equal("--out needs a folder");
        });

        it("local takes one stack, --port, --sites and --fresh", () => {
            expect(localArgs(["stg", "--port", "8081", "--sites", "d", "--fresh"])).to.deep.equal({
                stack: "stg",
                port: 8081,
                sitesDir: "d",
                fresh: true,
            });
            expect(localArgs(["stg"])).to.deep.equal({ stack: "stg", port: undefined, sitesDir: undefined, fresh: false });
            expect(problem(() => localArgs(["stg", "--port", "0"]))).to.equal("--port needs a port number from 1 to 65535 (got 0)");
            expect(problem(() => localArgs(["stg", "--port", "80a"]))).to.equal("--port needs a port number from 1 to 65535 (got 80a)");
            expect(problem(() => localArgs(["stg", "--port"]))).to.equal("--port needs a port number from 1 to 65535");
            expect(problem(() => localArgs(["stg", "--sites"]))).to.equal("--sites needs a folder");
        });

        it("bench takes --sizes, --floor, --no-add-check, --out and --check, and no positional", () => {
            const options = benchArgs(["--sizes", "100, 10,100", "--floor", "plain-batched,typed", "--no-add-check"]);
            expect(options.sizes).to.deep.equal([10, 100]);
            expect(options.floors).to.deep.equal(["plain-batched", "typed"]);
            expect(options.addCheck).to.equal(false);
            expect(benchArgs([]).sizes).to.deep.equal([10, 100, 500, 1000]);
            expect(benchArgs([]).floors).to.deep.equal(["typed", "plain"]);
            expect(problem(() => benchArgs(["--sizes", "0"]))).to.equal(
                "--sizes takes numbers of sites from 1 to 100000, e.g. --sizes 10,100",
            );
            expect(problem(() => benchArgs(["--floor", "typed,fast"]))).to.match(/^--floor takes any of typed, plain, .* \(not fast\)$/);
            expect(problem(() => benchArgs(["10"]))).to.equal("unexpected argument 10");
        });

        it("npm run render -- --help prints the usage on stdout and exits 0; npm run bench exits 2 on a usage error", () => {
            const spawn = (tool: string, args: string[]) =>
                spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", `tools/${tool}.ts`, ...args], {
                    cwd: ROOT,
                    encoding: "utf8",
                });
            const help = spawn("render", ["--help"]);
            expect(help.status).to.equal(0);
            expect(help.stdout).to.match(/^usage: npm run render -- <stack>/);
            expect(help.stderr).to.equal("");
            const bad = spawn("bench", ["--sizes"]);
            expect(bad.status).to.equal(2);
            expect(bad.stdout).to.equal("");
            expect(bad.stderr).to.match(/^bench: --sizes needs a value\n\nusage: npm run bench /);
        });
    });
});
