import { mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.mts';

// The public types are part of the contract: test/*.test-d.ts are checked by the
// compiler on every run, so a regression (an unchecked task name, a result typed
// unknown, a Date parameter accepted) fails the suite.
export default mergeConfig(shared, {
  test: {
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});
