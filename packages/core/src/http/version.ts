/**
 * Version of `@ce/core`, sent in the HTTP client's user agent. Kept in step with package.json
 * (a test checks it) rather than read at run time, so bundlers need no JSON import.
 */
export const sdkVersion = '0.1.0';
