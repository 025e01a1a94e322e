/**
 * Notification destinations for the Cloud Exchange ticket orchestrator: Slack (incoming webhook and chat.postMessage/chat.update with Block Kit), Microsoft Teams (Workflows webhook with an Adaptive Card) and a generic signed webhook.
 *
 * @module
 */
export {};
