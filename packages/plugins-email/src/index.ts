/**
 * Email (SMTP) destination for the Cloud Exchange ticket orchestrator: threaded messages with Message-ID and In-Reply-To.
 *
 * @module
 */
export {};
