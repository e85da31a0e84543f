// The platform namespace's network walls: nothing reaches or leaves a pod of the namespace unless a
// policy here or beside the Services (components/color-services.ts) admits it. Egress: DNS, and the
// ports of what the pods use in AWS (the database, the cache, AWS's APIs over HTTPS), never the
// instance metadata endpoint; the verify Jobs may reach the web pods of the namespace.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NETWORK_TYPE } from "../src/naming";
import { CACHE_PORT } from "./platform";
import { VERIFY_JOB_LABELS, WORDPRESS_POD_LABELS } from "../src/pods";

export interface NetworkArgs {
    /** Kubernetes namespace of the platform. */
    readonly namespace: pulumi.Input<string>;
    /** Port the WordPress pods listen on: what the verify Jobs may reach. */
    readonly port: number;
}

/** The link-local range: the instance metadata endpoint (169.254.169.254) and the EKS Pod Identity agent. */
export const LINK_LOCAL = "169.254.0.0/16";

/** What the pods reach in AWS: the MySQL instance, the object cache, and AWS's APIs (S3, STS) over HTTPS. */
export const AWS_PORTS = [3306, CACHE_PORT, 443] as const;

export class Network extends pulumi.ComponentResource {
    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super(NETWORK_TYPE, name, {}, opts);
        const names: string[] = [];
        const policy = (child: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec) => {
            names.push(child);
            return new k8s.networking.v1.NetworkPolicy(
                `${name}-${child}`,
                { metadata: { name: child, namespace: args.namespace }, spec },
                { parent: this },
            );
        };

        // Every pod of the namespace: no traffic in or out but what another policy admits.
        policy("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        policy("egress-dns", {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [
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
            ],
        });
        // By port: the database's and the cache's addresses are AWS's to choose, and AWS's APIs are
        // public endpoints (or VPC endpoints). Never the link-local range, where the node's
        // credentials are.
        policy("egress-aws", {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [
                {
                    to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [LINK_LOCAL] } }],
                    ports: AWS_PORTS.map((port) => ({ protocol: "TCP", port })),
                },
            ],
        });
        // verify loads the site as a visitor would, through its color's Service.
        policy("egress-verify", {
            podSelector: { matchLabels: VERIFY_JOB_LABELS },
            policyTypes: ["Egress"],
            egress: [{ to: [{ podSelector: { matchLabels: WORDPRESS_POD_LABELS } }], ports: [{ protocol: "TCP", port: args.port }] }],
        });
        this.registerOutputs({ policies: names });
    }
}
