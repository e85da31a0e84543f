// The policy pack: `pulumi preview --policy-pack policy` (or `up`) runs this file with the Pulumi CLI.
// Constructing the pack starts the gRPC server the CLI talks to, so only this file does it; the
// policies themselves live in ./policies, where the tests run them.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("wp-platform", {
    description: "Security baseline of wp-platform: RDS, S3, IAM, secrets, pod security, image digests, Jobs, network policy.",
    enforcementLevel: "mandatory",
    policies,
});
