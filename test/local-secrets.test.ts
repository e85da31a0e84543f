// The local fleet's secrets (tools/local/secrets.ts): random per state folder, kept across
// restarts, new with --fresh, and never the tests' name-derived MOCKSECRET values.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SECRETS_KEY, localMocks, readSecretsKey, saveSecretsKey } from "../tools/local/secrets";
import { mocks } from "../tools/mocks";

const randomOf = (m: typeof mocks, name: string): string =>
    (
        m.newResource({ type: "random:index/randomPassword:RandomPassword", name, inputs: { length: 32 }, custom: true }) as unknown as {
            state: { result: string };
        }
    ).state.result;

describe("npm run local: random secrets per state folder", () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "wp-secrets-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("keeps the key across restarts, in a file only its owner reads, and makes a new one with --fresh", () => {
        const first = readSecretsKey(dir);
        expect(first.isNew).to.equal(true);
        saveSecretsKey(dir, first.key);
        expect(fs.statSync(path.join(dir, SECRETS_KEY)).mode & 0o777).to.equal(0o600);
        const again = readSecretsKey(dir);
        expect(again.isNew).to.equal(false);
        expect(again.key.equals(first.key)).to.equal(true);
        const fresh = readSecretsKey(dir, true);
        expect(fresh.isNew).to.equal(true);
        expect(fresh.key.equals(first.key)).to.equal(false);
    });

    it("derives each random value from the key, never from the name alone as the tests' mocks do", () => {
        const name = "shop-admin-password";
        expect(randomOf(mocks, name)).to.match(/^MOCKSECRET/);
        const a = localMocks(readSecretsKey(dir).key);
        const b = localMocks(readSecretsKey(dir).key);
        expect(randomOf(a, name)).to.match(/^[0-9a-f]{40}$/);
        expect(randomOf(a, name)).to.equal(randomOf(a, name));
        expect(randomOf(a, name)).to.not.equal(randomOf(b, name));
        expect(randomOf(a, name)).to.not.equal(randomOf(a, "other-password"));
    });
});
