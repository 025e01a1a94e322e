/**
 * The TAXII plugin: pulls STIX indicators from TAXII 2.0 and 2.1 collections into the threat
 * exchange and pushes shared indicators to writable collections.
 *
 * @module @ce/plugins-taxii
 */
export {};
