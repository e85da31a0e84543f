import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";

// Parses the GitHub Actions workflows and checks what the pipeline relies on, so a broken or
// widened workflow fails `npm test` here instead of on GitHub. Job conditions, concurrency groups,
// runners and environment values are evaluated with a small evaluator of GitHub's expression
// syntax (literals, context properties, !, ==, !=, &&, ||, parentheses) against made-up events.

const ROOT = path.join(__dirname, "..");
const WORKFLOWS = path.join(ROOT, ".github", "workflows");

type Dict = Record<string, unknown>;

interface Step {
    name?: string;
    id?: string;
    if?: string;
    uses?: string;
    run?: string;
    with?: Dict;
    env?: Dict;
    "working-directory"?: string;
}

interface Job {
    name?: string;
    if?: string;
    needs?: string | string[];
    "runs-on"?: unknown;
    permissions?: unknown;
    concurrency?: unknown;
    environment?: unknown;
    strategy?: { matrix?: Dict };
    env?: Dict;
    steps?: Step[];
    uses?: string;
}

interface Workflow {
    name?: string;
    on?: unknown;
    permissions?: unknown;
    concurrency?: unknown;
    env?: Dict;
    jobs: Record<string, Job>;
}

// ---------------------------------------------------------------------------------------------
// Loading

const FILES = fs.existsSync(WORKFLOWS)
    ? fs
          .readdirSync(WORKFLOWS)
          .filter((f) => /\.ya?ml$/.test(f))
          .sort()
    : [];

function load(file: string): Workflow {
    const text = fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
    // uniqueKeys is the default: a duplicate key is an error, as it is for GitHub.
    const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0 || doc.warnings.length > 0) {
        throw new Error(`${file}:\n${[...doc.errors, ...doc.warnings].map((e) => e.message).join("\n")}`);
    }
    return doc.toJS() as Workflow;
}

const workflows = new Map<string, Workflow>();
function workflow(file: string): Workflow {
    let wf = workflows.get(file);
    if (!wf) {
        wf = load(file);
        workflows.set(file, wf);
    }
    return wf;
}

function job(file: string, id: string): Job {
    const j = workflow(file).jobs?.[id];
    expect(j, `${file} has no job ${id}`).to.be.an("object");
    return j;
}

function allJobs(): { file: string; id: string; job: Job }[] {
    return FILES.flatMap((file) => Object.entries(workflow(file).jobs ?? {}).map(([id, j]) => ({ file, id, job: j })));
}

/** The workflow's triggers as a map, whichever form `on:` takes. */
function triggers(wf: Workflow): Dict {
    const on = wf.on;
    if (typeof on === "string") return { [on]: null };
    if (Array.isArray(on)) return Object.fromEntries(on.map((e: string) => [e, null]));
    return (on ?? {}) as Dict;
}

const actionName = (uses: string | undefined): string | undefined => uses?.split("@")[0];

function stepsUsing(j: Job, action: string): Step[] {
    return (j.steps ?? []).filter((s) => actionName(s.uses) === action);
}

function stepUsing(j: Job, action: string): Step {
    const found = stepsUsing(j, action);
    expect(found, `steps using ${action}`).to.have.length(1);
    return found[0];
}

/** The index of the first step whose `uses` names the action or whose `run` has a line matching. */
function indexOf(j: Job, what: { uses?: string; run?: RegExp }): number {
    return (j.steps ?? []).findIndex(
        (s) =>
            (what.uses !== undefined && actionName(s.uses) === what.uses) ||
            (what.run !== undefined && runLines(s).some((l) => what.run!.test(l))),
    );
}

/** The commands of a `run` step, one per line, without blank lines and comments. */
function runLines(step: Step): string[] {
    return (step.run ?? "")
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("#"));
}

function pulumiSteps(j: Job): Step[] {
    return stepsUsing(j, "pulumi/actions");
}

function permissionsOf(j: Job): Dict {
    expect(j.permissions, "job permissions").to.be.an("object");
    return j.permissions as Dict;
}

const usesAwsOidc = (j: Job): boolean => stepsUsing(j, "aws-actions/configure-aws-credentials").length > 0;

const commentsOnPullRequests = (j: Job): boolean =>
    pulumiSteps(j).some((s) => String(s.with?.["comment-on-pr"]) === "true") ||
    stepsUsing(j, "actions/github-script").some((s) => /\.(createComment|updateComment)\(/.test(String(s.with?.script)));

// ---------------------------------------------------------------------------------------------
// GitHub expressions

type Token = { kind: "str" | "num" | "id" | "op"; text: string };

function tokenize(src: string): Token[] {
    // whitespace | 'string' | number | context.property.path | operator
    const re = /\s+|'((?:[^']|'')*)'|(-?\d+(?:\.\d+)?)|([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)|(==|!=|&&|\|\||!|\(|\)|,)/y;
    const tokens: Token[] = [];
    while (re.lastIndex < src.length) {
        const at = re.lastIndex;
        const m = re.exec(src);
        if (!m) throw new Error(`unsupported expression syntax at ${at}: ${src}`);
        if (m[1] !== undefined) tokens.push({ kind: "str", text: m[1].replace(/''/g, "'") });
        else if (m[2] !== undefined) tokens.push({ kind: "num", text: m[2] });
        else if (m[3] !== undefined) tokens.push({ kind: "id", text: m[3] });
        else if (m[4] !== undefined) tokens.push({ kind: "op", text: m[4] });
    }
    return tokens;
}

const truthy = (v: unknown): boolean => !(v === false || v === 0 || v === "" || v === null || v === undefined);

function equal(a: unknown, b: unknown): boolean {
    // GitHub compares strings ignoring case.
    if (typeof a === "string" && typeof b === "string") return a.toLowerCase() === b.toLowerCase();
    return (a ?? null) === (b ?? null);
}

/** Evaluates a GitHub Actions expression (with or without `${{ }}`) against the given contexts. */
function evaluate(expression: string, context: Dict): unknown {
    const inner = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(expression);
    const tokens = tokenize(inner ? inner[1] : expression);
    let i = 0;
    const peek = (): Token | undefined => tokens[i];
    const isOp = (text: string): boolean => peek()?.kind === "op" && peek()?.text === text;

    const primary = (): unknown => {
        const t = tokens[i++];
        if (!t) throw new Error(`unexpected end of expression: ${expression}`);
        if (t.kind === "op" && t.text === "(") {
            const v = or();
            if (!isOp(")")) throw new Error(`missing ) in ${expression}`);
            i++;
            return v;
        }
        if (t.kind === "op" && t.text === "!") return !truthy(primary());
        if (t.kind === "str") return t.text;
        if (t.kind === "num") return Number(t.text);
        if (t.kind === "id") {
            if (isOp("(")) throw new Error(`function ${t.text}() is not supported by this evaluator: ${expression}`);
            if (t.text === "true") return true;
            if (t.text === "false") return false;
            if (t.text === "null") return null;
            let v: unknown = context;
            for (const part of t.text.split(".")) {
                v = v !== null && typeof v === "object" ? (v as Dict)[part] : undefined;
            }
            // Like GitHub: a missing property is null; an unset variable or secret is ''.
            const [root] = t.text.split(".");
            if (v === undefined) return root === "vars" || root === "secrets" ? "" : null;
            return v;
        }
        throw new Error(`unexpected ${t.text} in ${expression}`);
    };
    const comparison = (): unknown => {
        let left = primary();
        while (isOp("==") || isOp("!=")) {
            const op = tokens[i++].text;
            const right = primary();
            left = op === "==" ? equal(left, right) : !equal(left, right);
        }
        return left;
    };
    const and = (): unknown => {
        let left = comparison();
        while (isOp("&&")) {
            i++;
            const right = comparison();
            left = truthy(left) ? right : left;
        }
        return left;
    };
    const or = (): unknown => {
        let left = and();
        while (isOp("||")) {
            i++;
            const right = and();
            left = truthy(left) ? left : right;
        }
        return left;
    };
    const value = or();
    if (i !== tokens.length) throw new Error(`unexpected ${tokens[i].text} in ${expression}`);
    return value;
}

/** A string with `${{ }}` placeholders, filled in. */
function interpolate(template: unknown, context: Dict): string {
    return String(template).replace(/\$\{\{([\s\S]*?)\}\}/g, (_, e: string) => {
        const v = evaluate(e, context);
        return v === null || v === undefined ? "" : String(v);
    });
}

/** Whether a job or step with this `if` runs (no `if`: it runs). */
function runs(condition: string | undefined, context: Dict): boolean {
    return condition === undefined ? true : truthy(evaluate(condition, context));
}

const REPO = "acme/wp-platform";

interface Event {
    event?: "pull_request" | "push" | "workflow_dispatch";
    fork?: boolean;
    author?: string;
    ref?: string;
    stack?: string;
    number?: number;
    vars?: Dict;
    secrets?: Dict;
    matrix?: Dict;
}

/** The contexts of a run for a made-up event. */
function ctx(e: Event = {}): Dict {
    const event = e.event ?? "pull_request";
    const number = e.number ?? 7;
    const headRepo = e.fork ? "someone/wp-platform" : REPO;
    return {
        github: {
            event_name: event,
            repository: REPO,
            ref: e.ref ?? (event === "pull_request" ? `refs/pull/${number}/merge` : "refs/heads/main"),
            event:
                event === "pull_request"
                    ? {
                          pull_request: {
                              number,
                              user: { login: e.author ?? "alice" },
                              head: { sha: "a".repeat(40), repo: { full_name: headRepo, fork: !!e.fork } },
                              base: { sha: "b".repeat(40), repo: { full_name: REPO } },
                          },
                      }
                    : event === "workflow_dispatch"
                      ? { inputs: { stack: e.stack } }
                      : {},
        },
        inputs: event === "workflow_dispatch" ? { stack: e.stack } : {},
        vars: e.vars ?? {},
        secrets: e.secrets ?? {},
        matrix: e.matrix ?? {},
        runner: { temp: "/tmp/runner" },
        steps: {},
    };
}

// ---------------------------------------------------------------------------------------------

describe("GitHub Actions workflows", () => {
    it("are ci.yml, preview.yml, preview-comment.yml and deploy.yml", () => {
        expect(FILES).to.include.members(["ci.yml", "deploy.yml", "preview-comment.yml", "preview.yml"]);
    });

    describe("every workflow", () => {
        for (const file of FILES) {
            it(`${file} parses as YAML with no errors, warnings or duplicate keys`, () => {
                expect(() => load(file)).not.to.throw();
                const wf = workflow(file);
                expect(wf.name, "name").to.be.a("string").and.not.empty;
                expect(Object.keys(triggers(wf)), "triggers").to.not.be.empty;
                expect(wf.jobs, "jobs").to.be.an("object").and.not.empty;
            });
        }

        it("has jobs of well-formed steps, known needs, and step and matrix references that exist", () => {
            for (const { file, id, job: j } of allJobs()) {
                const where = `${file} ${id}`;
                expect(j["runs-on"], `${where} runs-on`).to.exist;
                expect(j.steps, `${where} steps`).to.be.an("array").and.not.empty;
                const needs = j.needs === undefined ? [] : ([] as string[]).concat(j.needs);
                for (const n of needs) expect(workflow(file).jobs, `${where} needs ${n}`).to.have.property(n);
                const ids: string[] = [];
                for (const [n, s] of j.steps!.entries()) {
                    const here = `${where} step ${n + 1} (${s.name ?? s.uses ?? "?"})`;
                    expect(!!s.uses !== !!s.run, `${here}: exactly one of uses and run`).to.equal(true);
                    const text = JSON.stringify(s);
                    for (const [, ref] of text.matchAll(/steps\.([\w-]+)\./g)) {
                        expect(ids, `${here} reads steps.${ref}, an earlier step's id`).to.include(ref);
                    }
                    if (s.id) ids.push(s.id);
                }
                const matrix = j.strategy?.matrix ?? {};
                for (const [, key] of JSON.stringify(j).matchAll(/matrix\.([\w-]+)/g)) {
                    expect(matrix, `${where} reads matrix.${key}`).to.have.property(key);
                }
                for (const [, expr] of JSON.stringify(j).matchAll(/\$\{\{(.*?)\}\}/g)) {
                    expect(expr, `${where}: a \${{ }} expression`).not.to.include("${{");
                }
            }
        });

        it("pins every action to a full version tag or a commit SHA, never a branch", () => {
            const pinned = /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/;
            let count = 0;
            for (const { file, id, job: j } of allJobs()) {
                for (const uses of [j.uses, ...(j.steps ?? []).map((s) => s.uses)]) {
                    if (uses === undefined) continue;
                    count++;
                    expect(uses, `${file} ${id}`).to.match(pinned);
                }
            }
            expect(count).to.be.greaterThan(0);
        });

        it("reads only contents at the top level, and declares each job's permissions", () => {
            for (const file of FILES) {
                expect(workflow(file).permissions, `${file} top-level permissions`).to.deep.equal({ contents: "read" });
            }
            for (const { file, id, job: j } of allJobs()) {
                expect(j.permissions, `${file} ${id} permissions`).to.be.an("object");
            }
        });

        it("asks for id-token: write exactly in the jobs that assume an AWS role by OIDC", () => {
            let oidc = 0;
            for (const { file, id, job: j } of allJobs()) {
                const write = permissionsOf(j)["id-token"] === "write";
                expect(write, `${file} ${id}: id-token write`).to.equal(usesAwsOidc(j));
                if (write) oidc++;
                for (const s of stepsUsing(j, "aws-actions/configure-aws-credentials")) {
                    expect(s.with, `${file} ${id}: OIDC, no keys`).not.to.have.any.keys("aws-access-key-id", "aws-secret-access-key");
                }
            }
            expect(oidc).to.be.greaterThan(0);
        });

        it("lets only the jobs that comment write to pull requests, and no job write anything else", () => {
            for (const { file, id, job: j } of allJobs()) {
                const perms = permissionsOf(j);
                expect(perms["pull-requests"] === "write", `${file} ${id}: pull-requests write`).to.equal(commentsOnPullRequests(j));
                const writes = Object.entries(perms)
                    .filter(([, level]) => level === "write")
                    .map(([scope]) => scope);
                expect(writes, `${file} ${id} writes`).to.satisfy((w: string[]) =>
                    w.every((s) => s === "id-token" || s === "pull-requests"),
                );
            }
        });

        it("sets up Node 20 with the npm cache wherever it sets up Node", () => {
            for (const { file, id, job: j } of allJobs()) {
                for (const s of stepsUsing(j, "actions/setup-node")) {
                    expect(String(s.with?.["node-version"]), `${file} ${id}`).to.equal("20");
                    expect(s.with?.cache, `${file} ${id}`).to.equal("npm");
                }
            }
        });

        it("installs with npm ci, after setting up Node, before any other npm command of its job", () => {
            for (const { file, id, job: j } of allJobs()) {
                const npm = (j.steps ?? []).flatMap((s, n) => runLines(s).map((l) => ({ n, l }))).filter((c) => /^npm /.test(c.l));
                if (npm.length === 0) continue;
                expect(npm[0].l, `${file} ${id}: first npm command`).to.equal("npm ci");
                const setupNode = indexOf(j, { uses: "actions/setup-node" });
                expect(setupNode, `${file} ${id}: setup-node`).to.be.within(0, npm[0].n - 1);
            }
        });

        it("runs only npm scripts that package.json defines", () => {
            const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts?: Dict };
            const scripts = Object.keys(pkg.scripts ?? {});
            const used = new Set<string>();
            for (const { job: j } of allJobs()) {
                for (const line of (j.steps ?? []).flatMap(runLines)) {
                    const m = /^npm (?:run(?:-script)? ([\w:-]+)|(test|start))\b/.exec(line);
                    if (m) used.add(m[1] ?? m[2]);
                }
            }
            const expected = ["lint", "typecheck", "test", "render"];
            expect([...used], "npm scripts the workflows run").to.include.members(expected);
            const missing = [...used].filter((s) => !scripts.includes(s));
            expect(missing, "scripts missing from package.json").to.deep.equal([]);
        });

        it("puts no expression into a shell script: event data and secrets reach scripts through env", () => {
            for (const { file, id, job: j } of allJobs()) {
                for (const s of j.steps ?? []) {
                    expect(s.run ?? "", `${file} ${id} ${s.name}`).not.to.include("${{");
                }
            }
        });

        it("runs pulumi preview only in preview.yml and pulumi up only in deploy.yml", () => {
            const seen: Record<string, string[]> = {};
            for (const { file, job: j } of allJobs()) {
                for (const s of pulumiSteps(j)) (seen[String(s.with?.command)] ??= []).push(file);
            }
            expect(seen).to.have.all.keys("preview", "up");
            expect(new Set(seen.preview)).to.deep.equal(new Set(["preview.yml"]));
            expect(new Set(seen.up)).to.deep.equal(new Set(["deploy.yml"]));
        });

        it("serializes every pulumi up of a stack in the group pulumi-<stack>, never cancelling one", () => {
            const groups = new Map<string, string>();
            for (const { file, id, job: j } of allJobs()) {
                for (const s of pulumiSteps(j).filter((p) => p.with?.command === "up")) {
                    const stack = String(s.with?.["stack-name"]);
                    expect(stack, `${file} ${id}: a literal stack name`).to.be.oneOf(["stg", "prod"]);
                    const c = j.concurrency as Dict;
                    expect(c, `${file} ${id} concurrency`).to.be.an("object");
                    expect(c.group, `${file} ${id} group`).to.equal(`pulumi-${stack}`);
                    expect(c["cancel-in-progress"], `${file} ${id} cancel-in-progress`).to.equal(false);
                    groups.set(`${file} ${id}`, stack);
                }
            }
            expect(new Set(groups.values())).to.deep.equal(new Set(["stg", "prod"]));
        });

        it("checks out, installs, assumes the AWS role and writes the kubeconfig before each Pulumi step", () => {
            for (const { file, id, job: j } of allJobs()) {
                if (pulumiSteps(j).length === 0) continue;
                const where = `${file} ${id}`;
                const order = [
                    indexOf(j, { uses: "actions/checkout" }),
                    indexOf(j, { uses: "actions/setup-node" }),
                    indexOf(j, { run: /^npm ci$/ }),
                    indexOf(j, { uses: "aws-actions/configure-aws-credentials" }),
                    indexOf(j, { run: /^aws eks update-kubeconfig --name "\$CLUSTER"/ }),
                    indexOf(j, { uses: "pulumi/actions" }),
                ];
                expect(
                    order.every((n) => n >= 0),
                    `${where} has every step: ${order}`,
                ).to.equal(true);
                expect(
                    [...order].sort((a, b) => a - b),
                    `${where} step order`,
                ).to.deep.equal(order);
                const aws = stepUsing(j, "aws-actions/configure-aws-credentials");
                expect(String(aws.with?.["role-to-assume"]), `${where} role`).to.include("vars.AWS_ROLE_ARN");
                expect(aws.with?.["aws-region"], `${where} region`).to.equal("${{ vars.AWS_REGION }}");
            }
        });

        it("logs Pulumi in to PULUMI_BACKEND_URL when it is set, else to Pulumi Cloud with the token", () => {
            const token = "pul-0123456789";
            for (const { file, id, job: j } of allJobs()) {
                if (pulumiSteps(j).length === 0) continue;
                const where = `${file} ${id}`;
                const env = { ...(workflow(file).env ?? {}), ...(j.env ?? {}) };
                const secrets = { PULUMI_ACCESS_TOKEN: token };
                const selfManaged = ctx({ vars: { PULUMI_BACKEND_URL: "s3://state" }, secrets });
                const cloud = ctx({ secrets });
                expect(interpolate(env.PULUMI_BACKEND_URL, selfManaged), `${where} self-managed URL`).to.equal("s3://state");
                expect(interpolate(env.PULUMI_ACCESS_TOKEN, selfManaged), `${where} self-managed token`).to.equal("");
                expect(interpolate(env.PULUMI_BACKEND_URL, cloud), `${where} cloud URL`).to.equal("");
                expect(interpolate(env.PULUMI_ACCESS_TOKEN, cloud), `${where} cloud token`).to.equal(token);
            }
        });
    });

    describe("ci.yml", () => {
        const check = (): Job => job("ci.yml", "check");

        it("runs on every push and every pull request, with no branch or path filter", () => {
            const on = triggers(workflow("ci.yml"));
            expect(on).to.have.all.keys("push", "pull_request");
            expect(on.push ?? {}, "push filters").to.deep.equal({});
            expect(on.pull_request ?? {}, "pull_request filters").to.deep.equal({});
        });

        it("installs, lints, type checks, checks the site files, tests and renders both stacks, in that order", () => {
            const commands = (check().steps ?? []).flatMap(runLines);
            expect(commands).to.deep.equal([
                "npm ci",
                "npm run lint",
                "npm run typecheck",
                "npm run sites:check",
                "npm test",
                "npm run render -- stg",
                "npm run render -- prod",
            ]);
        });

        it("uploads the rendered manifests as an artifact, after the render", () => {
            const j = check();
            const upload = stepUsing(j, "actions/upload-artifact");
            expect(String(upload.with?.path).replace(/\/$/, "")).to.equal("out");
            expect(upload.with?.name).to.be.a("string").and.not.empty;
            expect(upload.with?.["if-no-files-found"]).to.equal("error");
            expect(indexOf(j, { uses: "actions/upload-artifact" })).to.be.greaterThan(indexOf(j, { run: /^npm run render -- prod$/ }));
        });

        it("runs the end-to-end test after installing the Debian packages .ci/run installs", () => {
            const e2e = job("ci.yml", "e2e");
            const commands = (e2e.steps ?? []).flatMap(runLines);
            expect(commands.at(-1)).to.equal("npm run test:e2e");
            const ciRun = fs.readFileSync(path.join(ROOT, ".ci", "run"), "utf8");
            const packages = /E2E_PACKAGES=\(([^)]*)\)/.exec(ciRun)![1].split(/\s+/).filter(Boolean);
            const install = commands.find((c) => c.includes("apt-get install"))!;
            for (const p of packages) expect(install.split(/\s+/), p).to.include(p);
            expect(commands.indexOf(install)).to.be.lessThan(commands.indexOf("npm run test:e2e"));
        });

        it("uses no secrets and no credentials", () => {
            const wf = workflow("ci.yml");
            expect(JSON.stringify(wf)).not.to.match(/secrets\.|id-token|configure-aws-credentials|pulumi\/actions/);
            for (const j of Object.values(wf.jobs)) expect(j.permissions).to.deep.equal({ contents: "read" });
        });
    });

    describe("preview.yml", () => {
        const preview = (): Job => job("preview.yml", "preview");
        const renderDiff = (): Job => job("preview.yml", "render-diff");
        const cases: [string, Event][] = [
            ["a branch of this repository", {}],
            ["a fork", { fork: true }],
            ["Dependabot", { author: "dependabot[bot]" }],
        ];

        it("runs on pull requests only", () => {
            expect(triggers(workflow("preview.yml"))).to.have.all.keys("pull_request");
        });

        it("previews stg and prod with pulumi/actions, one pull request comment per stack, edited in place", () => {
            const j = preview();
            expect(j.strategy?.matrix?.stack).to.deep.equal(["stg", "prod"]);
            const s = stepUsing(j, "pulumi/actions");
            expect(s.with?.command).to.equal("preview");
            expect(s.with?.["stack-name"]).to.equal("${{ matrix.stack }}");
            expect(String(s.with?.["comment-on-pr"])).to.equal("true");
            expect(String(s.with?.["edit-pr-comment"])).to.equal("true");
        });

        it("previews pull requests from this repository, and gives forks and Dependabot the render diff", () => {
            for (const [what, e] of cases) {
                const secretsAvailable = !e.fork && !e.author;
                expect(runs(preview().if, ctx(e)), `preview for ${what}`).to.equal(secretsAvailable);
                expect(runs(renderDiff().if, ctx(e)), `render diff for ${what}`).to.equal(!secretsAvailable);
            }
        });

        it("writes the kubeconfig of the previewed stack's cluster", () => {
            const step = preview().steps!.find((s) => runLines(s).some((l) => l.startsWith("aws eks update-kubeconfig")))!;
            expect(step, "update-kubeconfig step").to.exist;
            const vars = { EKS_CLUSTER_STG: "stg-cluster", EKS_CLUSTER_PROD: "prod-cluster" };
            for (const stack of ["stg", "prod"]) {
                const cluster = interpolate(step.env?.CLUSTER, ctx({ vars, matrix: { stack } }));
                expect(cluster, stack).to.equal(`${stack}-cluster`);
            }
        });

        it("keeps previews out of the pulumi up groups: one group per pull request and stack", () => {
            const c = preview().concurrency as Dict;
            expect(c).to.be.an("object");
            const group = (stack: string, number: number): string => interpolate(c.group, ctx({ matrix: { stack }, number }));
            expect(group("stg", 7)).not.to.be.oneOf(["pulumi-stg", "pulumi-prod"]);
            expect(group("prod", 7)).not.to.be.oneOf(["pulumi-stg", "pulumi-prod"]);
            expect(group("stg", 7)).not.to.equal(group("prod", 7));
            expect(group("stg", 7)).not.to.equal(group("stg", 8));
            expect(group("stg", 7)).to.equal(group("stg", 7));
        });

        it("renders fork pull requests in a job with no secrets, no AWS role and a read-only token", () => {
            const j = renderDiff();
            expect(j.permissions).to.deep.equal({ contents: "read" });
            expect(JSON.stringify(j)).not.to.match(/secrets\.|github\.token|id-token/);
            expect(stepsUsing(j, "aws-actions/configure-aws-credentials")).to.be.empty;
            expect(pulumiSteps(j)).to.be.empty;
            for (const s of stepsUsing(j, "actions/checkout")) expect(s.with?.["persist-credentials"]).to.equal(false);
        });

        it("renders both stacks on the base and on the pull request and diffs the two out folders", () => {
            const j = renderDiff();
            const checkouts = stepsUsing(j, "actions/checkout");
            const base = checkouts.find((s) => s.with?.path === "base");
            expect(base, "checkout of the base").to.exist;
            expect(base!.with?.ref).to.equal("${{ github.event.pull_request.base.sha }}");
            const head = checkouts.find((s) => s.with?.path === "head");
            expect(head, "checkout of the pull request").to.exist;
            expect(head!.with?.ref, "the pull request's merge commit").to.be.undefined;
            for (const dir of ["base", "head"]) {
                const commands = (j.steps ?? []).filter((s) => s["working-directory"] === dir).flatMap(runLines);
                expect(commands, dir).to.deep.equal(["npm ci", "npm run render -- stg", "npm run render -- prod"]);
            }
            const diff = indexOf(j, { run: /^diff -ru base\/out head\/out > / });
            expect(diff, "diff -ru base/out head/out").to.be.greaterThan(-1);
            const upload = stepUsing(j, "actions/upload-artifact");
            expect(indexOf(j, { uses: "actions/upload-artifact" })).to.be.greaterThan(diff);
            expect(upload.with?.name).to.equal("render-diff");
            const written = runLines(j.steps![diff]).join("\n");
            const dir = String(upload.with?.path).replace(/\/$/, "");
            expect(written).to.include(`> ${dir}/diff.txt`);
            expect(written).to.include(`> ${dir}/pr-number`);
        });
    });

    describe("preview-comment.yml", () => {
        const comment = (): Job => job("preview-comment.yml", "comment");

        it("runs when the preview workflow completes, naming it as preview.yml names itself", () => {
            const on = triggers(workflow("preview-comment.yml"));
            expect(on).to.have.all.keys("workflow_run");
            const run = on.workflow_run as Dict;
            expect(run.workflows).to.deep.equal([workflow("preview.yml").name]);
            expect(run.types).to.deep.equal(["completed"]);
        });

        it("comments only after a successful preview run of a pull request", () => {
            const c = (event: string, conclusion: string): Dict => ({
                github: { event: { workflow_run: { event, conclusion } } },
            });
            expect(runs(comment().if, c("pull_request", "success"))).to.equal(true);
            expect(runs(comment().if, c("pull_request", "failure"))).to.equal(false);
            expect(runs(comment().if, c("push", "success"))).to.equal(false);
        });

        it("may read artifacts and write pull request comments, nothing more", () => {
            expect(comment().permissions).to.deep.equal({ actions: "read", "pull-requests": "write" });
        });

        it("downloads the render-diff artifact of that run, and never checks out or runs the pull request", () => {
            const j = comment();
            expect(stepsUsing(j, "actions/checkout"), "checkout").to.be.empty;
            expect(stepsUsing(j, "actions/setup-node"), "setup-node").to.be.empty;
            expect(
                (j.steps ?? []).filter((s) => s.run !== undefined),
                "run steps",
            ).to.be.empty;
            const download = stepUsing(j, "actions/download-artifact");
            const upload = stepUsing(job("preview.yml", "render-diff"), "actions/upload-artifact");
            expect(download.with?.name).to.equal(upload.with?.name);
            expect(download.with?.["run-id"]).to.equal("${{ github.event.workflow_run.id }}");
        });

        it("trusts the artifact's pull request number only when that pull request is at the run's commit", () => {
            const script = stepsUsing(comment(), "actions/github-script")
                .map((s) => String(s.with?.script))
                .join("\n");
            expect(script).to.match(/pr\.head\.sha !== run\.head_sha/);
            expect(script).to.match(/\/\^\[1-9\]\[0-9\]\{0,9\}\$\/\.test\(number\)/);
            expect(script, "edits its own comment").to.include("updateComment");
            expect(script, "finds it by a marker").to.include("<!-- wp-platform:render-diff -->");
        });
    });

    describe("deploy.yml", () => {
        const stg = (): Job => job("deploy.yml", "up-stg");
        const prod = (): Job => job("deploy.yml", "up-prod");

        it("runs on pushes to main and by manual dispatch, nothing else", () => {
            const on = triggers(workflow("deploy.yml"));
            expect(on).to.have.all.keys("push", "workflow_dispatch");
            expect((on.push as Dict).branches).to.deep.equal(["main"]);
            const stack = ((on.workflow_dispatch as Dict).inputs as Dict).stack as Dict;
            expect(stack.type).to.equal("choice");
            expect(stack.options).to.have.members(["stg", "prod"]);
        });

        it("runs pulumi up of stg on a push to main", () => {
            expect(runs(stg().if, ctx({ event: "push" }))).to.equal(true);
            expect(runs(stg().if, ctx({ event: "workflow_dispatch", stack: "stg" }))).to.equal(true);
            expect(runs(stg().if, ctx({ event: "workflow_dispatch", stack: "prod" }))).to.equal(false);
            const s = stepUsing(stg(), "pulumi/actions");
            expect(s.with?.command).to.equal("up");
            expect(s.with?.["stack-name"]).to.equal("stg");
        });

        it("runs pulumi up of prod only when dispatched by hand on main, in the production environment", () => {
            expect(runs(prod().if, ctx({ event: "push" })), "push").to.equal(false);
            expect(runs(prod().if, ctx({ event: "workflow_dispatch", stack: "prod" })), "dispatch").to.equal(true);
            expect(runs(prod().if, ctx({ event: "workflow_dispatch", stack: "stg" })), "dispatch stg").to.equal(false);
            const otherBranch = ctx({ event: "workflow_dispatch", stack: "prod", ref: "refs/heads/feature" });
            expect(runs(prod().if, otherBranch), "dispatch from another branch").to.equal(false);
            const env = prod().environment;
            expect(typeof env === "string" ? env : (env as Dict)?.name).to.equal("production");
            const s = stepUsing(prod(), "pulumi/actions");
            expect(s.with?.command).to.equal("up");
            expect(s.with?.["stack-name"]).to.equal("prod");
        });

        it("touches prod from no other job, and only from a job in the production environment", () => {
            for (const { file, id, job: j } of allJobs()) {
                const prodSteps = pulumiSteps(j).filter((s) => s.with?.["stack-name"] === "prod" && s.with?.command !== "preview");
                if (prodSteps.length === 0) continue;
                expect(`${file} ${id}`).to.equal("deploy.yml up-prod");
                expect(j.environment).to.equal("production");
            }
        });

        it("runs each update on the runner DEPLOY_RUNNER_<STACK> or DEPLOY_RUNNER name, else ubuntu-latest", () => {
            for (const [j, stack] of [
                [stg(), "STG"],
                [prod(), "PROD"],
            ] as const) {
                const runner = (vars: Dict): string => interpolate(j["runs-on"], ctx({ vars }));
                expect(runner({}), stack).to.equal("ubuntu-latest");
                expect(runner({ DEPLOY_RUNNER: "vpc-runner" }), stack).to.equal("vpc-runner");
                const both = { DEPLOY_RUNNER: "vpc-runner", [`DEPLOY_RUNNER_${stack}`]: "own" };
                expect(runner(both), stack).to.equal("own");
            }
        });

        it("writes the kubeconfig of each stack's own cluster", () => {
            const vars = { EKS_CLUSTER_STG: "stg-cluster", EKS_CLUSTER_PROD: "prod-cluster" };
            for (const [j, stack] of [
                [stg(), "stg"],
                [prod(), "prod"],
            ] as const) {
                const step = j.steps!.find((s) => runLines(s).some((l) => l.startsWith("aws eks update-kubeconfig")));
                expect(interpolate(step?.env?.CLUSTER, ctx({ vars })), stack).to.equal(`${stack}-cluster`);
            }
        });

        it("trusts the RDS certificate authorities before pulumi up, beside the runner's own roots", () => {
            for (const j of [stg(), prod()]) {
                const i = j.steps!.findIndex((s) => runLines(s).some((l) => l.includes("$RDS_CA_BUNDLE_URL")));
                expect(i, `${j.name}: a step fetching the RDS bundle`).to.be.greaterThan(-1);
                expect(i, `${j.name}: before pulumi up`).to.be.lessThan(indexOf(j, { uses: "pulumi/actions" }));
                const step = j.steps![i];
                expect(step.env?.RDS_CA_BUNDLE_URL).to.equal("https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem");
                const lines = runLines(step);
                expect(lines.find((l) => l.startsWith("curl ")))
                    .to.include("--fail")
                    .and.include("--proto '=https'");
                // Go (the MySQL provider) reads its default bundle file plus every file of each
                // SSL_CERT_DIR folder: the system's folder stays listed, the RDS one is added.
                const exported = lines.find((l) => l.includes('>> "$GITHUB_ENV"'));
                expect(exported).to.equal('echo "SSL_CERT_DIR=${SSL_CERT_DIR:-/etc/ssl/certs}:$dir" >> "$GITHUB_ENV"');
                expect(JSON.stringify(j)).not.to.include("SSL_CERT_FILE");
            }
        });

        it("needs no database path nor RDS bundle for previews", () => {
            const preview = job("preview.yml", "preview");
            expect(JSON.stringify(preview)).not.to.match(/RDS_CA|SSL_CERT|DEPLOY_RUNNER/);
            expect(preview["runs-on"]).to.equal("ubuntu-latest");
        });
    });

    describe("the policy pack", () => {
        it("runs in every pulumi preview and pulumi up", () => {
            let seen = 0;
            for (const { file, id, job: j } of allJobs()) {
                for (const s of pulumiSteps(j)) {
                    expect(s.with?.policyPacks, `${file} ${id}`).to.equal("policy");
                    seen++;
                }
            }
            expect(seen).to.equal(3);
        });

        it("is the pack in policy/, constructed there", () => {
            expect(fs.existsSync(path.join(ROOT, "policy", "PulumiPolicy.yaml"))).to.equal(true);
            expect(fs.readFileSync(path.join(ROOT, "policy", "index.ts"), "utf8")).to.match(/new PolicyPack\(/);
        });
    });

    describe("the expression evaluator these tests use", () => {
        it("follows GitHub's rules for &&, ||, !, == and missing values", () => {
            const c = { vars: { A: "x" }, github: { event_name: "Push" } };
            expect(evaluate("${{ vars.A || 'd' }}", c)).to.equal("x");
            expect(evaluate("vars.B || 'd'", c)).to.equal("d");
            expect(evaluate("!vars.B && 'y' || ''", c)).to.equal("y");
            expect(evaluate("github.event_name == 'push' && (vars.A != 'x')", c)).to.equal(false);
            expect(evaluate("github.nothing.here == null", c)).to.equal(true);
            expect(() => evaluate("contains(vars.A, 'x')", c)).to.throw(/not supported/);
        });
    });
});
