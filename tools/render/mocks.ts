// The mocks of the offline render: those of the tests (tools/mocks.ts), with the same account and
// region, so that every ARN the program builds and every policy document reads in full. What the
// cloud generates (an autonamed resource's name, an id, a part of an address, a random value) is
// `<computed>`: the render invents none of it. An id is left unknown, as in a preview of a new
// resource; so is any output the mocks do not model.
import { createMocks } from "../mocks";
import { COMPUTED } from "./values";

export const renderMocks = createMocks(
    {
        id: () => undefined,
        name: () => COMPUTED,
        random: () => COMPUTED,
        bytes: () => ({ base64: COMPUTED, hex: COMPUTED }),
    },
    "tools/mocks.ts (the render uses the same answers)",
);
