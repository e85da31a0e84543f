// Kubernetes workloads: the restricted Pod Security Standard, bounded Jobs, and the NetworkPolicy
// of the WordPress pods. Workloads are found by type, and a NetworkPolicy joins the pods it covers
// by its label selector over their labels, as Kubernetes does.
import { isDeepStrictEqual } from "util";
import { VERIFY_JOB_LABELS } from "../src/pods";
import {
    type Json,
    type Props,
    type ResourceCheck,
    type StackCheck,
    type StackResource,
    TYPES,
    asList,
    asObject,
    at,
    show,
    strings,
} from "./model";

// Pods.

/** The pod spec of a workload, by where each kind keeps it. */
export function podSpecOf(type: string, props: Props): Json | undefined {
    switch (type) {
        case TYPES.pod:
            return asObject(props.spec);
        case TYPES.deployment:
        case TYPES.statefulSet:
        case TYPES.daemonSet:
        case TYPES.replicaSet:
        case TYPES.job:
            return asObject(at(props, "spec", "template", "spec"));
        case TYPES.cronJob:
            return asObject(at(props, "spec", "jobTemplate", "spec", "template", "spec"));
        default:
            return undefined;
    }
}

export const WORKLOAD_TYPES = [TYPES.pod, TYPES.deployment, TYPES.statefulSet, TYPES.daemonSet, TYPES.replicaSet, TYPES.job, TYPES.cronJob];

export function containersOf(spec: Json): { kind: string; container: Json }[] {
    return (["containers", "initContainers", "ephemeralContainers"] as const).flatMap((kind) =>
        asList(spec[kind])
            .map(asObject)
            .filter((c): c is Json => c !== undefined)
            .map((container) => ({ kind, container })),
    );
}

export function containerLabel(kind: string, container: Json): string {
    const noun = kind === "containers" ? "container" : kind === "initContainers" ? "init container" : "ephemeral container";
    return `${noun} ${show(container.name)}`;
}

// The volume types the restricted Pod Security Standard allows.
const RESTRICTED_VOLUMES = new Set([
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
]);
const SECCOMP_PROFILES = new Set(["RuntimeDefault", "Localhost"]);

export const podSecurityRestricted: ResourceCheck = {
    name: "pod-security-restricted",
    description:
        'Pods meet the Kubernetes "restricted" Pod Security Standard: non-root, no privilege escalation, all capabilities ' +
        "dropped, RuntimeDefault seccomp, nothing privileged, no host namespaces, ports or paths.",
    types: WORKLOAD_TYPES,
    check(type, props) {
        const spec = podSpecOf(type, props);
        if (!spec) return WORKLOAD_TYPES.includes(type as (typeof WORKLOAD_TYPES)[number]) ? ["has no pod spec"] : [];
        const violations: string[] = [];
        for (const field of ["hostNetwork", "hostPID", "hostIPC"]) {
            if (spec[field] === true) violations.push(`${field} must not be true: the pod would share the node's namespace`);
        }
        for (const volume of asList(spec.volumes).map(asObject)) {
            const kind = Object.keys(volume ?? {}).find((k) => k !== "name");
            if (kind && !RESTRICTED_VOLUMES.has(kind))
                violations.push(`volume ${show(volume?.name)} is of type ${kind}, not allowed by the restricted standard`);
        }
        const pod = asObject(spec.securityContext) ?? {};
        const podSeccomp = at(pod, "seccompProfile", "type");
        if (podSeccomp !== undefined && !SECCOMP_PROFILES.has(String(podSeccomp))) {
            violations.push(`the pod's seccompProfile must be RuntimeDefault (is ${show(podSeccomp)})`);
        }
        if (pod.runAsUser === 0) violations.push("the pod's runAsUser must not be 0 (root)");
        const containers = containersOf(spec);
        if (containers.length === 0) violations.push("has no containers");
        for (const { kind, container } of containers) {
            const label = containerLabel(kind, container);
            const sc = asObject(container.securityContext) ?? {};
            if (sc.privileged === true) violations.push(`${label} must not be privileged`);
            if (sc.allowPrivilegeEscalation !== false) violations.push(`${label} must set allowPrivilegeEscalation to false`);
            const drop = strings(at(sc, "capabilities", "drop"));
            if (!drop.includes("ALL")) violations.push(`${label} must drop ALL capabilities (drops ${show(drop)})`);
            const added = strings(at(sc, "capabilities", "add")).filter((c) => c !== "NET_BIND_SERVICE");
            if (added.length > 0) violations.push(`${label} must not add capabilities ${added.join(", ")}`);
            const nonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
            if (nonRoot !== true) violations.push(`${label} must run as non-root (runAsNonRoot true on the pod or the container)`);
            if (sc.runAsUser === 0) violations.push(`${label} must not set runAsUser 0 (root)`);
            const seccomp = at(sc, "seccompProfile", "type") ?? podSeccomp;
            if (!SECCOMP_PROFILES.has(String(seccomp))) {
                violations.push(`${label} must use the RuntimeDefault seccomp profile (on the pod or the container; is ${show(seccomp)})`);
            }
            for (const port of asList(container.ports).map(asObject)) {
                if (port?.hostPort !== undefined && port.hostPort !== 0)
                    violations.push(`${label} must not use hostPort ${show(port.hostPort)}`);
            }
        }
        return violations;
    },
};
export const jobsBounded: ResourceCheck = {
    name: "jobs-bounded",
    description: "Jobs set a backoffLimit and an activeDeadlineSeconds, so a failing Job fails the update instead of retrying forever.",
    types: [TYPES.job, TYPES.cronJob],
    check(type, props) {
        const spec =
            type === TYPES.job
                ? asObject(props.spec)
                : type === TYPES.cronJob
                  ? asObject(at(props, "spec", "jobTemplate", "spec"))
                  : undefined;
        if (!spec) return type === TYPES.job || type === TYPES.cronJob ? ["has no Job spec"] : [];
        const violations: string[] = [];
        const backoff = spec.backoffLimit;
        if (typeof backoff !== "number" || !Number.isInteger(backoff) || backoff < 0) {
            violations.push(`spec.backoffLimit must be set (is ${show(backoff)})`);
        }
        const deadline = spec.activeDeadlineSeconds;
        if (typeof deadline !== "number" || !Number.isInteger(deadline) || deadline <= 0) {
            violations.push(`spec.activeDeadlineSeconds must be set to a positive number of seconds (is ${show(deadline)})`);
        }
        return violations;
    },
};

// ---------------------------------------------------------------------------------------------
// Network.

const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** Whether a label selector selects a set of labels (matchLabels and matchExpressions, ANDed). */
function selects(selector: unknown, labels: Record<string, unknown>): boolean {
    const s = asObject(selector);
    if (!s) return false;
    const matchLabels = asObject(s.matchLabels) ?? {};
    if (!Object.entries(matchLabels).every(([k, v]) => labels[k] === v)) return false;
    return asList(s.matchExpressions).every((e) => {
        const key = String(at(e, "key"));
        const values = strings(at(e, "values"));
        const has = Object.prototype.hasOwnProperty.call(labels, key);
        switch (at(e, "operator")) {
            case "In":
                return has && values.includes(String(labels[key]));
            case "NotIn":
                return !has || !values.includes(String(labels[key]));
            case "Exists":
                return has;
            case "DoesNotExist":
                return !has;
            default:
                return false;
        }
    });
}

/**
 * The sites' verify Jobs of the same namespace (src/pods.ts VERIFY_JOB_LABELS): a pod selector with
 * exactly those labels and no namespace selector, which Kubernetes reads as the policy's own namespace.
 */
function isVerifyJobs(peer: unknown): boolean {
    if (at(peer, "namespaceSelector") !== undefined || at(peer, "ipBlock") !== undefined) return false;
    const selector = asObject(at(peer, "podSelector"));
    return (
        selector !== undefined &&
        asList(selector.matchExpressions).length === 0 &&
        isDeepStrictEqual(asObject(selector.matchLabels) ?? {}, VERIFY_JOB_LABELS)
    );
}

/** Whether a namespace selector selects the namespace `name` and no other. */
function pinsNamespace(selector: unknown, name: string): boolean {
    const s = asObject(selector);
    if (!s) return false;
    if (at(s, "matchLabels", NAMESPACE_NAME_LABEL) === name) return true;
    return asList(s.matchExpressions).some((e) => {
        const values = strings(at(e, "values"));
        return at(e, "key") === NAMESPACE_NAME_LABEL && at(e, "operator") === "In" && values.length === 1 && values[0] === name;
    });
}

function appliesToIngress(policy: StackResource): boolean {
    const types = at(policy.props, "spec", "policyTypes");
    // Without policyTypes, Kubernetes applies a policy to ingress always.
    return types === undefined || types === null || strings(types).includes("Ingress");
}

export const wordpressNetworkPolicy: StackCheck = {
    name: "wordpress-network-policy",
    description:
        "A NetworkPolicy selects the pods of every Deployment, and every NetworkPolicy that selects them admits ingress " +
        "only from the ingress controller's namespace (and the sites' verify Jobs of the same namespace).",
    types: [TYPES.deployment, TYPES.networkPolicy],
    options: ["ingressControllerNamespace"],
    check(resources, options) {
        const violations = new Set<string>();
        const policies = resources.filter((r) => r.type === TYPES.networkPolicy);
        for (const deployment of resources.filter((r) => r.type === TYPES.deployment)) {
            const namespace = at(deployment.props, "metadata", "namespace");
            const labels = asObject(at(deployment.props, "spec", "template", "metadata", "labels")) ?? {};
            const selecting = policies.filter(
                (p) =>
                    at(p.props, "metadata", "namespace") === namespace &&
                    selects(at(p.props, "spec", "podSelector"), labels) &&
                    appliesToIngress(p),
            );
            if (selecting.length === 0) {
                violations.add(
                    `${deployment.name}: no NetworkPolicy of its namespace selects its pods (labels ${show(labels)}) for ingress`,
                );
            }
            // NetworkPolicies add up: any one of them that admits more widens what reaches the pods.
            for (const policy of selecting) {
                const where = `${policy.name} (selects the pods of ${deployment.name})`;
                asList(at(policy.props, "spec", "ingress")).forEach((rule, i) => {
                    const from = asList(at(rule, "from"));
                    if (from.length === 0) violations.add(`${where}: ingress rule ${i} admits traffic from anywhere (no from)`);
                    for (const peer of from) {
                        if (isVerifyJobs(peer)) continue;
                        if (at(peer, "ipBlock") !== undefined) {
                            violations.add(
                                `${where}: ingress rule ${i} admits an ipBlock; only the ingress controller's namespace may reach the pods`,
                            );
                        } else if (!pinsNamespace(at(peer, "namespaceSelector"), options.ingressControllerNamespace)) {
                            violations.add(
                                `${where}: ingress rule ${i} admits ${show(peer)}; only the namespace ${show(options.ingressControllerNamespace)} ` +
                                    `(namespaceSelector ${NAMESPACE_NAME_LABEL}: ${options.ingressControllerNamespace}) may reach the pods`,
                            );
                        }
                    }
                });
            }
        }
        return [...violations];
    },
};

/**
 * The namespace's walls (components/network.ts): a policy that selects every pod for both
 * directions and admits nothing, so only what another policy admits flows; and no egress rule of
 * the namespace reaches the link-local range, where the node's instance metadata (and its
 * credentials) answer.
 */
export const namespaceDefaultDeny: StackCheck = {
    name: "namespace-default-deny",
    description:
        "Each namespace with workloads has a NetworkPolicy denying all ingress and egress by default, and no egress rule " +
        "admits the instance metadata endpoint (169.254.169.254).",
    types: [TYPES.deployment, TYPES.networkPolicy],
    check(resources) {
        const violations: string[] = [];
        const policies = resources.filter((r) => r.type === TYPES.networkPolicy);
        const namespaces = new Set(
            resources.filter((r) => r.type === TYPES.deployment).map((r) => String(at(r.props, "metadata", "namespace"))),
        );
        for (const namespace of namespaces) {
            const denies = policies.some(
                (p) =>
                    String(at(p.props, "metadata", "namespace")) === namespace &&
                    isDeepStrictEqual(asObject(at(p.props, "spec", "podSelector")) ?? {}, {}) &&
                    ["Ingress", "Egress"].every((t) => strings(at(p.props, "spec", "policyTypes")).includes(t)) &&
                    asList(at(p.props, "spec", "ingress")).length === 0 &&
                    asList(at(p.props, "spec", "egress")).length === 0,
            );
            if (!denies)
                violations.push(`namespace ${show(namespace)}: no NetworkPolicy denies all ingress and egress of its pods by default`);
        }
        for (const policy of policies) {
            asList(at(policy.props, "spec", "egress")).forEach((rule, i) => {
                for (const peer of asList(at(rule, "to"))) {
                    const block = asObject(at(peer, "ipBlock"));
                    if (block && reachesMetadata(String(block.cidr), strings(block.except)))
                        violations.push(
                            `${policy.name}: egress rule ${i} admits ${show(block)}, which holds the instance metadata endpoint 169.254.169.254`,
                        );
                }
                if (asList(at(rule, "to")).length === 0)
                    violations.push(`${policy.name}: egress rule ${i} admits every destination (no to)`);
            });
        }
        return violations;
    },
};

const METADATA = ipv4("169.254.169.254");

function ipv4(address: string): number {
    return address.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

function inCidr(address: number, cidr: string): boolean {
    const [base, bits] = cidr.split("/");
    const size = 2 ** (32 - Number(bits ?? 32));
    const start = Math.floor(ipv4(base) / size) * size;
    return address >= start && address < start + size;
}

/** Whether an ipBlock (an IPv4 CIDR less its exceptions) holds the metadata endpoint. */
function reachesMetadata(cidr: string, except: readonly string[]): boolean {
    if (cidr.includes(":")) return false;
    return inCidr(METADATA, cidr) && !except.some((e) => !e.includes(":") && inCidr(METADATA, e));
}
