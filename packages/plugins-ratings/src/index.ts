/**
 * Security rating plugins for the Cloud Exchange risk exchange: BitSight and SecurityScorecard application and vendor ratings.
 *
 * @module
 */
export {};
