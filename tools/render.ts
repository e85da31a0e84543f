// Offline render of a stack: its Kubernetes objects as validated manifests and its cloud resources
// as a table, from the program run under Pulumi mocks. No cloud, no cluster, no Pulumi CLI.
//
//   npm run render -- <stack> [--out <dir>]      writes out/<stack>/ (or <dir>), replacing it wholly
//
// Exit 0 when written; 1 on an unknown stack, a program error (bad config, bad site file) or an
// invalid manifest, having written nothing; 2 on a usage error (tools/cli.ts). See tools/render/stack.ts.
import * as path from "path";
import { commandLine, readCommandLine, UsageError } from "./cli";
import { ROOT } from "./offline";
import { renderStack, writeRender } from "./render/stack";

export const USAGE = `usage: npm run render -- <stack> [--out <dir>]

Runs the program for <stack> offline (Pulumi mocks, preview mode) and writes out/<stack>/ (or <dir>):
one validated YAML manifest per Kubernetes object, cloud.md with the other resources, outputs.yaml
with the stack outputs, README.md.`;

export function parseArgs(argv: readonly string[]): { stack: string; outDir: string } {
    const { values, positionals } = readCommandLine(argv, { out: { type: "string", needs: "a folder" } }, { positionals: true });
    if (positionals.length === 0) throw new UsageError("which stack?");
    if (positionals.length > 1) throw new UsageError(`one stack at a time (got ${positionals[0]} and ${positionals[1]})`);
    const stack = positionals[0];
    return { stack, outDir: values.out ?? path.join(ROOT, "out", stack) };
}

async function main(argv: readonly string[]): Promise<number> {
    const line = commandLine({ tool: "render", usage: USAGE }, argv, parseArgs);
    if ("exitCode" in line) return line.exitCode;
    const { args } = line;
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
