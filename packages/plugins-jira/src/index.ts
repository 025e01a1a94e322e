/**
 * Jira Cloud ticket destination for the Cloud Exchange ticket orchestrator: REST v3 issues with Atlassian Document Format, labels, JQL search, transitions and comments.
 *
 * @module
 */
export {};
