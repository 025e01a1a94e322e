/**
 * Security awareness plugins for the Cloud Exchange risk exchange: KnowBe4 user risk scores and Mimecast awareness grades.
 *
 * @module
 */
export {};
