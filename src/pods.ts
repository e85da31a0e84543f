// Pod settings shared by the Deployments and the Jobs: the Kubernetes "restricted" Pod Security
// Standard, which the platform namespace enforces. Creates no resources.
import type * as k8s from "@pulumi/kubernetes";

type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;
type SecurityContext = k8s.types.input.core.v1.SecurityContext;

/** Pod-level: a fixed non-root uid (the image's www-data), default seccomp profile. */
export function podSecurityContext(runAsUser: number): PodSecurityContext {
    return {
        runAsNonRoot: true,
        runAsUser,
        runAsGroup: runAsUser,
        fsGroup: runAsUser,
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Container-level: no privilege escalation, no capabilities. */
export const containerSecurityContext: SecurityContext = {
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ["ALL"] },
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
};

/** Labels every WordPress pod carries; the NetworkPolicy selects them. */
export const WORDPRESS_POD_LABELS = { "app.kubernetes.io/name": "wordpress", "app.kubernetes.io/part-of": "wp-platform" };

/** Labels of every site's verify Job pods (components/site.ts): the one thing of the namespace that may reach the web pods. */
export const VERIFY_JOB_LABELS = { "wp-platform/job": "verify" };
