// build.mjs - bundles the page: web/src/app.js (+ three.js, CodeMirror) -> web/dist/app.js with
// esbuild, and copies web/index.html and web/src/app.css to web/dist/. `make web` runs it.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });
await build({
  entryPoints: [join(root, 'src/app.js')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2020',
  legalComments: 'none',
  outfile: join(dist, 'app.js'),
  logLevel: 'warning',
});
copyFileSync(join(root, 'index.html'), join(dist, 'index.html'));
copyFileSync(join(root, 'src/app.css'), join(dist, 'app.css'));
