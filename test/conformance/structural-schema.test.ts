import { objectSchema, toJsonSchema } from '../../scripts/conformance/structural-schema';

describe('a Kubernetes structural schema as a JSON Schema', () => {
  test('objects with properties reject unknown fields unless they say otherwise', () => {
    expect(toJsonSchema({ type: 'object', properties: { a: { type: 'string' } } }))
      .toEqual({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false });
    expect(toJsonSchema({ 'type': 'object', 'properties': { a: { type: 'string' } }, 'x-kubernetes-preserve-unknown-fields': true }))
      .toEqual({ type: 'object', properties: { a: { type: 'string' } } });
    expect(toJsonSchema({ type: 'object', properties: {}, additionalProperties: { type: 'string' } }))
      .toEqual({ type: 'object', properties: {}, additionalProperties: { type: 'string' } });
    // A map (no properties) stays open, as the API server's schema says.
    expect(toJsonSchema({ type: 'object' })).toEqual({ type: 'object' });
  });

  test('nested schemas are converted too: properties, items, additionalProperties, not, anyOf/allOf/oneOf', () => {
    const strictObject = { type: 'object', properties: { b: { type: 'integer' } }, additionalProperties: false };
    const object = { type: 'object', properties: { b: { type: 'integer' } } };
    expect(toJsonSchema({ type: 'array', items: object })).toEqual({ type: 'array', items: strictObject });
    expect(toJsonSchema({ type: 'object', additionalProperties: object })).toEqual({ type: 'object', additionalProperties: strictObject });
    expect(toJsonSchema({ oneOf: [object], anyOf: [object], allOf: [object], not: object }))
      .toEqual({ oneOf: [strictObject], anyOf: [strictObject], allOf: [strictObject], not: strictObject });
  });

  test('int-or-string, nullable and embedded resources', () => {
    expect(toJsonSchema({ 'x-kubernetes-int-or-string': true, 'anyOf': [{ type: 'integer' }, { type: 'string' }] }))
      .toEqual({ anyOf: [{ type: 'integer' }, { type: 'string' }] });
    expect(toJsonSchema({ type: 'string', nullable: true })).toEqual({ type: ['string', 'null'] });
    expect(toJsonSchema({ 'type': 'object', 'x-kubernetes-embedded-resource': true, 'properties': { spec: { type: 'object' } } })).toEqual({
      type: 'object',
      properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, spec: { type: 'object' } },
      additionalProperties: false,
    });
  });

  test('annotations are dropped: descriptions, defaults, examples, formats, CEL rules', () => {
    const annotated = { 'description': 'd', 'default': 'x', 'example': 'e', 'format': 'duration', 'x-kubernetes-validations': [{ rule: 'self != ""' }] };
    expect(toJsonSchema({ type: 'string', enum: ['x'], ...annotated })).toEqual({ type: 'string', enum: ['x'] });
  });

  test('a whole object: status is left to the controller; apiVersion, kind and metadata are allowed', () => {
    expect(objectSchema({ type: 'object', properties: { spec: { type: 'object' }, status: { type: 'object' } } })).toEqual({
      type: 'object',
      properties: { spec: { type: 'object' }, apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' } },
      additionalProperties: false,
    });
  });
});
