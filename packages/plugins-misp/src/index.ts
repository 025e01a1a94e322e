/**
 * The MISP plugin: pulls attributes through MISP's REST API and MISP-format feeds, pushes
 * indicators as attributes on an event, reports sightings; and an in-process server that speaks
 * MISP's documented API for tests and the offline demo.
 *
 * @module @ce/plugins-misp
 */
export {};
