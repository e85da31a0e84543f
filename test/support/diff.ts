// The two-run diff lives with the harness (tools/diff.ts), which the render and the bench use too.
export { type RunDiff, diffRuns, names, updatedInPlace } from "../../tools/diff";
