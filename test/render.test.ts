// The offline render (tools/render.ts): manifests, cloud table, markers, validation, writing.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { parse } from "yaml";
import { FILES_CLEANUP_HOOK } from "../components/site-files-cleanup";
import { SERVICE_ACCOUNT, deploymentName, siteChildName, siteObjectName, sitePrefix } from "../src/naming";
import { diffRuns } from "../tools/diff";
import { ACCOUNT_ID, mockSecretValue } from "../tools/mocks";
import type { ProgramRun, Registered } from "../tools/offline";
import { kubernetesType } from "../tools/render/kubernetes";
import {
    type RenderedFiles,
    RenderValidationError,
    componentCounts,
    renderRun,
    renderStack,
    runStack,
    writeRender,
} from "../tools/render/stack";
import { KUBERNETES_MODELS_VERSION, KUBERNETES_VERSION, type ObjectToValidate, validateObject } from "../tools/render/validate";
import { ROOT, configFor, fixtureSites, runProgram } from "./support/program";

/** The render of the fixture sites, with config overrides. */
const FIXTURES = { sitesDir: fixtureSites("stg") };
const renderFixtures = (config: Record<string, unknown> = {}) => renderStack("stg", { config: { ...FIXTURES, ...config } });
/** The file a namespaced Kubernetes object of the platform renders to. */
const k8sFile = (kind: string, name: string) => `k8s/wp-platform/${kind}-${name}.yaml`;

const tempDirs: string[] = [];
function tempDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    tempDirs.push(dir);
    return dir;
}

/** Every file under `dir`, relative, with `/`, and its text. */
function readTree(dir: string): Map<string, string> {
    const files = new Map<string, string>();
    const walk = (sub: string) => {
        for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
            const rel = sub ? `${sub}/${entry.name}` : entry.name;
            if (entry.isDirectory()) walk(rel);
            else files.set(rel, fs.readFileSync(path.join(dir, rel), "utf8"));
        }
    };
    walk("");
    return files;
}

function manifest(files: RenderedFiles, file: string): Record<string, any> {
    const text = files.get(file);
    if (text === undefined) throw new Error(`no ${file} among ${[...files.keys()].join(", ")}`);
    return parse(text);
}

/** The row of cloud.md for a resource name. */
function cloudRow(files: RenderedFiles, name: string): string {
    const row = files
        .get("cloud.md")!
        .split("\n")
        .find((line) => line.startsWith(`| ${name} |`));
    if (!row) throw new Error(`no row for ${name} in cloud.md`);
    return row;
}

describe("render", function () {
    let run: ProgramRun;
    let files: RenderedFiles;

    before(async () => {
        run = await runStack("stg", { config: FIXTURES });
        files = renderRun("stg", run, FIXTURES);
    });

    after(() => {
        for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("writes one manifest per Kubernetes object, its apiVersion and kind from the type token", () => {
        const objects = run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
        const manifests = [...files.keys()].filter((f) => f.startsWith("k8s/"));
        expect(objects.length).to.be.greaterThan(20);
        expect(manifests).to.have.length(objects.length);
        for (const object of objects) {
            const { apiVersion, kind } = kubernetesType(object.type)!;
            const namespace = object.inputs.metadata.namespace ?? "_cluster";
            const file = `k8s/${namespace}/${kind.toLowerCase()}-${object.inputs.metadata.name}.yaml`;
            const m = manifest(files, file);
            expect([m.apiVersion, m.kind, m.metadata.name], file).to.deep.equal([apiVersion, kind, object.inputs.metadata.name]);
            expect(files.get(file)).to.contain(`# Pulumi resource: ${object.urn}\n`);
        }
        expect(manifest(files, "k8s/wp-platform/deployment-blue-deployment.yaml").apiVersion).to.equal("apps/v1");
        expect(manifest(files, "k8s/_cluster/namespace-wp-platform.yaml").apiVersion).to.equal("v1");
        expect(manifest(files, "k8s/wp-platform/ingress-rrr.site.yaml").apiVersion).to.equal("networking.k8s.io/v1");
    });

    it("pins the Deployments' image by digest", () => {
        const blue = manifest(files, "k8s/wp-platform/deployment-blue-deployment.yaml");
        expect(blue.spec.template.spec.containers[0].image).to.equal(
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/wp-platform/wordpress@sha256:0df171af517211c3ce3db395626c6345bfe531f4d766b30946b991f86e7952a6",
        );
        for (const file of files.keys()) {
            if (file.startsWith("k8s/")) expect(files.get(file), file).not.to.match(/image: [^@\n]*:[\w.-]+\n/);
        }
    });

    it("shows <computed> where the cloud generates a value, and invents none", () => {
        const account = manifest(files, k8sFile("serviceaccount", SERVICE_ACCOUNT));
        expect(account.metadata.annotations["eks.amazonaws.com/role-arn"]).to.equal(`arn:aws:iam::${ACCOUNT_ID}:role/<computed>`);
        expect(cloudRow(files, "platform-files")).to.contain("bucket=<computed>");
        expect(cloudRow(files, "platform-mysql")).to.contain("endpoint=wp-platform-stg.<computed>.eu-west-1.rds.amazonaws.com:3306");
        const all = [...files.values()].join("\n");
        for (const invented of ["-id\n", "-mock", "cmock", "MOCKSECRET", "AbCdEf", "04da6b54-80e4-46f7-96ec-b56ff0331ba9"]) {
            expect(all).not.to.contain(invented);
        }
    });

    it("renders every policy document in full: a site's role reaches its own prefix alone", () => {
        expect(files.get("cloud.md")).not.to.match(/olicy=<computed>/);
        const prefix = sitePrefix("rrr");
        expect(cloudRow(files, siteChildName("rrr", "role-policy"))).to.contain(
            "SiteObjects: Allow [s3:GetObject, s3:PutObject, s3:DeleteObject, s3:GetObjectVersion, s3:AbortMultipartUpload] " +
                `on arn:aws:s3:::<computed>/${prefix}*; ` +
                `ListSitePrefix: Allow s3:ListBucket on arn:aws:s3:::<computed> if {StringLike: {s3:prefix: [${prefix}, ${prefix}*]}}`,
        );
        expect(cloudRow(files, siteChildName("rrr", "role"))).to.contain(
            `assumeRolePolicy=Allow sts:AssumeRoleWithWebIdentity by {Federated: arn:aws:iam::${ACCOUNT_ID}:oidc-provider/`,
        );
        expect(cloudRow(files, "platform-files-policy")).to.contain(
            "DenyWithoutTLS: Deny s3:* on [arn:aws:s3:::<computed>, arn:aws:s3:::<computed>/*] by * if {Bool: {aws:SecureTransport: false}}",
        );
        expect(cloudRow(files, "platform-workload-policy")).to.contain("on arn:aws:s3:::<computed>/sites/*/uploads/*");
        // In full, parsed, in the details.
        const details = files
            .get("cloud.md")!
            .split(`### ${siteChildName("rrr", "role-policy")} `)[1]
            .split("### ")[0];
        expect(details).to.contain("Sid: ListSitePrefix").and.to.contain(`- ${prefix}*`);
    });

    it("shows [secret] for every secret, and a Secret as a valid object with its keys", () => {
        const name = siteObjectName("rrr", "settings");
        const secret = manifest(files, k8sFile("secret", name));
        const registered = run.ofType("kubernetes:core/v1:Secret").find((r) => r.inputs.metadata.name === name)!;
        const keys = Object.keys(registered.inputs.stringData as object);
        expect(keys).to.not.be.empty;
        expect(Object.keys(secret.stringData)).to.have.members(keys);
        expect(Object.values(secret.stringData).every((v) => v === "[secret]")).to.equal(true);
        expect(validateObject({ apiVersion: "v1", kind: "Secret", name, file: "", object: secret, markers: new Set() })).to.deep.equal([]);
        expect(cloudRow(files, "platform-db")).to.contain("password=[secret]");
        expect(cloudRow(files, "platform-mysql")).to.contain("password=[secret]");
        expect(cloudRow(files, siteChildName("rrr", "db-user"))).to.contain("plaintextPassword=[secret]");
        expect(cloudRow(files, siteChildName("rrr", "secret-version"))).to.contain("secretString=[secret]");
    });

    it("shows a field under ignoreChanges as kept from the first deployment", () => {
        const file = k8sFile("job", siteObjectName("rrr", "install"));
        const install = run.ofType("kubernetes:batch/v1:Job").find((r) => r.inputs.metadata.name === siteObjectName("rrr", "install"))!;
        expect(install.ignoreChanges).to.include("spec.template.spec.containers[0].image");
        expect(manifest(files, file).spec.template.spec.containers[0].image).to.equal("<as first deployed>");
        expect(files.get(file)).to.match(/# Options: .*ignoreChanges: .*spec\.template\.spec\.containers\[0\]\.image/);
        const verify = manifest(files, k8sFile("job", siteObjectName("rrr", "verify")));
        expect(verify.spec.template.spec.containers[0].image).to.match(/@sha256:/);
    });

    it("differs from another render exactly where a preview would show a change", async () => {
        // A new digest on both colors: the Deployments, the canary record and the release Jobs change;
        // install and activate-theme ignore their image, so a preview shows nothing for them.
        const release = {
            ...JSON.parse(configFor("stg")["wp-platform:release"]),
            blue: `sha256:${"a".repeat(64)}`,
            green: `sha256:${"b".repeat(64)}`,
        };
        const newRun = await runStack("stg", { config: { ...FIXTURES, release } });
        const after = renderRun("stg", newRun, FIXTURES);
        const changedFiles = [...after.keys()].filter((f) => f.startsWith("k8s/") && after.get(f) !== files.get(f)).sort();
        const diff = diffRuns(run, newRun);
        const changed = diff.changed;
        const filesOf = (urns: readonly string[]) =>
            [...files.keys()].filter((f) => urns.some((urn) => files.get(f)!.includes(`# Pulumi resource: ${urn}\n`))).sort();
        expect(changedFiles).to.deep.equal(filesOf(changed));
        expect(changedFiles).to.include(k8sFile("deployment", deploymentName("blue")));
        expect(changedFiles).to.include(k8sFile("job", siteObjectName("rrr", "verify")));
        const provisioning = ["install", "activate-theme"] as const;
        for (const job of provisioning) expect(changedFiles).not.to.include(k8sFile("job", siteObjectName("rrr", job)));
        // A changed Job manifest is a replaced Job (`+-`, it runs again); the Deployments roll in place (`~`).
        const filesReplaced = filesOf(diff.replaced);
        expect(filesReplaced).to.include(k8sFile("job", siteObjectName("rrr", "verify")));
        expect(filesReplaced).not.to.include(k8sFile("deployment", deploymentName("blue")));
        expect(filesReplaced.every((f) => f.includes("/job-"))).to.equal(true);
    });

    it("shows protect, retainOnDelete and the hooks run after a delete", async () => {
        const section = files.get("cloud.md")!.split("## Resource hooks")[1].split("## Details")[0];
        expect(section).to.contain(`- \`${FILES_CLEANUP_HOOK}\`: the engine runs it after it deletes Site \`harbor-cafe\`, Site \`rrr\`.`);
        const prod = await renderStack("prod", { config: { sitesDir: fixtureSites("prod") } });
        expect(cloudRow(prod, siteChildName("bluelaunch", "db"))).to.contain("(retainOnDelete)");
        expect(cloudRow(prod, "platform-files")).to.contain("(protect)");
    });

    it("counts each component's resources as a preview does: itself and everything under it", () => {
        const site = run.get("wp-platform:index:Site", "rrr");
        const expected = run.resources.filter((r) => r.urn === site.urn || r.parent === site.urn).length;
        expect(componentCounts(run).find((c) => c.name === "rrr")?.resources).to.equal(expected);
        expect(files.get("README.md")).to.contain(`| Site \`rrr\` | ${expected} |`);
        expect(files.get("README.md")).to.contain(`| all the program registers | ${run.resources.length} |`);
    });

    it("renders the stack outputs, unknowns and secrets marked", () => {
        const outputs = parse(files.get("outputs.yaml")!);
        expect(Object.keys(outputs)).to.have.members(Object.keys(run.outputs));
        expect(Object.keys(outputs.sites)).to.deep.equal(["harbor-cafe", "rrr"]);
        expect(outputs.sites.rrr.url).to.equal("https://rrr.cloud2-stg.example.com/");
        expect(outputs.bucket).to.equal("<computed>");
    });

    it("shows [secret] for any value the program marks secret, whatever its name", () => {
        const secret = (value: unknown) => ({ [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value });
        const marked = (type: string, name: string, change: (raw: Record<string, any>) => Record<string, any>): Registered => {
            const r = run.get(type, name);
            return { ...r, raw: change(r.raw) };
        };
        const changed = [
            marked("kubernetes:core/v1:ConfigMap", "release-canary-env", (raw) => ({
                ...raw,
                data: { canaryEnv: secret("hidden-canary") },
            })),
            marked("aws:rds/instance:Instance", "platform-db", (raw) => ({ ...raw, username: secret("hidden-user") })),
        ];
        const rendered = renderRun("stg", { ...run, resources: run.resources.map((r) => changed.find((c) => c.urn === r.urn) ?? r) });
        expect(manifest(rendered, "k8s/wp-platform/configmap-canary-env.yaml").data.canaryEnv).to.equal("[secret]");
        expect(cloudRow(rendered, "platform-db")).to.contain("username=[secret]");
        expect([...rendered.values()].join("\n")).not.to.match(/hidden-/);
    });

    it("writes no value a random resource produced, even when the values are known", async () => {
        // The test mocks give every random resource a recognisable value, and known outputs everywhere,
        // so the Kubernetes Secrets have their keys: each value must still read [secret].
        const known = await runProgram({ stack: "stg" });
        const rendered = renderRun("stg", known);
        const produced: string[] = [];
        for (const r of known.resources) {
            if (r.type === "random:index/randomPassword:RandomPassword") produced.push(mockSecretValue(r.name));
            if (r.type === "random:index/randomBytes:RandomBytes") {
                const base64 = Buffer.alloc(Number(r.inputs.length), mockSecretValue(r.name)).toString("base64");
                for (let i = 0; i + 64 <= base64.length; i += 64) produced.push(base64.slice(i, i + 64));
            }
        }
        expect(produced.length).to.be.greaterThan(5);
        for (const [file, text] of rendered) {
            expect(text, file).not.to.contain("MOCKSECRET");
            for (const value of produced) expect(text.includes(value), `${file} holds a random value`).to.equal(false);
        }
        const secret = manifest(rendered, "k8s/wp-platform/secret-rrr.settings.yaml");
        expect(secret.stringData["rrr.json"]).to.equal("[secret]");
        expect(Object.values(secret.stringData).every((v) => v === "[secret]")).to.equal(true);
    });

    it("renders the same bytes twice, and writes exactly the rendered files", async () => {
        const dir = path.join(tempDir("wp-render-"), "stg");
        writeRender(files, dir);
        const first = readTree(dir);
        expect(first).to.deep.equal(files);
        writeRender(await renderFixtures(), dir);
        expect(readTree(dir)).to.deep.equal(first);
    });

    it("replaces the folder wholly: a removed site's files disappear", async () => {
        const dir = path.join(tempDir("wp-render-"), "stg");
        writeRender(files, dir);
        expect(fs.existsSync(path.join(dir, "k8s/wp-platform/ingress-rrr.site.yaml"))).to.equal(true);
        const sites = tempDir("wp-sites-");
        fs.copyFileSync(path.join(fixtureSites("stg"), "harbor-cafe.yaml"), path.join(sites, "harbor-cafe.yaml"));
        writeRender(await renderStack("stg", { config: { sitesDir: sites } }), dir);
        const after = [...readTree(dir).keys()];
        expect(after.filter((f) => f.includes("rrr"))).to.deep.equal([]);
        expect(after).to.include("k8s/wp-platform/ingress-harbor-cafe.site.yaml");
        expect(fs.readFileSync(path.join(dir, "cloud.md"), "utf8")).not.to.contain("rrr");
        expect(fs.readdirSync(path.dirname(dir))).to.deep.equal(["stg"]); // no temporary folder left behind
    });

    it("does not replace a folder that is not a render", () => {
        const dir = tempDir("wp-not-render-");
        fs.writeFileSync(path.join(dir, "notes.txt"), "mine");
        expect(() => writeRender(files, dir)).to.throw(/not a render/);
        expect(fs.readdirSync(dir)).to.deep.equal(["notes.txt"]);
    });

    describe("validation", () => {
        const deployment = (): ObjectToValidate => ({
            apiVersion: "apps/v1",
            kind: "Deployment",
            name: "blue-deployment",
            file: "k8s/wp-platform/deployment-blue-deployment.yaml",
            object: manifest(files, "k8s/wp-platform/deployment-blue-deployment.yaml"),
            markers: new Set(),
        });

        it("accepts the rendered Deployment as it is", () => {
            expect(validateObject(deployment())).to.deep.equal([]);
        });

        it("rejects an unknown field, naming the file, the object and the field path", () => {
            const target = deployment();
            (target.object as any).spec.replicaz = 3;
            (target.object as any).spec.template.spec.containers[0].ports[0].hostPortz = 80;
            expect(validateObject(target)).to.deep.equal([
                "k8s/wp-platform/deployment-blue-deployment.yaml: Deployment blue-deployment: spec.replicaz: unknown field: not in the Kubernetes 1.33 schema",
                "k8s/wp-platform/deployment-blue-deployment.yaml: Deployment blue-deployment: spec.template.spec.containers[0].ports[0].hostPortz: unknown field: not in the Kubernetes 1.33 schema",
            ]);
        });

        it("rejects a wrong type and a missing required field", () => {
            const target = deployment();
            (target.object as any).spec.replicas = "3";
            delete (target.object as any).spec.template.spec.containers[0].name;
            expect(validateObject(target)).to.deep.equal([
                "k8s/wp-platform/deployment-blue-deployment.yaml: Deployment blue-deployment: spec.replicas: must be integer",
                "k8s/wp-platform/deployment-blue-deployment.yaml: Deployment blue-deployment: spec.template.spec.containers[0].name: required field missing",
            ]);
        });

        it("does not hold a <computed> or [secret] marker's type against the object", () => {
            const target = deployment();
            (target.object as any).spec.replicas = "<computed>";
            expect(validateObject({ ...target, markers: new Set(["/spec/replicas"]) })).to.deep.equal([]);
            expect(validateObject(target)).to.have.length(1);
        });

        it(`validates against Kubernetes ${KUBERNETES_VERSION}, the schema of the installed kubernetes-models`, () => {
            const installed = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules/kubernetes-models/package.json"), "utf8"));
            expect(installed.version).to.equal(KUBERNETES_MODELS_VERSION);
            const container = (target: ObjectToValidate) => (target.object as any).spec.template.spec.containers[0];
            const with133 = deployment();
            container(with133).lifecycle = { stopSignal: "SIGTERM" }; // added in 1.33
            expect(validateObject(with133)).to.deep.equal([]);
            const with134 = deployment();
            container(with134).env.push({ name: "X", valueFrom: { fileKeyRef: { volumeName: "v", path: "p", key: "k" } } }); // added in 1.34
            expect(validateObject(with134)).to.have.length(1);
            expect(files.get("README.md")).to.contain(`**Kubernetes ${KUBERNETES_VERSION}**`);
        });

        it("fails the render on an invalid object, listing every problem, before anything is written", () => {
            const bad: Registered = {
                ...run.get("kubernetes:apps/v1:Deployment", "release-blue-deployment"),
                raw: {
                    ...(run.get("kubernetes:apps/v1:Deployment", "release-blue-deployment").raw as object),
                    replicaz: 1,
                    spec: { replicas: "two" },
                },
            };
            const broken: ProgramRun = { ...run, resources: run.resources.map((r) => (r.urn === bad.urn ? bad : r)) };
            let error: unknown;
            try {
                renderRun("stg", broken);
            } catch (e) {
                error = e;
            }
            expect(error).to.be.instanceOf(RenderValidationError);
            const problems = (error as RenderValidationError).problems;
            expect(problems).to.include(
                "k8s/wp-platform/deployment-blue-deployment.yaml: Deployment blue-deployment: replicaz: unknown field: not in the Kubernetes 1.33 schema",
            );
            expect(problems).to.include(
                "k8s/wp-platform/deployment-blue-deployment.yaml: Deployment blue-deployment: spec.replicas: must be integer",
            );
            expect(problems).to.include(
                "k8s/wp-platform/deployment-blue-deployment.yaml: Deployment blue-deployment: spec.selector: required field missing",
            );
        });

        it("accepts every object of both committed stacks", async () => {
            // renderStack throws on any invalid object; the committed sites, whatever they are.
            expect([...(await renderStack("stg")).keys()].filter((f) => f.startsWith("k8s/")).length).to.be.greaterThan(20);
            const prod = await renderStack("prod");
            const objects = [...prod.keys()].filter((f) => f.startsWith("k8s/"));
            expect(objects.length).to.be.greaterThan(20);
            expect(objects).to.include("k8s/wp-platform/deployment-green-deployment.yaml");
            expect(prod.get("cloud.md")).to.match(
                /\| platform-db \| aws:rds\/instance:Instance \| identifier=wp-platform-prod, .*deletionProtection=true.*\(protect\) \|/,
            );
        });
    });

    describe("errors", () => {
        it("rejects with the program's error on a bad site file", async () => {
            const sites = tempDir("wp-sites-");
            fs.writeFileSync(path.join(sites, "rrr.yaml"), "id: rrr\nname: R\ntheme: astra\nhostname: rrr.cloud2-stg.example.com\n");
            let error: unknown;
            try {
                await renderStack("stg", { config: { sitesDir: sites } });
            } catch (e) {
                error = e;
            }
            expect(String(error)).to.contain("rrr.yaml").and.to.contain("hostname");
        });

        it("the command exits 1 on an unknown stack, naming the stacks, and writes nothing", () => {
            const result = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "tools/render.ts", "nope"], {
                cwd: ROOT,
                encoding: "utf8",
            });
            expect(result.status).to.equal(1);
            expect(result.stderr).to.contain('no stack "nope"').and.to.contain("prod, stg");
            expect(fs.existsSync(path.join(ROOT, "out", "nope"))).to.equal(false);
        });
    });
});
