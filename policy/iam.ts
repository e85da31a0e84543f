// IAM: no wildcards anywhere, and a site's role reaches its own S3 prefix only.
//
// A site's role policy is found by what the program sets, never by its Pulumi name: the Site
// component it is a child of (type SITE_TYPE, named by the site id), and the role it is attached
// to, whose name src/naming.ts's siteRoleName builds. The stack check finds the roles themselves by
// their tags (`wp-platform:files`, read with src/site-files.ts's parser, and `wp-platform:site`),
// and reports any policy attached to one that the resource check would not examine as that site's.
import { EDGE_INVALIDATION_ACTIONS } from "../components/site-edge";
import { SITE_TAG, SITE_TYPE, siteRoleName, sitePrefix } from "../src/naming";
import { SITE_ID_PATTERN } from "../src/site-rules";
import { FILES_TAG, parseFilesLocation } from "../src/site-files";
import {
    type Props,
    type ResourceCheck,
    type ResourceWhere,
    type StackCheck,
    type StackResource,
    TYPES,
    asList,
    asObject,
    at,
    escapeRegExp,
    isAllow,
    peek,
    show,
    statements,
    strings,
    urnParts,
} from "./model";

/** The policy documents of an IAM resource, each with a label for messages. */
function iamDocuments(type: string, props: Props): { label: string; document: unknown }[] {
    switch (type) {
        case TYPES.iamRole:
            return [
                { label: "assumeRolePolicy", document: props.assumeRolePolicy },
                ...asList(props.inlinePolicies).map((p, i) => ({ label: `inlinePolicies[${i}].policy`, document: at(p, "policy") })),
            ];
        case TYPES.iamRolePolicy:
        case TYPES.iamPolicy:
        case TYPES.iamUserPolicy:
        case TYPES.iamGroupPolicy:
            return [{ label: "policy", document: props.policy }];
        default:
            return [];
    }
}

export const iamNoWildcards: ResourceCheck = {
    name: "iam-no-wildcards",
    description: 'IAM policies grant no "*" or "service:*" action and no "*" resource, and trust no "*" principal.',
    types: [TYPES.iamRole, TYPES.iamRolePolicy, TYPES.iamPolicy, TYPES.iamUserPolicy, TYPES.iamGroupPolicy],
    check(type, props) {
        const violations: string[] = [];
        for (const { label, document } of iamDocuments(type, props)) {
            if (document === undefined) continue;
            const parsed = statements(document);
            if (parsed.error) violations.push(`${label} ${parsed.error}`);
            parsed.statements.forEach((statement, i) => {
                if (!isAllow(statement)) return;
                const where = `${label}: Allow statement ${statement.Sid ? show(statement.Sid) : i}`;
                for (const action of strings(statement.Action)) {
                    if (action === "*" || /^[A-Za-z0-9-]+:\*$/.test(action))
                        violations.push(`${where} grants every action of ${show(action)}`);
                }
                if (statement.NotAction !== undefined) violations.push(`${where} uses NotAction: it grants every other action`);
                if (strings(statement.Resource).includes("*")) violations.push(`${where} applies to every resource ("*")`);
                if (statement.NotResource !== undefined) violations.push(`${where} uses NotResource: it applies to every other resource`);
                const principal = statement.Principal;
                if (principal === "*" || strings(at(principal, "AWS")).includes("*"))
                    violations.push(`${where} trusts every principal ("*")`);
            });
        }
        return violations;
    },
};

/**
 * What no principal of the program gets (README, "Who can read and write what"): the pods' settings
 * are mounted, so no pod or Job reads Secrets Manager, and each principal has one role, so none
 * takes another's. Only an operator (outside the program) reads a site's secret.
 */
const FORBIDDEN_ACTIONS: readonly { readonly pattern: RegExp; readonly why: string }[] = [
    { pattern: /^secretsmanager:(get|describe|list|batchget)/i, why: "no pod or Job reads Secrets Manager: their settings are mounted" },
    { pattern: /^sts:assumerole$/i, why: "no principal takes another's role: each site's Jobs have their own (IRSA)" },
    { pattern: /^iam:passrole$/i, why: "no workload hands a role to anything" },
];

export const runtimeLeastPrivilege: ResourceCheck = {
    name: "runtime-least-privilege",
    description: "No IAM policy of the program lets a pod or Job read Secrets Manager, assume another role or pass a role.",
    types: [TYPES.iamRole, TYPES.iamRolePolicy, TYPES.iamPolicy],
    check(type, props) {
        const violations: string[] = [];
        for (const { label, document } of iamDocuments(type, props)) {
            if (document === undefined || label === "assumeRolePolicy") continue;
            statements(document).statements.forEach((statement, i) => {
                if (!isAllow(statement)) return;
                const where = `${label}: Allow statement ${statement.Sid ? show(statement.Sid) : i}`;
                for (const action of strings(statement.Action)) {
                    const forbidden = FORBIDDEN_ACTIONS.find((f) => f.pattern.test(action));
                    if (forbidden) violations.push(`${where} grants ${show(action)}: ${forbidden.why}`);
                }
            });
        }
        return violations;
    },
};

const LIST_ACTIONS = new Set(["s3:listbucket", "s3:listbucketversions"]);
/** A site's Jobs invalidate their site's distribution tenant (components/site.ts, allowEdgeInvalidation). */
const TENANT_INVALIDATION = new Set(EDGE_INVALIDATION_ACTIONS.map((a) => a.toLowerCase()));
/** One distribution tenant, never a pattern: `arn:<partition>:cloudfront::<account>:distribution-tenant/<id>`. */
const TENANT_ARN = /^arn:[^:]+:cloudfront::[0-9]{12}:distribution-tenant\/[A-Za-z0-9_-]+$/;
const PREFIX_CONDITIONS = ["StringLike", "StringEquals"];
export { SITE_TAG };

/**
 * `siteRoleName(stack, id)` read backwards, built from the function itself with placeholders: the
 * pattern follows any change of the name. A stack name and an id hold no `.` (src/naming.ts).
 */
const SITE_ROLE_NAME = (() => {
    const [stack, id] = ["\u0000stack\u0000", "\u0000id\u0000"];
    const idPattern = SITE_ID_PATTERN.source.replace(/^\^/, "").replace(/\$$/, "");
    const pattern = escapeRegExp(siteRoleName(stack, id))
        .replace(escapeRegExp(stack), "(?<stack>[^.]+)")
        .replace(escapeRegExp(id), `(?<id>${idPattern})`);
    return new RegExp(`^${pattern}$`);
})();

/** The site whose role `role` (a role name, as a RolePolicy's `role` holds it) is; none for another role. */
export function siteOfRoleName(role: unknown): string | undefined {
    return typeof role === "string" ? SITE_ROLE_NAME.exec(role)?.groups?.id : undefined;
}

/** The site a resource belongs to by its parent: a Site component, whose name is the site id. */
export function siteOfParent(parent: string | undefined): string | undefined {
    const component = parent === undefined ? undefined : urnParts(parent);
    return component?.type === SITE_TYPE ? component.name : undefined;
}

/**
 * The site whose role policy this is, as site-role-own-prefix finds it: by its parent Site, else by
 * the role it is attached to. `conflict` when the two name different sites.
 */
export function siteOfRolePolicy(props: Props, where?: ResourceWhere): { id?: string; conflict?: string } {
    const byParent = siteOfParent(where?.parent);
    const byRole = siteOfRoleName(peek(props, "role"));
    if (byParent && byRole && byParent !== byRole) {
        return {
            id: byParent,
            conflict: `is a child of site ${show(byParent)} but is attached to ${show(peek(props, "role"))}, the role of site ${show(byRole)}`,
        };
    }
    const id = byParent ?? byRole;
    return id === undefined ? {} : { id };
}

/** What in a policy document reaches beyond the prefix `sites/<id>/` of the bucket. */
export function beyondSitePrefix(policy: unknown, id: string): string[] {
    const prefix = sitePrefix(id);
    // The prefix itself, or a folder within it (a dedicated site's pods: `sites/<id>/uploads/*`).
    const objectArn = new RegExp(`^arn:[^:]+:s3:::[^/*?]+/${escapeRegExp(prefix)}([^*?]+/)?\\*$`);
    const violations: string[] = [];
    const parsed = statements(policy);
    if (parsed.error) violations.push(`policy ${parsed.error}`);
    parsed.statements.forEach((statement, i) => {
        if (!isAllow(statement)) return;
        const where = `Allow statement ${statement.Sid ? show(statement.Sid) : i}`;
        const actions = strings(statement.Action).map((a) => a.toLowerCase());
        // The one thing beyond its prefix: invalidating the site's own distribution tenant, by its ARN.
        if (actions.length > 0 && actions.every((a) => TENANT_INVALIDATION.has(a))) {
            for (const resource of strings(statement.Resource))
                if (!TENANT_ARN.test(resource))
                    violations.push(`${where} invalidates ${show(resource)}, which is not one distribution tenant`);
            if (statement.NotResource !== undefined) violations.push(`${where} uses NotResource, which reaches beyond one tenant`);
            return;
        }
        for (const action of actions.filter((a) => !a.startsWith("s3:"))) {
            violations.push(
                `${where} grants ${action}: a site role reaches its S3 prefix (and invalidates its own tenant) and nothing else`,
            );
        }
        if (statement.NotAction !== undefined || statement.NotResource !== undefined) {
            violations.push(`${where} uses NotAction or NotResource, which reach beyond ${prefix}`);
        }
        for (const resource of strings(statement.Resource)) {
            if (/^arn:[^:]+:s3:::[^/]+\/.*$/.test(resource)) {
                if (!objectArn.test(resource))
                    violations.push(`${where} reaches objects ${show(resource)} outside ${prefix}* of the bucket`);
            } else if (/^arn:[^:]+:s3:::[^/*?]+$/.test(resource)) {
                const beyondListing = actions.filter((a) => !LIST_ACTIONS.has(a));
                if (beyondListing.length > 0) {
                    violations.push(
                        `${where} grants ${beyondListing.join(", ")} on the whole bucket ${show(resource)}; only listing is allowed there`,
                    );
                }
                const prefixes = PREFIX_CONDITIONS.flatMap((op) => strings(at(statement.Condition, op, "s3:prefix")));
                if (prefixes.length === 0 || !prefixes.every((p) => p.startsWith(prefix))) {
                    violations.push(
                        `${where} lists the bucket ${show(resource)} without an s3:prefix condition limited to ${prefix} ` +
                            `(has ${show(prefixes)})`,
                    );
                }
            } else {
                violations.push(`${where} applies to ${show(resource)}, which is not the site's prefix of the bucket`);
            }
        }
    });
    return violations;
}

export const siteRoleOwnPrefix: ResourceCheck = {
    name: "site-role-own-prefix",
    description:
        `A site's role policy (a child of its Site, or attached to the role ${siteRoleName("<stack>", "<id>")}) reaches only ` +
        `the site's prefix \`${sitePrefix("<id>")}\` of the bucket: object ARNs end with \`/${sitePrefix("<id>")}*\`, and listing ` +
        "the bucket carries an s3:prefix condition within that prefix.",
    types: [TYPES.iamRolePolicy],
    check(type, props, where) {
        if (type !== TYPES.iamRolePolicy) return [];
        const { id, conflict } = siteOfRolePolicy(props, where);
        if (id === undefined) return [];
        return [...(conflict ? [conflict] : []), ...beyondSitePrefix(props.policy, id)];
    },
};

/** The site a role is for, by its tags: where its files are (`wp-platform:files`) and `wp-platform:site`. */
export function siteOfRole(role: StackResource): { id?: string; problem?: string } {
    const tags = asObject(peek(role.props, "tags")) ?? {};
    const tagged = typeof tags[SITE_TAG] === "string" ? (tags[SITE_TAG] as string) : undefined;
    let files: string | undefined;
    if (typeof tags[FILES_TAG] === "string") {
        try {
            files = parseFilesLocation(tags[FILES_TAG] as string).site;
        } catch (e) {
            return { id: tagged, problem: `its ${FILES_TAG} tag is not one site's folder: ${(e as Error).message}` };
        }
    }
    if (files && tagged && files !== tagged) {
        return { id: files, problem: `its ${FILES_TAG} tag names site ${show(files)} and its ${SITE_TAG} tag site ${show(tagged)}` };
    }
    const id = files ?? tagged;
    return id === undefined ? {} : { id };
}

export const siteRolePoliciesExamined: StackCheck = {
    name: "site-role-policies-examined",
    description:
        `Every policy attached to a site's role (a role tagged ${FILES_TAG} or ${SITE_TAG}) is one site-role-own-prefix ` +
        "examines as that site's, so renaming a resource never exempts it; one that is not is checked here.",
    types: [TYPES.iamRole, TYPES.iamRolePolicy],
    check(resources) {
        const violations: string[] = [];
        const rolePolicies = resources.filter((r) => r.type === TYPES.iamRolePolicy);
        for (const role of resources.filter((r) => r.type === TYPES.iamRole)) {
            const { id, problem } = siteOfRole(role);
            if (id === undefined) continue;
            if (problem) violations.push(`${role.name}: ${problem}`);
            const roleName = peek(role.props, "name");
            const attached = rolePolicies.filter(
                (p) => p.dependencies.includes(role.urn) || (roleName !== undefined && peek(p.props, "role") === roleName),
            );
            for (const policy of attached) {
                const found = siteOfRolePolicy(policy.props, { name: policy.name, parent: policy.parent });
                if (found.id === id && !found.conflict) continue;
                violations.push(
                    `${policy.name}: is attached to ${role.name}, the role of site ${show(id)}, but site-role-own-prefix ` +
                        (found.id === undefined
                            ? "does not examine it (not a child of that Site, nor attached by the site role's name)"
                            : `examines it as site ${show(found.id)}'s`),
                    ...beyondSitePrefix(policy.props.policy, id).map((v) => `${policy.name}: ${v}`),
                );
            }
            for (const [i, inline] of asList(peek(role.props, "inlinePolicies")).entries()) {
                for (const v of beyondSitePrefix(at(inline, "policy"), id)) violations.push(`${role.name}: inlinePolicies[${i}]: ${v}`);
            }
        }
        return violations;
    },
};
