/**
 * STIX 2.1 for TypeScript: object schemas and validation with precise errors, deterministic
 * identifiers for cyber observables, creation helpers, TLP markings, the STIX pattern language
 * (parser, printer, validator, indicator extraction), a streaming bundle reader, and conversion
 * between STIX and Cloud Exchange indicators. Usable on its own, without the rest of the SDK.
 *
 * @module @ce/stix
 */
export {};
