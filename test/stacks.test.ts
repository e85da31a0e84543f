// The committed stacks, checked only for what must hold of any stack: the program runs on their
// config and site files, and what it registers is sound (unique URNs and names, names within the
// limits of Kubernetes, AWS and MySQL, one Site per site file). No test pins the committed site
// list: adding a site with `npm run site:new` must keep `npm test` green, and the last test here
// does exactly that on a copy of the project's stacks.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { loadSites } from "../src/sites";
import { mocks } from "../tools/mocks";
import { runSiteNew } from "../tools/site-new";
import { listStacks, stackSites } from "../tools/stacks";
import { type ProgramRun, ROOT, type Registered, configFor, runProgram } from "./support/program";
import { stackProblems } from "./support/stack-invariants";
import { runOffline } from "../tools/offline";

/** Runs `stack` as committed under `root`: its stack file and its own site files. */
async function runCommitted(stack: string, root: string = ROOT): Promise<{ run: ProgramRun; ids: string[] }> {
    const { sitesDir } = stackSites(stack, root);
    const ids = loadSites(sitesDir).map((s) => s.id);
    // The program resolves sitesDir against its own folder: give the copy's as an absolute path.
    const { run, error } = await runOffline({ stack, config: configFor(stack, { sitesDir }, root), mocks });
    if (error) throw error;
    return { run, ids };
}

describe("the committed stacks", () => {
    const stacks = listStacks();

    it("are stg and prod, each with at least one site", () => {
        expect(stacks).to.include.members(["stg", "prod"]);
        for (const stack of stacks) expect(loadSites(stackSites(stack).sitesDir), stack).to.not.be.empty;
    });

    for (const stack of listStacks()) {
        it(`${stack}: the program runs, and what it registers is sound`, async () => {
            const { run, ids } = await runCommitted(stack);
            expect(stackProblems(run, ids)).to.deep.equal([]);
        });
    }

    it("stay sound when `npm run site:new` adds a site (on a copy of the project's stacks)", async function () {
        this.timeout(60000);
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "wp-project-"));
        try {
            for (const file of fs.readdirSync(ROOT).filter((f) => /^Pulumi\..+\.ya?ml$/.test(f))) {
                fs.copyFileSync(path.join(ROOT, file), path.join(root, file));
            }
            fs.cpSync(path.join(ROOT, "schema"), path.join(root, "schema"), { recursive: true });
            for (const stack of stacks) {
                const { sitesDir } = stackSites(stack);
                fs.cpSync(sitesDir, path.join(root, path.relative(ROOT, sitesDir)), { recursive: true });
            }
            for (const stack of stacks) {
                const before = loadSites(stackSites(stack, root).sitesDir).map((s) => s.id);
                const id = ["added-site", "added-site-2", "added-site-3"].find((candidate) => !before.includes(candidate))!;
                const domain = stackSites(stack, root).allowedDomains[0] ?? "example.com";
                const out: string[] = [];
                const code = runSiteNew([id, "--stack", stack, "--theme", "astra", "--host", `${id}.${domain}`], {
                    root,
                    out: (t) => out.push(t),
                    err: (t) => out.push(t),
                });
                expect(code, out.join("\n")).to.equal(0);

                const { run, ids } = await runCommitted(stack, root);
                expect(ids).to.deep.equal([...before, id].sort());
                expect(stackProblems(run, ids), stack).to.deep.equal([]);
            }
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });
});

describe("the checks of any stack", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ stack: "stg" });
    });
    const ids = () => run.ofType("wp-platform:index:Site").map((r) => r.name);
    const withResources = (resources: Registered[]): ProgramRun => ({ ...run, resources });

    it("pass on the fixture sites", () => {
        expect(stackProblems(run, ids())).to.deep.equal([]);
    });

    it("report a URN registered twice, and a Kubernetes object declared twice", () => {
        const job = run.ofType("kubernetes:batch/v1:Job")[0];
        const problems = stackProblems(withResources([...run.resources, job]), ids());
        expect(problems.join("\n"))
            .to.match(/URN registered twice: .*\(2 times\)/)
            .and.to.match(/Kubernetes object declared twice/);
    });

    it("report a certificate Secret cert-manager would create under the name of another Secret", () => {
        const ingress = run.ofType("kubernetes:networking.k8s.io/v1:Ingress")[0];
        const secret = run.ofType("kubernetes:core/v1:Secret")[0];
        const tls = [{ ...ingress.inputs.spec.tls[0], secretName: secret.inputs.metadata.name }];
        const clashing = { ...ingress, inputs: { ...ingress.inputs, spec: { ...ingress.inputs.spec, tls } } };
        const problems = stackProblems(withResources(run.resources.map((r) => (r === ingress ? clashing : r))), ids());
        expect(problems).to.deep.equal([
            `Kubernetes object declared twice: kubernetes:core/v1:Secret wp-platform/${secret.inputs.metadata.name} (2 times)`,
        ]);
    });

    it("report a name beyond its limit, and a host claimed by two Ingresses", () => {
        const role = run.ofType("aws:iam/role:Role")[0];
        const [first, second] = run.ofType("kubernetes:networking.k8s.io/v1:Ingress");
        const longRole = { ...role, inputs: { ...role.inputs, name: "r".repeat(65) } };
        const sameHost = { ...second, inputs: { ...second.inputs, spec: { ...second.inputs.spec, rules: first.inputs.spec.rules } } };
        const problems = stackProblems(
            withResources(run.resources.map((r) => (r === role ? longRole : r === second ? sameHost : r))),
            ids(),
        );
        expect(problems.join("\n")).to.match(/aws:iam\/role:Role name "r+": 65 characters, at most 64/);
        expect(problems.join("\n")).to.match(/host claimed by two Ingresses/);
    });

    it("report a site file without its Site", () => {
        expect(stackProblems(run, [...ids(), "ghost"])).to.include("site files without a Site: ghost");
    });
});
