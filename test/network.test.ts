// The namespace's network walls (components/network.ts): what may reach or leave its pods.
import { expect } from "chai";
import { type ProgramRun, runProgram } from "./support/program";

const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

describe("Network", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({});
    });
    const spec = (name: string) => run.get(POLICY, name).inputs.spec;

    it("denies every pod of the namespace all traffic, in and out, unless a policy admits it", () => {
        expect(run.get(POLICY, "network-default-deny").inputs.metadata).to.deep.include({ name: "default-deny", namespace: "wp-platform" });
        expect(spec("network-default-deny")).to.deep.equal({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    });

    it("lets every pod ask the cluster's DNS, and nothing else of kube-system", () => {
        expect(spec("network-egress-dns").egress).to.deep.equal([
            {
                to: [
                    {
                        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
                        podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
                    },
                ],
                ports: [
                    { protocol: "UDP", port: 53 },
                    { protocol: "TCP", port: 53 },
                ],
            },
        ]);
    });

    it("lets pods reach the database, the cache and AWS's APIs by port, never the instance metadata endpoint", () => {
        expect(spec("network-egress-aws").egress).to.deep.equal([
            {
                to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["169.254.0.0/16"] } }],
                ports: [3306, 6379, 443].map((port) => ({ protocol: "TCP", port })),
            },
        ]);
        // No policy of the namespace opens port 80 or any other to anywhere.
        for (const policy of run.ofType(POLICY))
            for (const rule of policy.inputs.spec.egress ?? []) expect(rule.ports, policy.name).to.not.equal(undefined);
    });

    it("lets the verify Jobs alone reach the web pods, on their port", () => {
        expect(spec("network-egress-verify")).to.deep.equal({
            podSelector: { matchLabels: { "wp-platform/job": "verify" } },
            policyTypes: ["Egress"],
            egress: [
                {
                    to: [
                        {
                            podSelector: {
                                matchLabels: { "app.kubernetes.io/name": "wordpress", "app.kubernetes.io/part-of": "wp-platform" },
                            },
                        },
                    ],
                    ports: [{ protocol: "TCP", port: 8080 }],
                },
            ],
        });
        // The verify Jobs' pods carry the label the policies select.
        const verify = run.get("kubernetes:batch/v1:Job", "rrr/verify").inputs.spec.template.metadata.labels;
        expect(verify).to.include({ "wp-platform/job": "verify" });
    });
});
