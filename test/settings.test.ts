import { expect } from "chai";
import { OBJECT_DATA_LIMIT, SETTINGS_SHARDS, servingSettingsBound, settingsShard, siteIndexSizeProblems } from "../src/settings";
import type { SiteSpec } from "../src/sites";
import { runFailingProgram, runProgram, siteFile } from "./support/program";

const spec = (id: string): SiteSpec =>
    ({
        id,
        name: id,
        theme: "twentytwentythree",
        hostnames: [`${id}.cloud2-stg.example.com`],
        canonicalHostname: `${id}.cloud2-stg.example.com`,
        service: "active",
        isolation: "shared",
        file: `${id}.yaml`,
    }) as SiteSpec;
const context = {
    stack: "stg",
    adminEmail: "platform-team@example.com",
    siteUrl: (s: SiteSpec) => `https://${s.canonicalHostname}`,
    cache: true,
};
const fleet = (n: number) => Array.from({ length: n }, (_, i) => spec(`site-${String(i).padStart(5, "0")}`));

describe("site settings and index sizes", () => {
    it("spreads sites over the settings Secrets by id alone", () => {
        const counts = new Array<number>(SETTINGS_SHARDS).fill(0);
        for (const s of fleet(1000)) counts[settingsShard(s.id)]++;
        for (const c of counts) expect(c).to.be.within(200, 300);
        expect(settingsShard("shop")).to.equal(settingsShard("shop"));
    });

    it("bounds a site's settings from above by what a deployment can fill in", async () => {
        const run = await runProgram({ sites: { "shop.yaml": siteFile("shop") } });
        const secret = run.ofType("kubernetes:core/v1:Secret").find((r) => "shop.json" in (r.inputs.stringData ?? {}))!;
        const actual = "shop.json".length + Buffer.byteLength(secret.inputs.stringData["shop.json"]);
        const bound = servingSettingsBound(spec("shop"), context);
        expect(bound).to.be.at.least(actual);
        expect(bound).to.be.below(actual + 400);
    });

    it("accepts a stack whose index and settings fit, and names the object that would not", () => {
        expect(siteIndexSizeProblems(fleet(1000), context)).to.deep.equal([]);
        const problems = siteIndexSizeProblems(fleet(4000), context);
        expect(problems.length).to.be.greaterThan(0);
        for (const p of problems) expect(p).to.match(/site-settings-[0-3] may take \d+ KiB, over Kubernetes' 1 MiB per Secret/);
        expect(OBJECT_DATA_LIMIT).to.equal(1048576);
    });

    it("stops the program before it registers anything when the stack does not fit", async () => {
        // 80 sites of 40 long hostnames each: more index than one ConfigMap holds.
        const long = `${"a".repeat(63)}.${"b".repeat(63)}`;
        const sites = Object.fromEntries(
            fleet(80).map((s) => [
                `${s.id}.yaml`,
                siteFile(s.id, { hostnames: Array.from({ length: 40 }, (_, i) => `${long}.h${i}.${s.id}.cloud2-stg.example.com`) }),
            ]),
        );
        const { error, resources } = await runFailingProgram({ sites });
        expect(resources).to.deep.equal([]);
        expect(error.message).to.match(
            /^the stack's 80 sites do not fit:\n {2}the site index of 80 sites takes \d+ KiB, over Kubernetes' 1 MiB per ConfigMap: split the stack/,
        );
    });
});
