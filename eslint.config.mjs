// ESLint: typescript-eslint's recommended rules, type-aware, plus the Pulumi rules that catch an
// Output interpolated into a plain template string (it renders as a warning text, not the value).
import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/", "bin/", "out/", "policy/node_modules/", ".local/"] },
    ...tseslint.configs.recommended,
    {
        files: ["**/*.ts"],
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        plugins: { "@pulumi": pulumi },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            "@typescript-eslint/no-floating-promises": "error",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
        },
    },
    {
        // Registered inputs and the SDK's internals are untyped by nature in the tests and tools.
        files: ["test/**/*.ts", "tools/**/*.ts"],
        // chai's property assertions (`expect(x).to.be.true`) read as bare expressions.
        rules: { "@typescript-eslint/no-explicit-any": "off", "@typescript-eslint/no-unused-expressions": "off" },
    },
);
