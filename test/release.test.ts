import { expect } from "chai";
import { type ProgramRun, runProgram, siteFile } from "./support/program";

const IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/wp-platform/wordpress";
const BLUE = `sha256:${"1".repeat(64)}`;
const GREEN = `sha256:${"2".repeat(64)}`;

describe("Release", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({
            config: { release: { active: "green", blue: BLUE, green: GREEN } },
            sites: { "alpha.yaml": siteFile("alpha"), "beta.yaml": siteFile("beta", { service: "green" }) },
        });
    });
    const deployment = (color: string) => run.get("kubernetes:apps/v1:Deployment", `release-${color}-deployment`).inputs;

    it("runs one Deployment per color, each with its color's image by digest", () => {
        for (const [color, digest] of [
            ["blue", BLUE],
            ["green", GREEN],
        ]) {
            const d = deployment(color);
            expect(d.metadata.name).to.equal(`${color}-deployment`);
            expect(d.spec.selector).to.deep.equal({ matchLabels: { app: color } });
            expect(d.spec.template.metadata.labels).to.include({ app: color });
            expect(d.spec.template.spec.containers[0].image).to.equal(`${IMAGE}@${digest}`);
        }
    });

    it("rolls out 25% at a time, with probes, requests and limits", () => {
        const d = deployment("blue");
        expect(d.spec.strategy).to.deep.equal({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } });
        const c = d.spec.template.spec.containers[0];
        expect(c.resources).to.deep.equal({ requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } });
        expect(c.readinessProbe.httpGet).to.deep.equal({ path: "/healthz", port: "http" });
        expect(c.livenessProbe.httpGet).to.deep.equal({ path: "/healthz", port: "http" });
        expect(c.ports).to.deep.equal([{ name: "http", containerPort: 8080, protocol: "TCP" }]);
        expect(d.spec).not.to.have.property("replicas");
    });

    it("mounts the site index and every site's settings as files the pods re-read, not as environment", () => {
        const spec = deployment("green").spec.template.spec;
        expect(spec.volumes).to.deep.equal([
            { name: "site-index", configMap: { name: "site-index" } },
            {
                name: "site-settings",
                projected: {
                    defaultMode: 0o440,
                    sources: [0, 1, 2, 3].map((n) => ({ secret: { name: `site-settings-${n}` } })),
                },
            },
        ]);
        expect(spec.containers[0].volumeMounts).to.deep.equal([
            { name: "site-index", mountPath: "/etc/wp-platform/index", readOnly: true },
            { name: "site-settings", mountPath: "/etc/wp-platform/settings", readOnly: true },
        ]);
        expect(spec.containers[0].env).to.deep.include.members([
            { name: "WP_PLATFORM_SITE_INDEX", value: "/etc/wp-platform/index/sites.json" },
            { name: "WP_PLATFORM_SETTINGS_DIR", value: "/etc/wp-platform/settings" },
            { name: "WP_PLATFORM_PORT", value: "8080" },
        ]);
        // The pods start only once what they mount exists.
        const dependencies = run.get("kubernetes:apps/v1:Deployment", "release-green-deployment").dependencies;
        for (const object of run.ofType("kubernetes:core/v1:Secret").filter((r) => r.name.startsWith("site-index-settings-")))
            expect(dependencies).to.include(object.urn);
        expect(dependencies).to.include(run.get("kubernetes:core/v1:ConfigMap", "site-index").urn);
        const index = JSON.parse(run.get("kubernetes:core/v1:ConfigMap", "site-index").inputs.data["sites.json"]);
        expect(index.hosts["beta.cloud2-stg.example.com"]).to.deep.equal({
            site: "beta",
            secret: "wp-platform/stg/beta",
            canonical: "beta.cloud2-stg.example.com",
            color: "green",
        });
        expect(Object.keys(index.hosts)).to.deep.equal(["alpha.cloud2-stg.example.com", "beta.cloud2-stg.example.com"]);
    });

    it("selects each color's pods with the Service of the same name", () => {
        for (const color of ["blue", "green"]) {
            const svc = run.get("kubernetes:core/v1:Service", `services-${color}`).inputs;
            expect(svc.metadata.name).to.equal(color);
            expect(svc.spec.selector).to.deep.equal({ app: color });
            expect(svc.spec.ports).to.deep.equal([{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }]);
        }
    });

    it("records the active canary in canaryEnv", () => {
        const cm = run.get("kubernetes:core/v1:ConfigMap", "release-canary-env").inputs;
        expect(cm.metadata.name).to.equal("canary-env");
        expect(JSON.parse(cm.data.canaryEnv)).to.deep.equal({ selector: "green", image: `${IMAGE}@${GREEN}` });
    });

    it("autoscales a color with sites, idles the color without, and budgets disruptions", () => {
        const hpa = (color: string) => run.get("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", `release-${color}-hpa`).inputs.spec;
        // Both colors have sites: alpha on active (green), beta pinned to green; blue has none.
        expect(hpa("green")).to.include({ minReplicas: 2, maxReplicas: 6 });
        expect(hpa("green").scaleTargetRef).to.deep.equal({ apiVersion: "apps/v1", kind: "Deployment", name: "green-deployment" });
        expect(hpa("green").metrics[0].resource).to.deep.equal({ name: "cpu", target: { type: "Utilization", averageUtilization: 70 } });
        expect(hpa("blue")).to.include({ minReplicas: 1, maxReplicas: 1 });
        expect(run.get("kubernetes:policy/v1:PodDisruptionBudget", "release-blue-pdb").inputs.spec).to.deep.equal({
            maxUnavailable: 1,
            selector: { matchLabels: { app: "blue" } },
        });
    });

    it("lets only the ingress controller's namespace, and the sites' verify Jobs, reach the WordPress pods", () => {
        const np = run.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "services-wordpress-ingress").inputs.spec;
        expect(np.podSelector.matchLabels).to.deep.equal({
            "app.kubernetes.io/name": "wordpress",
            "app.kubernetes.io/part-of": "wp-platform",
        });
        for (const color of ["blue", "green"])
            expect(deployment(color).spec.template.metadata.labels).to.include(np.podSelector.matchLabels);
        expect(np.ingress).to.deep.equal([
            {
                from: [
                    { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } },
                    { podSelector: { matchLabels: { "wp-platform/job": "verify" } } },
                ],
                ports: [{ protocol: "TCP", port: 8080 }],
            },
        ]);
    });

    it("builds the Services before the sites and the Deployments after them, keeping every URN the Release gave", () => {
        const release = "urn:pulumi:stg::wp-platform::wp-platform:index:Release";
        const moved = [
            ["kubernetes:core/v1:Service", "blue"],
            ["kubernetes:core/v1:Service", "green"],
            ["kubernetes:networking.k8s.io/v1:NetworkPolicy", "wordpress-ingress"],
        ];
        for (const [type, child] of moved) {
            const resource = run.get(type, `services-${child}`);
            expect(resource.parent).to.equal("urn:pulumi:stg::wp-platform::wp-platform:index:ColorServices::services");
            // Where the engine has them in the state today, and where the first Release had them.
            expect(resource.aliases).to.include.members([`${release}$${type}::release-${child}`, `${release}$${type}::${child}`]);
        }
        const service = run.get("kubernetes:core/v1:Service", "services-green");
        const ingress = run.get("kubernetes:networking.k8s.io/v1:Ingress", "alpha/ingress");
        expect(ingress.dependencies).to.include(service.urn);
        const verify = run.get("kubernetes:batch/v1:Job", "alpha/verify");
        expect(run.get("kubernetes:apps/v1:Deployment", "release-green-deployment").dependencies).to.include(verify.urn);
        const flush = run.get("kubernetes:batch/v1:Job", "alpha/flush-caches");
        expect(flush.dependencies).to.include.members([
            ingress.urn,
            run.get("kubernetes:apps/v1:Deployment", "release-green-deployment").urn,
        ]);
    });

    it("runs one cron runner per color, one pod at most, with the color's image, after the color's verify Jobs", () => {
        // alpha is on the active color (green) and beta is pinned to green: blue has no site, so no runner pod.
        for (const [color, digest, replicas] of [
            ["blue", BLUE, 0],
            ["green", GREEN, 1],
        ] as const) {
            const cron = run.get("kubernetes:apps/v1:Deployment", `release-cron-${color}`);
            const spec = cron.inputs.spec;
            expect(cron.inputs.metadata.name).to.equal(`cron-${color}`);
            expect(spec.replicas).to.equal(replicas);
            expect(spec.strategy).to.deep.equal({ type: "Recreate" });
            // A running site may finish within its time limit after SIGTERM.
            expect(spec.template.spec.terminationGracePeriodSeconds).to.equal(150);
            const container = spec.template.spec.containers[0];
            expect(container.image).to.equal(`${IMAGE}@${digest}`);
            expect(container.command).to.deep.equal(["wp", "platform", "cron-runner"]);
            expect(container.env).to.deep.include.members([
                { name: "WP_PLATFORM_COLOR", value: color },
                { name: "WP_CRON_CONCURRENCY", value: "4" },
                { name: "WP_CRON_SITE_TIMEOUT", value: "120" },
                { name: "WP_CRON_INTERVAL", value: "60" },
            ]);
            expect(container.resources).to.deep.equal({
                requests: { cpu: "100m", memory: "128Mi" },
                limits: { cpu: "500m", memory: "256Mi" },
            });
            // It finds the color's sites as the web pods do, and is not a web pod: no Service or HPA selects it.
            expect(spec.template.spec.volumes).to.deep.equal(deployment(color).spec.template.spec.volumes);
            expect(spec.template.metadata.labels).not.to.have.property("app", color);
            expect(spec.template.metadata.labels).not.to.have.property("app.kubernetes.io/name");
        }
        const verify = run.get("kubernetes:batch/v1:Job", "alpha/verify").urn;
        expect(run.get("kubernetes:apps/v1:Deployment", "release-cron-green").dependencies).to.include(verify);
        expect(run.get("kubernetes:apps/v1:Deployment", "release-cron-blue").dependencies).not.to.include(verify);
        const np = run.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "release-cron-no-ingress").inputs.spec;
        expect(np).to.deep.equal({
            podSelector: { matchLabels: { "app.kubernetes.io/part-of": "wp-platform", "wp-platform/role": "cron" } },
            policyTypes: ["Ingress"],
            ingress: [],
        });
    });

    it("runs the pods as the restricted Pod Security Standard requires", () => {
        const spec = deployment("blue").spec.template.spec;
        expect(spec.securityContext).to.deep.include({ runAsNonRoot: true, runAsUser: 33, seccompProfile: { type: "RuntimeDefault" } });
        expect(spec.containers[0].securityContext).to.deep.include({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
        expect(spec.serviceAccountName).to.equal("wordpress");
    });
});
