// Reading the files of a sites folder: each a small, regular, UTF-8 file inside the folder (a
// symbolic link out of it, a device or a 10 MB file is refused with a clear problem). Creates no resources.
import * as fs from "fs";
import * as path from "path";
import { isOutside, type SiteProblem } from "./site-problems";
import { MAX_SITE_FILE_BYTES } from "./site-rules";

export function tooLargeMessage(bytes: number): string {
    return `is ${bytes} bytes; a site file may be at most ${MAX_SITE_FILE_BYTES} bytes (64 KiB)`;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The offset of the first byte that is not valid UTF-8, or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
    let i = 0;
    while (i < bytes.length) {
        const b = bytes[i];
        if (b < 0x80) {
            i++;
            continue;
        }
        let need: number;
        let min = 0x80;
        let max = 0xbf;
        if (b >= 0xc2 && b <= 0xdf) need = 1;
        else if (b >= 0xe0 && b <= 0xef) {
            need = 2;
            if (b === 0xe0) min = 0xa0; // overlong
            if (b === 0xed) max = 0x9f; // surrogates
        } else if (b >= 0xf0 && b <= 0xf4) {
            need = 3;
            if (b === 0xf0) min = 0x90; // overlong
            if (b === 0xf4) max = 0x8f; // above U+10FFFF
        } else return i;
        for (let k = 1; k <= need; k++) {
            const c = bytes[i + k];
            if (c === undefined || c < (k === 1 ? min : 0x80) || c > (k === 1 ? max : 0xbf)) return i;
        }
        i += need + 1;
    }
    return -1;
}

function notUtf8Problem(file: string, bytes: Uint8Array): SiteProblem {
    const offset = firstInvalidUtf8(bytes);
    const message = "is not valid UTF-8; save the file as UTF-8";
    if (offset < 0) return { file, message };
    const lineStart = bytes.lastIndexOf(0x0a, offset - 1) + 1;
    let line = 1;
    for (let i = 0; i < lineStart; i++) if (bytes[i] === 0x0a) line++;
    const column = utf8.decode(bytes.subarray(lineStart, offset)).length + 1;
    const byte = bytes[offset].toString(16).toUpperCase().padStart(2, "0");
    return { file, line, column, message: `is not valid UTF-8 (byte 0x${byte}); save the file as UTF-8` };
}

export function describeKind(stat: fs.Stats): string {
    if (stat.isDirectory()) return "a folder";
    if (stat.isFIFO()) return "a named pipe";
    if (stat.isSocket()) return "a socket";
    if (stat.isBlockDevice() || stat.isCharacterDevice()) return "a device";
    return "not a regular file";
}

export function errorCode(e: unknown): string {
    return typeof e === "object" && e !== null && "code" in e ? String((e as { code: unknown }).code) : String(e);
}

/** Reads one site file, refusing what is not a small, regular, UTF-8 file inside the folder. */
export function readSiteFile(
    realDir: string,
    filePath: string,
    file: string,
    isSymlink: boolean,
): { text?: string; problem?: SiteProblem } {
    let real = path.join(realDir, path.basename(filePath));
    if (isSymlink) {
        try {
            real = fs.realpathSync(filePath);
        } catch (e) {
            const message = `is a symbolic link that cannot be followed (${errorCode(e)}); a site file is a regular file in the sites folder`;
            return { problem: { file, message } };
        }
        // A link out of the folder would let a file elsewhere (another stack's site) define a site here.
        if (isOutside(path.relative(realDir, real))) {
            const message = `is a symbolic link to ${real}, outside the sites folder; a site file must live in the folder`;
            return { problem: { file, message } };
        }
    }
    let stat: fs.Stats;
    try {
        stat = fs.statSync(real);
    } catch (e) {
        return { problem: { file, message: `cannot be read (${errorCode(e)})` } };
    }
    if (!stat.isFile()) {
        return { problem: { file, message: `is ${describeKind(stat)}, not a regular file; a site file is a regular .yaml file` } };
    }
    if (stat.size > MAX_SITE_FILE_BYTES) return { problem: { file, message: tooLargeMessage(stat.size) } };
    let bytes: Buffer;
    try {
        bytes = fs.readFileSync(real);
    } catch (e) {
        return { problem: { file, message: `cannot be read (${errorCode(e)})` } };
    }
    if (bytes.length > MAX_SITE_FILE_BYTES) return { problem: { file, message: tooLargeMessage(bytes.length) } };
    try {
        return { text: utf8.decode(bytes) };
    } catch {
        return { problem: notUtf8Problem(file, bytes) };
    }
}
