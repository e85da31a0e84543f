// The object cache's part of the security baseline, shaped like the checks of ./policies (a plain
// check over a resource's inputs; nothing runs on import). Registered by adding `elasticacheHardened`
// to `resourceChecks` in ./policies, and `CACHE_SECRET_FIELDS` to its `SECRET_FIELDS`, so that the
// pack runs it and the tests' secrets rule covers the AUTH token.
import type { Props, ResourceCheck, SecretFields } from "./policies";

export const REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup";

function show(value: unknown): string {
    return JSON.stringify(value) ?? String(value);
}

function isSet(value: unknown): boolean {
    if (value === undefined || value === null) return false;
    if (typeof value === "string" || Array.isArray(value)) return value.length > 0;
    return true;
}

export const elasticacheHardened: ResourceCheck = {
    name: "elasticache-hardened",
    description:
        "ElastiCache replication groups require TLS (transit encryption on, mode not 'preferred'), are encrypted at rest, " +
        "and refuse unauthenticated clients (an AUTH token or an RBAC user group).",
    types: [REPLICATION_GROUP],
    check(_type, props: Props) {
        const violations: string[] = [];
        if (props.transitEncryptionEnabled !== true) {
            violations.push(`transitEncryptionEnabled must be true (is ${show(props.transitEncryptionEnabled)})`);
        }
        // "preferred" also accepts plain TCP: a migration step, never a resting state.
        if (props.transitEncryptionMode === "preferred") {
            violations.push('transitEncryptionMode must be "required": "preferred" accepts clients without TLS');
        }
        // Valkey's default is on, Redis OSS's off: the program states it, so the check asks for it.
        if (props.atRestEncryptionEnabled !== true) {
            violations.push(`atRestEncryptionEnabled must be true (is ${show(props.atRestEncryptionEnabled)})`);
        }
        if (!isSet(props.authToken) && !isSet(props.authTokenWo) && !isSet(props.userGroupIds)) {
            violations.push("authToken (or an RBAC userGroupIds) must be set: without it any client in the network runs any command");
        }
        return violations;
    },
};

/** Where a replication group keeps its secret: the AUTH token, absent when RBAC user groups are used. */
export const CACHE_SECRET_FIELDS: Readonly<Record<string, SecretFields>> = {
    [REPLICATION_GROUP]: { fields: ["authToken"], required: "optional" },
};
