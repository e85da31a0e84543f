// `isolation: dedicated`: a site served by pods of its own, which alone mount its settings.
import { expect } from "chai";
import { resourceChecks, stackChecks } from "../policy/policies";
import { SITE_TYPE } from "../src/naming";
import { configFor, type ProgramRun, type Registered, runProgram, siteFile } from "./support/program";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SECRET = "kubernetes:core/v1:Secret";
const CONFIGMAP = "kubernetes:core/v1:ConfigMap";
const SERVICE = "kubernetes:core/v1:Service";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";

/** alpha and gamma are shared; vault is dedicated, on the active color (blue). */
const SITES = {
    "alpha.yaml": siteFile("alpha"),
    "gamma.yaml": siteFile("gamma", { service: "green" }),
    "vault.yaml": siteFile("vault", {
        isolation: "dedicated",
        hostnames: ["vault.cloud2-stg.example.com", "www.vault.cloud2-stg.example.com"],
    }),
};
const RELEASE = { release: { active: "blue", blue: `sha256:${"1".repeat(64)}`, green: `sha256:${"2".repeat(64)}` } };

/** Every string anywhere in a value. */
function strings(value: unknown): string[] {
    if (typeof value === "string") return [value];
    if (Array.isArray(value)) return value.flatMap(strings);
    if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => [k, ...strings(v)]);
    return [];
}

/** The names of the ConfigMaps and Secrets a pod template mounts. */
function mounted(deployment: Registered): string[] {
    const volumes: any[] = deployment.inputs.spec.template.spec.volumes ?? [];
    return volumes.flatMap((v) => [
        ...(v.configMap ? [v.configMap.name] : []),
        ...(v.secret ? [v.secret.secretName] : []),
        ...(v.projected ? v.projected.sources.map((s: any) => s.secret?.name ?? s.configMap?.name) : []),
    ]);
}

const childOf = (run: ProgramRun, id: string) => {
    const site = run.get(SITE_TYPE, id);
    return (r: Registered) => r.parent === site.urn;
};

describe("a dedicated site", () => {
    let run: ProgramRun;
    let settings: string;
    before(async function () {
        this.timeout(30_000);
        run = await runProgram({ config: RELEASE, sites: SITES });
        settings = run.get(SECRET, "vault/serving-settings").inputs.stringData["vault.json"];
    });

    it("has its own Deployments, HPAs, PDBs, cron runners and Services per color, its ServiceAccount, index and settings", () => {
        const own = run.resources.filter(childOf(run, "vault"));
        const k8sNames = (type: string) =>
            own
                .filter((r) => r.type === type)
                .map((r) => r.inputs.metadata.name)
                .sort();
        expect(k8sNames(DEPLOYMENT)).to.deep.equal(["vault.blue", "vault.cron-blue", "vault.cron-green", "vault.green"]);
        expect(k8sNames("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")).to.deep.equal(["vault.blue", "vault.green"]);
        expect(k8sNames("kubernetes:policy/v1:PodDisruptionBudget")).to.deep.equal(["vault.blue", "vault.green"]);
        expect(k8sNames(SERVICE)).to.deep.equal(["vault-blue", "vault-green"]);
        expect(k8sNames("kubernetes:core/v1:ServiceAccount")).to.deep.equal(["vault.jobs", "vault.wordpress"]);
        expect(k8sNames(CONFIGMAP)).to.deep.equal(["vault.index"]);
        expect(k8sNames(SECRET)).to.deep.equal(["vault.serving-settings", "vault.settings"]);
        // Its color serves; the other idles, and its cron runner is stopped.
        const hpa = (color: string) => run.get("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", `vault/${color}-hpa`).inputs.spec;
        const shared = run.get("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "release-blue-hpa").inputs.spec;
        expect(hpa("blue").minReplicas).to.equal(shared.minReplicas);
        // stg: wordpress.minReplicas 2, release.idleReplicas 1.
        expect([hpa("blue").minReplicas, hpa("green").minReplicas, hpa("green").maxReplicas]).to.deep.equal([2, 1, 1]);
        expect(run.get(DEPLOYMENT, "vault/cron-blue").inputs.spec.replicas).to.equal(1);
        expect(run.get(DEPLOYMENT, "vault/cron-green").inputs.spec.replicas).to.equal(0);
    });

    it("runs the shared pod template, with its own ServiceAccount, labels, index and settings", () => {
        for (const color of ["blue", "green"]) {
            const own = run.get(DEPLOYMENT, `vault/${color}-deployment`).inputs.spec.template;
            const shared = run.get(DEPLOYMENT, `release-${color}-deployment`).inputs.spec.template;
            expect(own.spec.containers).to.deep.equal(shared.spec.containers);
            expect(own.spec.securityContext).to.deep.equal(shared.spec.securityContext);
            expect(own.spec.serviceAccountName).to.equal("vault.wordpress");
            // The WordPress pod labels: the namespace's NetworkPolicies select these pods too.
            expect(own.metadata.labels).to.deep.equal({ ...shared.metadata.labels, app: `vault.${color}` });
            expect(run.get(SERVICE, `vault/${color}-service`).inputs.spec.selector).to.deep.equal({ app: `vault.${color}` });
        }
    });

    it("mounts only its own index and settings in its pods", () => {
        for (const name of ["blue-deployment", "green-deployment", "cron-blue", "cron-green"]) {
            expect(mounted(run.get(DEPLOYMENT, `vault/${name}`)), name).to.deep.equal(["vault.index", "vault.serving-settings"]);
        }
        const index = JSON.parse(run.get(CONFIGMAP, "vault/index").inputs.data["sites.json"]);
        expect(new Set(Object.values(index.hosts).map((e: any) => e.site))).to.deep.equal(new Set(["vault"]));
        expect(Object.keys(index.hosts)).to.include.members(["vault.cloud2-stg.example.com", "www.vault.cloud2-stg.example.com"]);
    });

    it("has its settings in no shared Secret and in no volume of a shared Deployment or cron runner", () => {
        expect(settings)
            .to.be.a("string")
            .and.match(/WORDPRESS_DB_PASSWORD/);
        const password = JSON.parse(settings).WORDPRESS_DB_PASSWORD as string;
        const ownSecrets = new Set(["vault/serving-settings", "vault/k8s-secret"]);
        for (const secret of run.ofType(SECRET).filter((s) => !ownSecrets.has(s.name))) {
            const all = strings(secret.inputs);
            expect(all, secret.name).to.not.include("vault.json");
            expect(
                all.some((s) => s.includes(password)),
                secret.name,
            ).to.equal(false);
        }
        const sharedPods = run.ofType(DEPLOYMENT).filter((d) => !d.name.startsWith("vault/"));
        expect(sharedPods.map((d) => d.name).sort()).to.deep.equal([
            "release-blue-deployment",
            "release-cron-blue",
            "release-cron-green",
            "release-green-deployment",
        ]);
        for (const d of sharedPods) {
            expect(mounted(d), d.name).to.not.include.members(["vault.serving-settings", "vault.settings", "vault.index"]);
            expect(
                mounted(d).filter((m) => m.startsWith("vault.")),
                d.name,
            ).to.deep.equal([]);
        }
        // The shared shards still hold the shared sites.
        const shards = run.ofType(SECRET).filter((s) => s.name.startsWith("site-index-settings-"));
        expect(
            shards
                .flatMap((s) => Object.keys(s.inputs.stringData))
                .filter((k) => k.endsWith(".json"))
                .sort(),
        ).to.deep.equal(["alpha.json", "gamma.json"]);
    });

    it("has no host in the shared site index: the shared pods answer 404 for it", () => {
        const index = JSON.parse(run.get(CONFIGMAP, "site-index").inputs.data["sites.json"]);
        expect(Object.values(index.hosts).map((e: any) => e.site)).to.not.include("vault");
        expect(Object.keys(index.hosts).filter((h) => h.includes("vault"))).to.deep.equal([]);
        expect(Object.values(index.hosts).map((e: any) => e.site)).to.include.members(["alpha", "gamma"]);
    });

    it("routes its Ingresses to its own Services", () => {
        const backend = (name: string) => run.get(INGRESS, name).inputs.spec.rules.map((r: any) => r.http.paths[0].backend.service.name);
        expect(backend("vault/ingress")).to.deep.equal(["vault-blue", "vault-blue"]);
        expect(backend("alpha/ingress")).to.deep.equal(["blue"]);
        const preview = run.resources.find((r) => r.name === "vault/preview-ingress");
        if (preview) expect(backend("vault/preview-ingress")).to.deep.equal(["vault-green"]);
    });

    it("gives its pods a role that reaches its own media prefix only, taken through its ServiceAccount only", () => {
        const role = run.get("aws:iam/role:Role", "vault/web-role");
        const trust = JSON.parse(role.inputs.assumeRolePolicy);
        const conditions = trust.Statement.map((s: any) => Object.entries(s.Condition.StringEquals));
        expect(conditions.flat().filter(([k]: [string]) => k.endsWith(":sub"))).to.deep.equal([
            [Object.keys(trust.Statement[0].Condition.StringEquals)[0], "system:serviceaccount:wp-platform:vault.wordpress"],
        ]);
        const policy = JSON.parse(run.get(ROLE_POLICY, "vault/web-role-policy").inputs.policy);
        const resources = policy.Statement.flatMap((s: any) => [s.Resource].flat());
        const objects = resources.filter((r: string) => r.includes("/"));
        expect(objects).to.have.length(1);
        expect(objects[0]).to.match(/^arn:aws:s3:::[^/]+\/sites\/vault\/uploads\/\*$/);
        const prefixes = policy.Statement.flatMap((s: any) => s.Condition?.StringLike?.["s3:prefix"] ?? []);
        expect(prefixes).to.deep.equal(["sites/vault/uploads/*"]);
        expect(policy.Statement.flatMap((s: any) => [s.Action].flat()).every((a: string) => a.startsWith("s3:"))).to.equal(true);
        expect(run.get("kubernetes:core/v1:ServiceAccount", "vault/web-service-account").inputs.metadata.annotations).to.have.key(
            "eks.amazonaws.com/role-arn",
        );
    });

    it("moves its Ingress only once its own Deployment of its color has rolled out", () => {
        const ingress = run.get(INGRESS, "vault/ingress");
        expect(ingress.dependencies).to.include.members([
            run.get(DEPLOYMENT, "vault/blue-deployment").urn,
            run.get(SERVICE, "vault/blue-service").urn,
            run.get("kubernetes:batch/v1:Job", "vault/verify").urn,
        ]);
    });

    it("leaves the shared index and settings only once its Ingress has moved to its own pods", () => {
        const moved = run.get(INGRESS, "vault/ingress").urn;
        expect(run.get(CONFIGMAP, "site-index").dependencies).to.include(moved);
        for (const shard of run.ofType(SECRET).filter((s) => s.name.startsWith("site-index-settings-"))) {
            expect(shard.dependencies, shard.name).to.include(moved);
        }
    });

    it("flushes its caches after its own Deployment of its color", () => {
        const flush = run.get("kubernetes:batch/v1:Job", "vault/flush-caches");
        expect(flush.dependencies).to.include(run.get(DEPLOYMENT, "vault/blue-deployment").urn);
        expect(flush.dependencies).to.not.include(run.get(DEPLOYMENT, "release-blue-deployment").urn);
        expect(run.get(DEPLOYMENT, "vault/blue-deployment").dependencies).to.include(
            run.get("kubernetes:batch/v1:Job", "vault/verify").urn,
        );
        // The shared fleet's rollout does not wait for the dedicated site's verify Job.
        expect(run.get(DEPLOYMENT, "release-blue-deployment").dependencies).to.not.include(
            run.get("kubernetes:batch/v1:Job", "vault/verify").urn,
        );
    });

    it("registers every URN once", () => {
        const urns = run.resources.map((r) => r.urn);
        expect(new Set(urns).size).to.equal(urns.length);
    });

    // site-role-own-prefix accepts a site's object ARNs within its prefix: the pods' role reaches
    // `sites/<id>/uploads/*`, narrower than the Jobs' `sites/<id>/*`.
    it("passes every policy of the pack", () => {
        const ingress = JSON.parse(configFor("stg")["wp-platform:ingress"]) as { controllerNamespace: string };
        const stack = run.resources.map((r) => ({
            type: r.type,
            name: r.name,
            urn: r.urn,
            props: r.inputs,
            dependencies: r.dependencies,
            ...(r.parent ? { parent: r.parent } : {}),
        }));
        const violations = [
            ...resourceChecks.flatMap((check) =>
                run.resources
                    .filter((r) => check.types.includes(r.type))
                    .flatMap((r) => check.check(r.type, r.inputs, r).map((v) => `${check.name}: ${r.name}: ${v}`)),
            ),
            ...stackChecks.flatMap((check) =>
                check.check(stack, { ingressControllerNamespace: ingress.controllerNamespace }).map((v) => `${check.name}: ${v}`),
            ),
        ];
        expect(violations).to.deep.equal([]);
    });
});
