/** Compiles src/ to dist/ (TypeScript, incremental) and copies the page assets along. */
export function build(): void;
/** Builds when dist/ is missing or older than a file in src/. */
export function ensureBuilt(): void;
