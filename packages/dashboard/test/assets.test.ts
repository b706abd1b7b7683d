import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script, without types
import { generateAssets, OUTPUT } from '../scripts/generate-assets.mjs';

describe('the page assets', () => {
  it('are generated from client/ as committed (run `npm run generate` after editing client/)', async () => {
    expect(readFileSync(OUTPUT, 'utf8')).toBe(await generateAssets());
  });

  it('keep the first load small', async () => {
    const { APP_CSS, APP_JS } = await import('../src/page/assets.generated.js');
    expect(APP_JS.length + APP_CSS.length).toBeLessThan(120 * 1024);
  });
});
