// Offline render of a stack: its Kubernetes objects as validated manifests and its cloud resources
// as a table, from the program run under Pulumi mocks. No cloud, no cluster, no Pulumi CLI.
//
//   npm run render -- <stack> [--out <dir>]      writes out/<stack>/ (or <dir>), replacing it wholly
//
// Exit 0 when written; 1 on an unknown stack, a program error (bad config, bad site file) or an
// invalid manifest, having written nothing; 2 on a usage error. See tools/render/stack.ts.
import * as path from "path";
import { ROOT } from "./offline";
import { renderStack, writeRender } from "./render/stack";

export const USAGE = `usage: npm run render -- <stack> [--out <dir>]

Runs the program for <stack> offline (Pulumi mocks, preview mode) and writes out/<stack>/ (or <dir>):
one validated YAML manifest per Kubernetes object, cloud.md with the other resources, outputs.yaml
with the stack outputs, README.md.`;

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): { stack: string; outDir: string } {
    let stack: string | undefined;
    let outDir: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "-h" || arg === "--help") throw new UsageError("");
        if (arg === "--out") {
            outDir = argv[++i];
            if (outDir === undefined) throw new UsageError("--out needs a folder");
        } else if (arg.startsWith("-")) {
            throw new UsageError(`unknown option ${arg}`);
        } else if (stack === undefined) {
            stack = arg;
        } else {
            throw new UsageError(`one stack at a time (got ${stack} and ${arg})`);
        }
    }
    if (stack === undefined) throw new UsageError("which stack?");
    return { stack, outDir: outDir ?? path.join(ROOT, "out", stack) };
}

async function main(argv: readonly string[]): Promise<number> {
    let args: { stack: string; outDir: string };
    try {
        args = parseArgs(argv);
    } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        if (e.message) console.error(`render: ${e.message}`);
        console.error(USAGE);
        return 2;
    }
    const started = Date.now();
    try {
        const files = await renderStack(args.stack);
        writeRender(files, args.outDir);
        const objects = [...files.keys()].filter((f) => f.startsWith("k8s/")).length;
        const shown = path.relative(process.cwd(), args.outDir) || ".";
        console.log(
            `render: ${shown}: ${objects} Kubernetes objects, cloud.md, outputs.yaml, README.md (${((Date.now() - started) / 1000).toFixed(1)}s)`,
        );
        return 0;
    } catch (e) {
        console.error(`render ${args.stack}: ${e instanceof Error ? e.message : String(e)}`);
        return 1;
    }
}

if (require.main === module) {
    let done = false;
    // A promise of the program that never settles would let Node exit, silently and with 0, having
    // written nothing: make that a failure.
    process.on("beforeExit", () => {
        if (!done) {
            console.error("render: the program run never finished (a promise that never settles)");
            process.exit(1);
        }
    });
    main(process.argv.slice(2)).then(
        (code) => {
            done = true;
            process.exitCode = code;
        },
        (e) => {
            done = true;
            console.error(e);
            process.exitCode = 1;
        },
    );
}
