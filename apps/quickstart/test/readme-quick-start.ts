import { readFileSync } from 'node:fs';

/** The code blocks of the README's "## Quick start" section, as written. */
export interface QuickStart {
  /** The `sh` block: what a user installs. */
  install: string;
  /** The `ts` block: the program itself. */
  program: string;
}

export function readQuickStart(readmePath: string): QuickStart {
  const readme = readFileSync(readmePath, 'utf8');
  const section = /^## Quick start\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1];
  if (!section) throw new Error(`${readmePath} has no "## Quick start" section`);
  const block = (language: string) => {
    const code = new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\`$`, 'm').exec(section)?.[1];
    if (code === undefined) throw new Error(`the Quick start has no \`\`\`${language} block`);
    return code;
  };
  return { install: block('sh'), program: block('ts') };
}

/** The `@errand/...` packages a program imports (subpaths folded into their package). */
export function errandImports(program: string): string[] {
  const names = [...program.matchAll(/from '(@errand\/[^/']+)[^']*'/g)].map((match) => match[1]!);
  return [...new Set(names)].sort();
}
