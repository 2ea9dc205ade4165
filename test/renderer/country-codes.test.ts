import { describe, expect, it } from 'vitest';
import worldAtlas from 'world-atlas/countries-110m.json' with { type: 'json' };
import {
  ALPHA2_TO_NUMERIC,
  featureAlpha2,
  NUMERIC_TO_ALPHA2,
  numericCode,
} from '../../renderer/src/country-codes.js';

describe('alpha-2 → ISO numeric table', () => {
  it('holds all 249 officially assigned ISO 3166-1 codes, each once, both ways', () => {
    expect(ALPHA2_TO_NUMERIC.size).toBe(249);
    expect(NUMERIC_TO_ALPHA2.size).toBe(249);
    for (const [alpha2, numeric] of ALPHA2_TO_NUMERIC) {
      expect(alpha2).toMatch(/^[A-Z]{2}$/);
      expect(numeric).toMatch(/^\d{3}$/);
      expect(NUMERIC_TO_ALPHA2.get(numeric)).toBe(alpha2);
    }
  });

  it.each([
    ['GB', '826'],
    ['US', '840'],
    ['DE', '276'],
    ['CN', '156'],
    ['FR', '250'],
    ['RU', '643'],
    ['IN', '356'],
    ['BR', '076'],
    ['JP', '392'],
    ['NL', '528'],
    ['AU', '036'],
    ['ZA', '710'],
    ['KR', '410'],
    ['KP', '408'],
    ['SS', '728'],
    ['TW', '158'],
    ['PS', '275'],
    ['AF', '004'],
  ])('%s is %s', (alpha2, numeric) => {
    expect(numericCode(alpha2)).toBe(numeric);
  });

  it('accepts lower case and refuses codes that are not assigned', () => {
    expect(numericCode('gb')).toBe('826');
    expect(numericCode('XX')).toBeUndefined();
    expect(numericCode('EU')).toBeUndefined();
  });

  it('names every country on the world-atlas map except disputed areas', () => {
    const geometries = worldAtlas.objects.countries.geometries as {
      id?: string;
      properties: { name: string };
    }[];
    const unnamed = geometries
      .filter((g) => featureAlpha2(g.id, g.properties.name) === undefined)
      .map((g) => g.properties.name);
    expect(unnamed.sort()).toEqual(['N. Cyprus', 'Somaliland']);
    const byName = new Map(
      geometries.map((g) => [g.properties.name, featureAlpha2(g.id, g.properties.name)]),
    );
    expect(byName.get('United Kingdom')).toBe('GB');
    expect(byName.get('United States of America')).toBe('US');
    expect(byName.get('Brazil')).toBe('BR');
    expect(byName.get('Kosovo')).toBe('XK');
  });

  it('reads numeric ids given as numbers or without leading zeros', () => {
    expect(featureAlpha2(76, undefined)).toBe('BR');
    expect(featureAlpha2('76', undefined)).toBe('BR');
    expect(featureAlpha2(undefined, 'Atlantis')).toBeUndefined();
  });
});
