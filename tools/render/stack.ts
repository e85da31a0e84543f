// The offline render of a stack: the program run under the Pulumi mocks in preview mode
// (tools/offline.ts), its Kubernetes objects as validated manifests and its other resources as a
// table, as files in memory; then written to a folder in one swap.
import * as fs from "fs";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import { type ProgramRun, ROOT, type Registered, configFor, runOffline } from "../offline";
import { listStacks, stackFile } from "../stacks";
import { cloudText, isCloudResource } from "./cloud";
import { kubernetesType, manifestText, manifestsOf, toYaml } from "./kubernetes";
import { renderMocks } from "./mocks";
import { KUBERNETES_MODELS_VERSION, KUBERNETES_VERSION, validateObject } from "./validate";
import { compareText } from "../../src/text";
import { ACCOUNT_ID, REGION } from "../mocks";
import { COMPUTED, KEPT, SECRET, present } from "./values";

/** Relative path (with `/`) -> content: the files of one render. */
export type RenderedFiles = Map<string, string>;

export interface RenderOptions {
    /** Config keys (without the `wp-platform:` namespace) laid over the stack file's, as `configFor` takes them. */
    readonly config?: Record<string, unknown>;
    /** Default: the render's mocks: the tests' account and region, `<computed>` for what the cloud generates. */
    readonly mocks?: pulumi.runtime.Mocks;
}

/** The first line of the README of a render: what marks a folder as one `writeRender` may replace. */
const README_TITLE = "# Offline render of stack";

/** Invalid manifests: every problem of every object, one per line. */
export class RenderValidationError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(
            `${problems.length} problem${problems.length === 1 ? "" : "s"} in the Kubernetes objects ` +
                `(Kubernetes ${KUBERNETES_VERSION} API schema, unknown fields rejected):\n${problems.map((p) => `  ${p}`).join("\n")}`,
        );
        this.name = "RenderValidationError";
    }
}

/** Throws, naming the stacks there are, unless `stack` has a stack file. */
export function checkStackName(stack: string): void {
    // The name becomes a folder under out/: nothing that could climb out of it.
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(stack) || stackFile(stack, ROOT) === undefined) {
        const known = listStacks(ROOT);
        throw new Error(
            `no stack ${JSON.stringify(stack)}: there is no Pulumi.${stack}.yaml; the stacks are ${known.join(", ") || "(none)"}`,
        );
    }
}

/** Runs the program for `stack` and renders it. Rejects with the program's error, or a RenderValidationError. */
export async function renderStack(stack: string, options: RenderOptions = {}): Promise<RenderedFiles> {
    return renderRun(stack, await runStack(stack, options), options.config);
}

/** The program run a render of `stack` is made from: preview mode, the render's mocks. Rejects with the program's error. */
export async function runStack(stack: string, options: RenderOptions = {}): Promise<ProgramRun> {
    checkStackName(stack);
    const { run, error } = await runOffline({
        stack,
        config: configFor(stack, options.config ?? {}),
        mocks: options.mocks ?? renderMocks,
        preview: true,
    });
    if (error) throw error;
    return run;
}

/** The files of a render of one program run; throws a RenderValidationError when an object is invalid. */
export function renderRun(stack: string, run: ProgramRun, overrides: Record<string, unknown> = {}): RenderedFiles {
    const manifests = manifestsOf(run.resources);
    const problems: string[] = [];
    const byFile = new Map<string, string>();
    for (const manifest of manifests) {
        const other = byFile.get(manifest.file);
        if (other !== undefined)
            problems.push(`${manifest.file}: ${manifest.kind} ${manifest.name}: rendered to the same file as ${other}`);
        byFile.set(manifest.file, manifest.resource.urn);
        problems.push(...validateObject(manifest));
    }
    if (problems.length > 0) throw new RenderValidationError(problems);

    const files: RenderedFiles = new Map();
    const cloudCount = run.resources.filter(isCloudResource).length;
    files.set("README.md", readme(stack, manifests.length, cloudCount, overrides) + componentTable(run));
    files.set("cloud.md", cloudText(stack, run.resources, run.hooks));
    files.set("outputs.yaml", outputsText(stack, run));
    for (const manifest of [...manifests].sort((a, b) => compareText(a.file, b.file)))
        files.set(manifest.file, manifestText(manifest, stack));
    return files;
}

/** The stack outputs, as `pulumi stack output` would list them, secrets and unknowns marked. */
function outputsText(stack: string, run: ProgramRun): string {
    const header = [
        `# Rendered by \`npm run render -- ${stack}\`: do not edit. See README.md in this folder.`,
        "# The stack outputs (index.ts): what `pulumi stack output` lists after a deployment.",
    ];
    const outputs = present(run.rawOutputs).value as Record<string, unknown>;
    return `${header.join("\n")}\n${Object.keys(outputs).length > 0 ? toYaml(outputs, []) : "{}\n"}`;
}

/**
 * Per component, how many resources it is: itself and everything under it, as `pulumi preview`
 * counts them (a component is a resource of the plan too). What a new site adds to a preview.
 */
export function componentCounts(run: ProgramRun): { type: string; name: string; resources: number; kubernetes: number }[] {
    const children = new Map<string, Registered[]>();
    for (const r of run.resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
    const under = (urn: string): Registered[] => (children.get(urn) ?? []).flatMap((c) => [c, ...under(c.urn)]);
    return run.resources
        .filter((r) => !r.custom && r.type !== "pulumi:pulumi:Stack")
        .map((component) => {
            const all = [component, ...under(component.urn)];
            return {
                type: component.type,
                name: component.name,
                resources: all.length,
                kubernetes: all.filter((r) => r.custom && kubernetesType(r.type)).length,
            };
        });
}

function componentTable(run: ProgramRun): string {
    const rows = componentCounts(run).map(
        (c) =>
            `| ${c.type.slice(c.type.lastIndexOf(":") + 1)} \`${c.name}\` | ${c.resources} | ${c.kubernetes} | ${c.resources - c.kubernetes - 1} |`,
    );
    return [
        "## Resources per component",
        "",
        "Each component with everything under it, as `pulumi preview` counts resources (the component itself is one).",
        "",
        "| component | resources | Kubernetes objects | other |",
        "| --- | ---: | ---: | ---: |",
        ...rows,
        `| all the program registers | ${run.resources.length} | | |`,
        "",
    ].join("\n");
}

function readme(stack: string, objects: number, cloud: number, overrides: Record<string, unknown>): string {
    const overridden = Object.keys(overrides).sort(compareText);
    return [
        `${README_TITLE} \`${stack}\``,
        "",
        `Written by \`npm run render -- ${stack}\` (tools/render.ts): do not edit, render again. The program (index.ts) ran`,
        `in this process under the Pulumi mock runtime in preview mode, with the config of Pulumi.${stack}.yaml and the`,
        "site files of its `wp-platform:sitesDir`: no cloud, no cluster, no Pulumi CLI, no state.",
        ...(overridden.length > 0 ? ["", `Config overridden for this render: ${overridden.map((k) => `\`${k}\``).join(", ")}.`] : []),
        "",
        `- \`k8s/<namespace>/<kind>-<name>.yaml\` (\`k8s/_cluster/\` for cluster-scoped objects): the ${objects} Kubernetes`,
        "  objects, as the program declares them, each validated against the API schema of",
        `  **Kubernetes ${KUBERNETES_VERSION}** (kubernetes-models ${KUBERNETES_MODELS_VERSION}), unknown fields rejected.`,
        `- \`cloud.md\`: the ${cloud} other resources (AWS, MySQL, random, providers) with their settings, every`,
        "  policy document in full, and the resource hooks the program registers.",
        "- `outputs.yaml`: the stack outputs.",
        "",
        "Each resource's options are shown with it: `protect`, `retainOnDelete`, `ignoreChanges`, and the hooks the",
        "engine runs after deleting it.",
        "",
        `\`${COMPUTED}\` is a value only known after deployment: a name, id or part of an address the cloud generates,`,
        `or a random value. ARNs are built with the mocks' account \`${ACCOUNT_ID}\` and region \`${REGION}\` (tools/mocks.ts),`,
        `stand-ins for the deploying account's. \`${SECRET}\` is a secret: its value is never written here; a Secret keeps`,
        `its keys. \`${KEPT}\` is a field the resource's \`ignoreChanges\` names: after its first deployment the object`,
        "keeps the value it had then, and a change of the program there shows in no preview (a Job's image, say).",
        "",
        "So two renders differ where a `pulumi preview` between them would show a change. It is still what the program",
        "asks for, not a preview: it does not compare with the state, the cloud or the cluster, and what the providers",
        "or the API server default is not shown.",
        "",
    ].join("\n");
}

/**
 * Writes `files` as the whole content of `outDir`: into a new folder beside it, then swapped in,
 * so a failed write leaves the previous render whole and files of removed objects disappear.
 * Refuses to replace a folder that is not empty and not a render.
 */
export function writeRender(files: RenderedFiles, outDir: string): void {
    const target = path.resolve(outDir);
    if (fs.existsSync(target) && fs.readdirSync(target).length > 0 && !isRender(target)) {
        throw new Error(`${outDir} is not a render (no README.md starting "${README_TITLE}"): not replacing it`);
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const temp = fs.mkdtempSync(path.join(path.dirname(target), `.${path.basename(target)}.new-`));
    try {
        for (const [file, content] of files) {
            const dest = path.resolve(temp, ...file.split("/"));
            if (!dest.startsWith(temp + path.sep)) throw new Error(`${file}: not inside the render`);
            fs.mkdirSync(path.dirname(dest), { recursive: true });
            fs.writeFileSync(dest, content);
        }
        if (fs.existsSync(target)) {
            const old = `${temp}.old`;
            fs.renameSync(target, old);
            try {
                fs.renameSync(temp, target);
            } catch (e) {
                fs.renameSync(old, target);
                throw e;
            }
            fs.rmSync(old, { recursive: true, force: true });
        } else {
            fs.renameSync(temp, target);
        }
    } finally {
        fs.rmSync(temp, { recursive: true, force: true });
    }
}

function isRender(dir: string): boolean {
    try {
        return fs.readFileSync(path.join(dir, "README.md"), "utf8").startsWith(README_TITLE);
    } catch {
        return false;
    }
}
