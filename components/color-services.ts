// What the sites' Ingresses route to, which needs no site: a Service per color, selecting that
// color's pods, and the network policy that admits only the ingress controller to them. Built before
// the sites, so each site's Ingress can wait for its backend; the Deployments the Services select
// come after the sites (components/release.ts).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { COLORS, type Color } from "../src/config";
import { COLOR_SERVICES_TYPE, RELEASE_TYPE, SERVICE_PORT, serviceName } from "../src/naming";
import { VERIFY_JOB_LABELS, WORDPRESS_POD_LABELS } from "../src/pods";

export interface ColorServicesArgs {
    /** Kubernetes namespace of the platform. */
    readonly namespace: pulumi.Input<string>;
    /** Port the WordPress pods listen on. */
    readonly port: number;
    /** Namespace of the ingress controller: the only one that may reach the pods. */
    readonly ingressControllerNamespace: string;
}

export class ColorServices extends pulumi.ComponentResource {
    /** The Service of each color: the Ingress backends. */
    readonly services: Record<Color, k8s.core.v1.Service>;

    constructor(name: string, args: ColorServicesArgs, opts?: pulumi.ComponentResourceOptions) {
        super(COLOR_SERVICES_TYPE, name, {}, opts);
        const child = movedFromRelease(name, this);
        const services = {} as Record<Color, k8s.core.v1.Service>;
        for (const color of COLORS) {
            services[color] = new k8s.core.v1.Service(
                child.name(serviceName(color)),
                {
                    metadata: { name: serviceName(color), namespace: args.namespace, labels: { app: color, ...WORDPRESS_POD_LABELS } },
                    spec: {
                        type: "ClusterIP",
                        selector: { app: color },
                        ports: [{ name: "http", port: SERVICE_PORT, targetPort: "http", protocol: "TCP" }],
                    },
                },
                child.opts(serviceName(color)),
            );
        }
        new k8s.networking.v1.NetworkPolicy(
            child.name("wordpress-ingress"),
            {
                metadata: { name: "wordpress-ingress", namespace: args.namespace },
                spec: {
                    podSelector: { matchLabels: WORDPRESS_POD_LABELS },
                    policyTypes: ["Ingress"],
                    // The ingress controller, and the sites' verify Jobs, which load a site as a visitor would.
                    ingress: [
                        {
                            from: [
                                { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.ingressControllerNamespace } } },
                                { podSelector: { matchLabels: VERIFY_JOB_LABELS } },
                            ],
                            ports: [{ protocol: "TCP", port: args.port }],
                        },
                    ],
                },
            },
            child.opts("wordpress-ingress"),
        );
        this.services = services;
        this.registerOutputs({ services: COLORS.map((color) => services[color].metadata.name) });
    }
}

/**
 * A child's Pulumi name, `<component>-<child>`, and its options. These objects were first children
 * of the Release component, named `release-<child>` and before that `<child>`: the aliases name
 * both old URNs, so the engine moves them here instead of replacing them (a replaced Service would
 * drop every site's traffic for a moment).
 */
function movedFromRelease(component: string, parent: pulumi.Resource) {
    const release = pulumi.createUrn("release", RELEASE_TYPE);
    return {
        name: (child: string) => `${component}-${child}`,
        opts: (child: string): pulumi.CustomResourceOptions => ({
            parent,
            aliases: [
                { name: `release-${child}`, parent: release },
                { name: child, parent: release },
            ],
        }),
    };
}
