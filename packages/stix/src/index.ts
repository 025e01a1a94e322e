/**
 * STIX 2.1 for TypeScript: object schemas and validation with precise errors, deterministic
 * identifiers for cyber observables, creation helpers, TLP markings, the STIX pattern language
 * (parser, printer, validator, indicator extraction), a streaming bundle reader, and conversion
 * between STIX and Cloud Exchange indicators. Usable on its own, without the rest of the SDK.
 *
 * @module @ce/stix
 */
// Objects: schemas, types and validation

// Identifiers
export { canonicalJson } from './identifiers/canonical-json.js';
export type { GenerateObservableIdOptions } from './identifiers/observable-id.js';
export {
  chooseIdHash,
  generateObservableId,
  idContributingProperties,
  observableIdNamespace,
  specHashName,
} from './identifiers/observable-id.js';
export { randomId, uuidV5 } from './identifiers/uuid.js';
// Markings
export type { Tlp1Level, TlpVersion } from './markings/tlp.js';
export {
  tlp1MarkingDefinitions,
  tlp2MarkingDefinitions,
  tlpMarkingDefinition,
  tlpMarkingRef,
  tlpOfMarkingDefinition,
  tlpOfObject,
} from './markings/tlp.js';
export { tlp1MarkingIds, tlp2ExtensionId, tlp2MarkingIds } from './markings/tlp-ids.js';
export {
  compareStixTimestamps,
  formatStixTimestamp,
  hashAlgorithms,
  identifierType,
  isStixIdentifier,
  isStixTimestamp,
  isStixTypeName,
  stixSpecVersion,
} from './objects/common.js';
// Creation helpers
export type {
  CreateIndicatorProperties,
  CreateStixObjectOptions,
  StixBundle,
  StixObjectProperties,
} from './objects/create.js';
export {
  createBundle,
  createIndicator,
  createObservable,
  createRelationship,
  createSighting,
  createStixObject,
} from './objects/create.js';
export type {
  StixAttackPattern,
  StixIdentity,
  StixIndicator,
  StixIntrusionSet,
  StixMalware,
  StixRelationship,
  StixReport,
  StixSighting,
  StixThreatActor,
} from './objects/domain-objects.js';
export {
  attackPatternSchema,
  domainObjectTypes,
  identitySchema,
  indicatorSchema,
  intrusionSetSchema,
  malwareSchema,
  relationshipObjectTypes,
  relationshipSchema,
  reportSchema,
  sightingSchema,
  threatActorSchema,
} from './objects/domain-objects.js';
export type { StixMarkingDefinition } from './objects/marking-definition.js';
export { bundleEnvelopeSchema, markingDefinitionSchema } from './objects/marking-definition.js';
export type {
  StixDomainName,
  StixEmailAddress,
  StixFile,
  StixIpv4Address,
  StixIpv6Address,
  StixUrl,
} from './objects/observables.js';
export {
  domainNameSchema,
  emailAddressSchema,
  fileSchema,
  ipv4AddressSchema,
  ipv6AddressSchema,
  observableTypes,
  urlSchema,
} from './objects/observables.js';
export type {
  ParsedStixBundle,
  ParseStixBundleOptions,
  StixCustomObject,
  StixInputLimits,
  StixIssue,
  StixModelledType,
  StixObject,
  StixObjectCheck,
  StixObjectTypeMap,
  StixObservable,
  StixValidationResult,
  ValidateStixObjectOptions,
} from './objects/validate.js';
export {
  defaultMaxBytes,
  defaultMaxDepth,
  isObservableType,
  isStixType,
  parseStixBundle,
  validateStixObject,
} from './objects/validate.js';
