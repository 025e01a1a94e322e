import { describe, expect, it } from 'vitest';
import { validateStixObject } from '../objects/validate.js';
import {
  tlp1MarkingDefinitions,
  tlp2MarkingDefinitions,
  tlpMarkingDefinition,
  tlpMarkingRef,
  tlpOfMarkingDefinition,
  tlpOfObject,
} from './tlp.js';

describe('TLP marking definitions', () => {
  it('carry the published ids (STIX 2.1 section 7.2.1.4; OASIS TLP 2.0 extension examples)', () => {
    expect(tlpMarkingRef('clear', '1.0')).toBe('marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9');
    expect(tlpMarkingRef('green', '1.0')).toBe('marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da');
    expect(tlpMarkingRef('amber', '1.0')).toBe('marking-definition--f88d31f6-486f-44da-b317-01333bde0b82');
    expect(tlpMarkingRef('amber+strict', '1.0')).toBe(
      'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82',
    );
    expect(tlpMarkingRef('red', '1.0')).toBe('marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed');
    expect(tlpMarkingRef('clear')).toBe('marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487');
    expect(tlpMarkingRef('green')).toBe('marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb');
    expect(tlpMarkingRef('amber')).toBe('marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421');
    expect(tlpMarkingRef('amber+strict')).toBe('marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003');
    expect(tlpMarkingRef('red')).toBe('marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1');
  });

  it('are valid marking-definition objects of the right shape', () => {
    for (const definition of [
      ...Object.values(tlp1MarkingDefinitions),
      ...Object.values(tlp2MarkingDefinitions),
    ])
      expect(validateStixObject(definition), definition.id).toMatchObject({ ok: true });
    expect(tlpMarkingDefinition('amber+strict')).toEqual({
      type: 'marking-definition',
      spec_version: '2.1',
      id: 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
      created: '2022-10-01T00:00:00.000Z',
      name: 'TLP:AMBER+STRICT',
      extensions: {
        'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d': {
          extension_type: 'property-extension',
          tlp_2_0: 'amber+strict',
        },
      },
    });
    expect(tlpMarkingDefinition('clear', '1.0')).toMatchObject({
      created: '2017-01-20T00:00:00.000Z',
      definition_type: 'tlp',
      definition: { tlp: 'white' },
      name: 'TLP:WHITE',
    });
  });
});

describe('tlpOfObject', () => {
  it('takes the most restrictive TLP; TLP 1.0 white reads as clear', () => {
    expect(tlpOfObject({ object_marking_refs: [tlpMarkingRef('clear', '1.0')] })).toBe('clear');
    expect(
      tlpOfObject({
        object_marking_refs: [tlpMarkingRef('green'), tlpMarkingRef('amber', '1.0'), 'marking-definition--x'],
      }),
    ).toBe('amber');
    expect(
      tlpOfObject({
        object_marking_refs: [tlpMarkingRef('green')],
        granular_markings: [{ selectors: ['description'], marking_ref: tlpMarkingRef('red') }],
      }),
    ).toBe('red');
    expect(tlpOfObject({})).toBeUndefined();
    expect(
      tlpOfObject({ object_marking_refs: ['marking-definition--a4d70b75-6f4a-5d19-9137-da863edd33d7'] }),
    ).toBe(undefined);
  });

  it('resolves custom TLP marking definitions given beside the object', () => {
    const custom = {
      id: 'marking-definition--bab4a63c-aed9-4cf5-a766-000000000000',
      definition_type: 'TLP:AMBER+STRICT',
    };
    const viaExtension = {
      id: 'marking-definition--11111111-aed9-4cf5-a766-000000000000',
      extensions: { 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d': { tlp_2_0: 'red' } },
    };
    expect(tlpOfObject({ object_marking_refs: [custom.id] }, [custom])).toBe('amber+strict');
    expect(tlpOfObject({ object_marking_refs: [custom.id, viaExtension.id] }, [custom, viaExtension])).toBe(
      'red',
    );
    expect(tlpOfObject({ object_marking_refs: [custom.id] }, new Map([[custom.id, custom]]))).toBe(
      'amber+strict',
    );
    expect(
      tlpOfMarkingDefinition({ definition_type: 'statement', definition: { statement: 'x' } }),
    ).toBeUndefined();
    expect(tlpOfMarkingDefinition({ definition_type: 'tlp', definition: { tlp: 'white' } })).toBe('clear');
  });
});
