// The command line of every tool, one convention (README, the end of "Tests"):
//   - `-h` or `--help`, anywhere: the usage on stdout, exit 0;
//   - a usage error: `<tool>: <problem>`, a blank line and the usage on stderr, exit 2;
//   - `--out dir` and `--out=dir` alike; a lone `--` is dropped, as pnpm passes it through to the
//     script where npm does not.
// Node's util.parseArgs splits the arguments; the problems are worded here, the same for every tool,
// rather than by parseArgs, whose strict mode words them for a programmer.
import { parseArgs } from "util";

export interface OptionSpec {
    readonly type: "string" | "boolean";
    /** Repeatable (`--host a --host b`); otherwise the last one wins. */
    readonly multiple?: boolean;
    /** What the value of a string option is, for `--out needs a folder`; default "a value". */
    readonly needs?: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

type ValueOf<S extends OptionSpec> = S["type"] extends "string" ? string : boolean;

/** The options given, by name; an option not given is absent. */
export type OptionValues<O extends OptionSpecs> = {
    readonly [K in keyof O]?: O[K]["multiple"] extends true ? readonly ValueOf<O[K]>[] : ValueOf<O[K]>;
};

export interface CommandLine<O extends OptionSpecs> {
    readonly values: OptionValues<O>;
    readonly positionals: readonly string[];
}

/** Arguments the tool cannot run with: the message is the problem, without the tool's name. */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

/** `-h` or `--help` was given: the usage is the answer, whatever else the command line holds. */
export class HelpRequested extends Error {
    constructor() {
        super("help requested");
        this.name = "HelpRequested";
    }
}

/**
 * Splits `argv` into the options of `options` and the positionals (refused unless `positionals`).
 * Throws HelpRequested on `-h`/`--help`, else UsageError on an unknown option, a string option
 * without a value, a boolean one with a value, or an unexpected positional.
 */
export function readCommandLine<O extends OptionSpecs>(
    argv: readonly string[],
    options: O,
    settings: { readonly positionals?: boolean } = {},
): CommandLine<O> {
    const { tokens } = parseArgs({
        args: argv.filter((a) => a !== "--"),
        options: {
            ...Object.fromEntries(Object.entries(options).map(([name, o]) => [name, { type: o.type, multiple: o.multiple === true }])),
            help: { type: "boolean", short: "h" },
        },
        // Non-strict, so that every problem comes back as a token to word here, in order.
        strict: false,
        allowPositionals: true,
        tokens: true,
    });
    if (tokens.some((t) => t.kind === "option" && t.name === "help")) throw new HelpRequested();
    const values: Record<string, string | boolean | (string | boolean)[]> = {};
    const positionals: string[] = [];
    for (const token of tokens) {
        if (token.kind === "positional") {
            if (!settings.positionals) throw new UsageError(`unexpected argument ${token.value}`);
            positionals.push(token.value);
            continue;
        }
        if (token.kind !== "option") continue;
        const spec = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
        if (spec === undefined) throw new UsageError(`unknown option ${token.rawName}`);
        let value: string | boolean;
        if (spec.type === "string") {
            if (token.value === undefined) throw new UsageError(`${token.rawName} needs ${spec.needs ?? "a value"}`);
            value = token.value;
        } else {
            if (token.value !== undefined) throw new UsageError(`${token.rawName} takes no value`);
            value = true;
        }
        if (spec.multiple) {
            const list = values[token.name];
            values[token.name] = Array.isArray(list) ? [...list, value] : [value];
        } else {
            values[token.name] = value;
        }
    }
    // The loop checked each value against its spec: the record has the shape OptionValues<O> describes.
    return { values: values as OptionValues<O>, positionals };
}

export interface Io {
    readonly out: (text: string) => void;
    readonly err: (text: string) => void;
}

const CONSOLE: Io = { out: (text) => console.log(text), err: (text) => console.error(text) };

export interface Command {
    /** As the tool names itself in its messages: `render`, `site:new`. */
    readonly tool: string;
    readonly usage: string;
}

/**
 * The tool's arguments, from `parse` (which throws UsageError or HelpRequested); or, having
 * printed the usage, the exit code: 0 for help, 2 for a usage error.
 */
export function commandLine<T>(
    command: Command,
    argv: readonly string[],
    parse: (argv: readonly string[]) => T,
    io: Io = CONSOLE,
): { readonly args: T } | { readonly exitCode: 0 | 2 } {
    try {
        return { args: parse(argv) };
    } catch (e) {
        if (e instanceof HelpRequested) {
            io.out(command.usage);
            return { exitCode: 0 };
        }
        if (!(e instanceof UsageError)) throw e;
        io.err(`${command.tool}: ${e.message}\n\n${command.usage}`);
        return { exitCode: 2 };
    }
}
