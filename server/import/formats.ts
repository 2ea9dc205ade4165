import { parseCombinedLine } from './parsers/combined.js';
import { parseCommonLine } from './parsers/common.js';
import { parseEcsLine } from './parsers/ecs-ndjson.js';
import { parseNginxJsonLine } from './parsers/nginx-json.js';
import type { LineParser } from './parsers/parse-result.js';

/** The log formats `ipwarden import` reads. */
export type ImportFormat = 'combined' | 'common' | 'nginx-json' | 'ecs-ndjson';

/**
 * Every format with its parser, in auto-detection preference order: the stricter JSON shape (ECS)
 * before nginx's, and combined before common (a combined line is not a common one: common must end
 * after the size).
 */
export const PARSERS: Readonly<Record<ImportFormat, LineParser>> = {
  'ecs-ndjson': parseEcsLine,
  'nginx-json': parseNginxJsonLine,
  combined: parseCombinedLine,
  common: parseCommonLine,
};

/** Every {@link ImportFormat}, for validation and help text. */
export const IMPORT_FORMATS = Object.keys(PARSERS) as ImportFormat[];
