// The object cache's part of the security baseline: a plain check over a replication group's
// inputs (nothing runs on import), gathered with the others in ./policies. Its AUTH token is in
// ./data's SECRET_FIELDS, so the secrets rule covers it.
import { type Props, type ResourceCheck, TYPES } from "./model";

export const REPLICATION_GROUP = TYPES.replicationGroup;

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
