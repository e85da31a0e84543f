// src/diagnostics.ts: the places, paths, suggestions and zod problems that the config and the
// site-file checks both build their messages from.
import { expect } from "chai";
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import {
    editDistance,
    keyPathText,
    locate,
    location,
    objectKeysAt,
    pairOf,
    positionAt,
    schemaProblems,
    suggest,
    valueAt,
    yamlNodeAt,
} from "../src/diagnostics";

function yaml(text: string) {
    const lineCounter = new LineCounter();
    return { doc: parseDocument(text, { lineCounter }), lineCounter };
}

describe("diagnostics", () => {
    describe("places", () => {
        it("location leaves out what is unknown", () => {
            expect(location("a.yaml")).to.equal("a.yaml");
            expect(location("a.yaml", 3)).to.equal("a.yaml:3");
            expect(location("a.yaml", 3, 7)).to.equal("a.yaml:3:7");
        });

        it("positionAt counts lines and columns from 1", () => {
            const { lineCounter } = yaml("a: 1\nbb: 2\n");
            expect(positionAt(lineCounter, 0)).to.deep.equal({ line: 1, column: 1 });
            expect(positionAt(lineCounter, 9)).to.deep.equal({ line: 2, column: 5 });
        });

        it("locate points at the value, at its key when the value is empty, and nowhere when the path is not there", () => {
            const { doc, lineCounter } = yaml("id: shop\nhostnames:\n  - a.example.com\n  - b.example.com\nname:\n");
            expect(locate(doc, lineCounter, ["id"])).to.deep.equal({ line: 1, column: 5 });
            expect(locate(doc, lineCounter, ["hostnames", 1])).to.deep.equal({ line: 4, column: 5 });
            expect(locate(doc, lineCounter, ["name"])).to.deep.equal({ line: 5, column: 1 });
            expect(locate(doc, lineCounter, [])).to.deep.equal({ line: 1, column: 1 });
            expect(locate(doc, lineCounter, ["hostnames", 2])).to.equal(undefined);
            expect(locate(doc, lineCounter, ["theme"])).to.equal(undefined);
            expect(locate(doc, lineCounter, ["id", "deeper"])).to.equal(undefined);
        });

        it("yamlNodeAt walks mappings by key text and lists by index, keeping the last key", () => {
            const { doc } = yaml("8080: port\nlist: [x, y]\n");
            expect(String(yamlNodeAt(doc.contents, ["8080"])?.node)).to.equal("port");
            const item = yamlNodeAt(doc.contents, ["list", 1]);
            expect(String(item?.node)).to.equal("y");
            expect(item?.key).to.equal(undefined);
            expect(String(yamlNodeAt(doc.contents, ["list"])?.key)).to.equal("list");
            // A list is not walked by a key, nor a mapping by an index it does not have.
            expect(yamlNodeAt(doc.contents, ["list", "0"])).to.equal(undefined);
            expect(yamlNodeAt(doc.contents, [0])).to.equal(undefined);
            expect(pairOf(doc.contents, "list")?.value).to.equal(yamlNodeAt(doc.contents, ["list"])?.node);
            expect(pairOf("not a map", "list")).to.equal(undefined);
        });
    });

    describe("key paths and values", () => {
        it("keyPathText writes fields with dots and indexes in brackets, after an optional prefix", () => {
            expect(keyPathText(["hostnames", 0])).to.equal("hostnames[0]");
            expect(keyPathText([0, "a", "b"])).to.equal("[0].a.b");
            expect(keyPathText([])).to.equal("");
            expect(keyPathText(["adminCidrs", 2], "wp-platform:database")).to.equal("wp-platform:database.adminCidrs[2]");
            expect(keyPathText([], "wp-platform:image")).to.equal("wp-platform:image");
        });

        it("valueAt follows objects and lists, and gives undefined where the path leaves them", () => {
            const value = { a: { list: [10, { b: "x" }] }, n: null };
            expect(valueAt(value, [])).to.equal(value);
            expect(valueAt(value, ["a", "list", 1, "b"])).to.equal("x");
            expect(valueAt(value, ["a", "list", 5])).to.equal(undefined);
            expect(valueAt(value, ["a", "list", 0, "b"])).to.equal(undefined);
            expect(valueAt(value, ["n", "b"])).to.equal(undefined);
            expect(valueAt("text", ["length"])).to.equal(undefined);
        });
    });

    describe("suggest", () => {
        it("editDistance counts one-character edits", () => {
            expect(editDistance("", "abc")).to.equal(3);
            expect(editDistance("kitten", "sitting")).to.equal(3);
            expect(editDistance("same", "same")).to.equal(0);
        });

        it("by default finds the nearest known word within two edits, ignoring case", () => {
            const known = ["release", "image", "network"];
            expect(suggest("relase", known)).to.equal("release");
            expect(suggest("IMAGES", known)).to.equal("image");
            expect(suggest("netwrok", known)).to.equal("network");
            expect(suggest("rel", known)).to.equal(undefined);
            expect(suggest("anything", [])).to.equal(undefined);
        });

        it("takes the first of the nearest, and a nearer one over a first one", () => {
            expect(suggest("cat", ["bat", "hat"])).to.equal("bat");
            expect(suggest("cart", ["cast", "cart"])).to.equal("cart");
        });

        it("with rules: separators, prefixes, aliases and a distance of its own", () => {
            const known = ["name", "hostnames", "canonicalHostname"];
            expect(suggest("canonical-host-name-", known)).to.equal(undefined);
            expect(suggest("canonical-host-name-", known, { ignoreSeparators: true })).to.equal("canonicalHostname");
            expect(suggest("host", known)).to.equal(undefined);
            expect(suggest("host", known, { prefixes: true })).to.equal("hostnames");
            // A prefix of fewer than three characters is no evidence.
            expect(suggest("ho", known, { prefixes: true, maxDistance: () => 1 })).to.equal(undefined);
            expect(suggest("Title", known, { aliases: { title: "name" } })).to.equal("name");
            // Only the aliases given, never what every object has.
            expect(suggest("constructor", known, { aliases: { title: "name" } })).to.equal(undefined);
            expect(suggest("nme", known, { maxDistance: () => 0 })).to.equal(undefined);
            expect(suggest("nme", known, { maxDistance: (word) => word.length - 2 })).to.equal("name");
        });
    });

    describe("zod issues", () => {
        const schema = z.object({
            release: z.object({ active: z.enum(["blue", "green"]), blue: z.string() }).strict(),
            database: z
                .object({ tls: z.string().default("true"), cidrs: z.array(z.object({ cidr: z.string() }).strict()).default([]) })
                .strict()
                .prefault({}),
            name: z.string(),
        });

        it("objectKeysAt finds the keys of the object expected at a path, through defaults and lists", () => {
            expect(objectKeysAt(schema, [])).to.deep.equal(["release", "database", "name"]);
            expect(objectKeysAt(schema, ["release"])).to.deep.equal(["active", "blue"]);
            expect(objectKeysAt(schema, ["database"])).to.deep.equal(["tls", "cidrs"]);
            expect(objectKeysAt(schema, ["database", "cidrs", 3])).to.deep.equal(["cidr"]);
            expect(objectKeysAt(schema, ["name"])).to.equal(undefined);
            expect(objectKeysAt(schema, ["nothing", "here"])).to.equal(undefined);
            expect(objectKeysAt(undefined, [])).to.equal(undefined);
        });

        it("schemaProblems gives one problem per unknown key, with the keys known there and its value", () => {
            const input = { release: { active: "bleu", blue: "x", bleu: 1, grean: 2 }, database: { cidrs: [{ cidr: "a", cdir: "b" }] } };
            const result = schema.safeParse(input);
            expect(result.success).to.equal(false);
            const problems = schemaProblems(schema, input, result.error!.issues);
            const unknown = problems.filter((p) => p.kind === "unknown key");
            expect(unknown.map((p) => [p.keyPath, p.known, p.value])).to.deep.equal([
                [["release", "bleu"], ["active", "blue"], 1],
                [["release", "grean"], ["active", "blue"], 2],
                [["database", "cidrs", 0, "cdir"], ["cidr"], "b"],
            ]);
            const others = problems.filter((p) => p.kind === "issue");
            expect(others.map((p) => [p.keyPath, p.code, p.value])).to.deep.equal([
                [["release", "active"], "invalid_value", "bleu"],
                [["name"], "invalid_type", undefined],
            ]);
            expect(others.every((p) => p.kind === "issue" && p.message.length > 0)).to.equal(true);
        });
    });
});
