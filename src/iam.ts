// IAM documents the program writes more than once: the trust of a role that one Kubernetes
// ServiceAccount takes through the cluster's OIDC provider (IRSA), and what serving pods may do to
// media. Creates no resources.
import * as pulumi from "@pulumi/pulumi";

/** `oidc.eks.<region>.amazonaws.com/id/<id>`: the issuer of the OIDC provider, as IAM condition keys name it. */
export function oidcIssuer(providerArn: string): string {
    return providerArn.replace(/^.*:oidc-provider\//, "");
}

/**
 * The trust policy of a role that the ServiceAccount `namespace/serviceAccount` alone may take, with
 * a web identity token for STS (the EKS pod identity webhook's projected token).
 */
export function irsaTrustPolicy(
    oidcProviderArn: string,
    namespace: pulumi.Input<string>,
    serviceAccount: pulumi.Input<string>,
): pulumi.Output<string> {
    const issuer = oidcIssuer(oidcProviderArn);
    return pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Federated: oidcProviderArn },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        [`${issuer}:sub`]: pulumi.interpolate`system:serviceaccount:${namespace}:${serviceAccount}`,
                        [`${issuer}:aud`]: "sts.amazonaws.com",
                    },
                },
            },
        ],
    });
}

/**
 * What serving pods do to media under `pattern` (`sites/*\/uploads/*`, or one site's
 * `sites/<id>/uploads/*`): read, write and delete objects, and list under that prefix alone.
 */
export function mediaPolicy(bucketArn: pulumi.Input<string>, pattern: string): pulumi.Output<string> {
    return pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "SiteMedia",
                Effect: "Allow",
                Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                Resource: pulumi.interpolate`${bucketArn}/${pattern}`,
            },
            {
                Sid: "ListSiteMedia",
                Effect: "Allow",
                Action: "s3:ListBucket",
                Resource: bucketArn,
                Condition: { StringLike: { "s3:prefix": [pattern] } },
            },
        ],
    });
}
