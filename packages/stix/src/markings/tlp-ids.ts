/**
 * The fixed identifiers of the TLP marking definitions. TLP 1.0 ids are predefined by STIX 2.1
 * (section 7.2.1.4); TLP 2.0 ids are published with the TLP 2.0 extension definition
 * (`extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d`, OASIS cti-stix-common-objects).
 *
 * @module
 */

/** TLP 1.0 marking definition ids by level. */
export const tlp1MarkingIds = {
  white: 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9',
  green: 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da',
  amber: 'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82',
  red: 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed',
} as const;

/** TLP 2.0 marking definition ids by level. */
export const tlp2MarkingIds = {
  clear: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
  green: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb',
  amber: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
  'amber+strict': 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
  red: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
} as const;

/** The extension definition that carries TLP 2.0 levels (`tlp_2_0`) on a marking definition. */
export const tlp2ExtensionId = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d';

/** `created` of every TLP 1.0 marking definition. */
export const tlp1Created = '2017-01-20T00:00:00.000Z';

/** `created` of every TLP 2.0 marking definition. */
export const tlp2Created = '2022-10-01T00:00:00.000Z';
