/**
 * ServiceNow ticket destination for the Cloud Exchange ticket orchestrator: Table API incidents and security incidents, choice lists, bulk status sync.
 *
 * @module
 */
export {};
