// npm run bench (tools/bench.ts): where it writes, and how it reports a missed target. The runs
// themselves take minutes: README, "Scale", gives the command.
import { execFileSync } from "child_process";
import * as path from "path";
import { expect } from "chai";
import { DEFAULT_OUT, parseArgs } from "../tools/bench";
import { growthLine } from "../tools/bench/report";
import { missedTargets } from "../tools/bench/stats";
import { checkAddedSite } from "../tools/bench/worker";
import { ROOT, runProgram, siteFile } from "./support/program";

describe("npm run bench", () => {
    it("writes to a git-ignored file by default, never to the committed baseline", () => {
        const { out, check } = parseArgs([]);
        expect(out).to.equal(DEFAULT_OUT);
        expect(out).not.to.equal(path.join(ROOT, "bench", "baseline.json"));
        const ignored = execFileSync("git", ["check-ignore", path.relative(ROOT, out)], { cwd: ROOT, encoding: "utf8" });
        expect(ignored.trim()).to.equal(path.relative(ROOT, out));
        expect(check).to.equal(false);
    });

    it("writes where --out says, and fails on a missed target only with --check", () => {
        const options = parseArgs(["--out", "bench/baseline.json", "--check"]);
        expect(options.out).to.equal(path.resolve("bench/baseline.json"));
        expect(options.check).to.equal(true);
    });

    it("names every missed target, and none when all are met", () => {
        const met = {
            resourcesPerSite: 18,
            linear: { time: 1.1, memory: 0.9, holds: true },
            floor: { typed: { sites: 1000, time: 1.2, memory: 1.0, holds: true } },
            loaderUnderOneSecond: true,
            addOneSiteDiffsThatSiteOnly: true,
        };
        expect(missedTargets(met)).to.deep.equal([]);
        const missed = missedTargets({
            ...met,
            linear: { time: 2, memory: 0.9, holds: false },
            floor: { typed: { sites: 1000, time: 3.1, memory: 1.0, holds: false } },
            addOneSiteDiffsThatSiteOnly: false,
        });
        expect(missed).to.deep.equal([
            "linear in N (time x2, memory x0.9)",
            "per site within 1.5x of floor typed (time x3.1, memory x1)",
            "adding one site diffs that site and the site index only",
        ]);
        // Not measured (a run without the add check) is not a miss.
        expect(missedTargets({ ...met, addOneSiteDiffsThatSiteOnly: null })).to.deep.equal([]);
    });

    it("words the growth of the per-site cost for any sizes, never as 'at 100 sites / at 100'", () => {
        const typed = { typed: { from: 100, to: 1000, factor: 1.2 } };
        expect(growthLine("time", { from: 100, to: 1000, factor: 1.1 }, typed)).to.equal(
            "time per site at 1000 sites / at 100: program 1.1x, floor typed 1.2x",
        );
        // --sizes 10,100: the largest size is the smallest of 100 or more.
        const same = growthLine("time", { from: 100, to: 100, factor: null }, { typed: { from: 100, to: 100, factor: null } });
        expect(same).to.equal(
            "time per site: no growth factor, since 100 sites is both the largest size and the smallest of 100 or more " +
                "(give two such sizes, e.g. --sizes 100,1000)",
        );
        // A per-site figure of zero or less at the smaller size: no ratio.
        expect(growthLine("memory", { from: 100, to: 1000, factor: null }, { typed: { from: 100, to: 1000, factor: 0.9 } })).to.equal(
            "memory per site at 1000 sites / at 100: program n/a, floor typed 0.9x (n/a: the per-site figure at 100 sites is not above zero)",
        );
        for (const line of [same]) expect(line).not.to.match(/at (\d+) sites \/ at \1\b/);
    });

    it("checks that adding one site changes that site's resources and the site index only", async () => {
        const two = { "alpha.yaml": siteFile("alpha"), "gamma.yaml": siteFile("gamma") };
        const before = await runProgram({ sites: two });
        const after = await runProgram({ sites: { ...two, "beta.yaml": siteFile("beta") } });
        const check = checkAddedSite(before, after, "beta");
        expect(check.unexpected).to.deep.equal([]);
        expect(check.added).to.equal(check.siteResources).and.to.be.greaterThan(10);
        expect(check.removed).to.equal(0);
        // A change elsewhere is reported.
        const moved = await runProgram({
            sites: { ...two, "beta.yaml": siteFile("beta"), "gamma.yaml": siteFile("gamma", { service: "green" }) },
        });
        expect(checkAddedSite(before, moved, "beta").unexpected.join("\n")).to.match(/changed: .*gamma/);
        // A replacement is reported as one, as a preview shows it (`+-`): gamma's verify Job reruns on its new color.
        expect(check.replaced).to.equal(0);
        expect(checkAddedSite(before, moved, "beta").unexpected).to.include.members([
            "replaced: urn:pulumi:stg::wp-platform::wp-platform:index:Site$kubernetes:batch/v1:Job::gamma/verify",
        ]);
    });
});
