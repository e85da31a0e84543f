// Reads a stack file (Pulumi.<stack>.yaml) into the config map the Pulumi CLI hands the program:
// key -> string, objects and lists as JSON, booleans and numbers as their text. Used by the tests
// and the offline tools, which run the program without the CLI. Creates no resources.
import * as fs from "fs";
import { parse } from "yaml";

export function readStackConfig(file: string): Record<string, string> {
    const doc = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(doc.config ?? {})) {
        if (typeof value === "object" && value !== null && "secure" in value) {
            throw new Error(`${file}: ${key} is an encrypted secret; the program needs none, and offline runs cannot read one`);
        }
        config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return config;
}
