/**
 * STIX 2.1 for TypeScript: object schemas and validation with precise errors, deterministic
 * identifiers for cyber observables, creation helpers, TLP markings, the STIX pattern language
 * (parser, printer, validator, indicator extraction), a streaming bundle reader, and conversion
 * between STIX and Cloud Exchange indicators. Usable on its own, without the rest of the SDK.
 *
 * @module @ce/stix
 */
// Objects: schemas, types and validation

// Conversion between STIX and exchange indicators
export type {
  IndicatorToStixOptions,
  IndicatorToStixResult,
} from './convert/indicator-to-stix.js';
export {
  indicatorIdNamespace,
  indicatorStixId,
  indicatorToStix,
  retractionToStix,
} from './convert/indicator-to-stix.js';
export type { StixToIndicatorsOptions, StixToIndicatorsResult } from './convert/stix-to-indicators.js';
export {
  observableIndicators,
  reputationOfStixIndicator,
  severityByIndicatorType,
  severityOfStixIndicator,
  stixToIndicators,
} from './convert/stix-to-indicators.js';
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
// Patterns
export type { PatternIndicatorInput } from './pattern/build-pattern.js';
export { buildPattern } from './pattern/build-pattern.js';
export type {
  PatternIndicator,
  PatternIndicatorExtraction,
} from './pattern/extract-pattern-indicators.js';
export { extractPatternIndicators } from './pattern/extract-pattern-indicators.js';
export type { ParsePatternOptions } from './pattern/parse-pattern.js';
export {
  DEFAULT_PATTERN_MAX_DEPTH,
  DEFAULT_PATTERN_MAX_LENGTH,
  parsePattern,
} from './pattern/parse-pattern.js';
export type {
  BinaryLiteralNode,
  BooleanLiteralNode,
  ComparisonExpression,
  ComparisonNode,
  ComparisonOperationNode,
  ComparisonOperator,
  ExistsComparisonNode,
  FloatLiteralNode,
  HexLiteralNode,
  IndexPathStep,
  IntegerLiteralNode,
  ObjectPathNode,
  ObservationExpression,
  ObservationNode,
  ObservationOperationNode,
  PathStep,
  PatternAst,
  PatternLiteral,
  PatternLiteralKind,
  PatternQualifier,
  PatternSpan,
  PropertyPathStep,
  QualifiedObservationNode,
  RepeatsQualifier,
  SetComparisonNode,
  SetLiteralNode,
  StartStopQualifier,
  StringLiteralNode,
  TimestampLiteralNode,
  ValueComparisonNode,
  ValueComparisonOperator,
  WithinQualifier,
} from './pattern/pattern-ast.js';
export type { PatternIssueCode } from './pattern/pattern-error.js';
export { StixPatternError } from './pattern/pattern-error.js';
export { printPattern, quotePatternString } from './pattern/print-pattern.js';
export type { PatternIssue, PatternValidation } from './pattern/validate-pattern.js';
export { checkPattern, validatePattern } from './pattern/validate-pattern.js';
// Streaming bundle reader
export type { BundleScannerLimits, ScannedElement } from './stream/bundle-scanner.js';
export { BundleScanner } from './stream/bundle-scanner.js';
export type { ReadStixBundleOptions, StixStreamItem } from './stream/read-stix-bundle.js';
export { defaultMaxObjectBytes, readStixBundle } from './stream/read-stix-bundle.js';
