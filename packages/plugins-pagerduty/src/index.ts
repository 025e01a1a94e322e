/**
 * PagerDuty Events API v2 destination for the Cloud Exchange ticket orchestrator: trigger, acknowledge and resolve by dedup_key.
 *
 * @module
 */
export {};
