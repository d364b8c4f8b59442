// Builds the three browser apps into dist/: the admin (dist/app, served at /app/), the storefront
// widget (dist/widget) and the customer's capture page (dist/capture).
//
// Why a script and not Trunk: Trunk has no prebuilt binary we can reach here (only the package
// registries are), and building it from source took eight of a newcomer's first twenty minutes.
// What we need of it is small: one cargo build for the three apps (they share one dependency
// build), then per app wasm-bindgen, wasm-opt and an index.html naming the content-hashed files.
// wasm-bindgen and the admin's split are `ui-build` (ui-build/), built here from the workspace's
// lock file: installing the crates' own commands took five minutes on a new machine.
// Node runs it because Node is already required (npm's binaryen is the wasm-opt we use).
//
// wasm-opt runs inside this process, in one worker thread per core (.ci/wasm-opt-worker.mjs),
// not as npm's `wasm-opt` command: that command is binaryen compiled to WebAssembly, and each
// run loads and compiles all 10 MB of it again before it reads a byte of ours. The admin's split
// makes 120 modules to optimise: as commands they took three minutes of a cold CI run on two
// cores, in two workers about twenty seconds. The output is byte for byte the command's (`-Oz`).
//
// An app whose inputs (its module, its index.html and stylesheets, this script) are unchanged
// since the last build keeps its dist/ directory: a warm test run rebuilds nothing.
//
// In index.html, `<link data-build rel="rust" data-bin="NAME" />` becomes the module's preloads
// and its start script, and `<link data-build rel="css" href="FILE" />` a hashed stylesheet.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { cp, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TARGET = resolve(ROOT, process.env.CARGO_TARGET_DIR ?? 'target');
// ui-build in the workspace's `tools` profile (Cargo.toml).
const UI_BUILD = join(TARGET, 'tools', 'ui-build');
// Where .ci/lib.sh installs npm's binaryen (ensure_ui_tools).
const TOOLS = process.env.REELPROOF_TOOLS_DIR ?? join(process.env.HOME, '.cache', 'reelproof-tools');
const PROFILE = 'wasm-release';
const APPS = [
  // The admin is split at its lazy routes (admin-ui/src/routes.rs) into a main module and chunks.
  { bin: 'admin-ui', html: 'admin-ui/index.html', dist: 'dist/app', base: '/app/', split: true },
  { bin: 'widget', html: 'widget/index.html', dist: 'dist/widget', base: '/widget/' },
  { bin: 'capture-ui', html: 'capture-ui/index.html', dist: 'dist/capture', base: '/capture/' },
];
const RUST_LINK = /<link data-build rel="rust" data-bin="([^"]+)"\s*\/?>/;
const CSS_LINK = /<link data-build rel="css" href="([^"]+)"\s*\/?>/g;

const say = (msg) => process.stderr.write(`\x1b[1m==> ${msg}\x1b[0m\n`);
const sha256 = (...parts) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};
const integrity = (bytes) => `sha384-${createHash('sha384').update(bytes).digest('base64')}`;

// The optimiser pool: `optimise(from, to)` queues a module for the next idle worker.
const optimiser = (() => {
  const queue = [];
  const idle = [];
  const workers = [];
  const next = (worker) => {
    const job = queue.shift();
    if (!job) return idle.push(worker);
    worker.job = job;
    worker.postMessage({ from: job.from, to: job.to });
  };
  const start = () => {
    const worker = new Worker(new URL('./wasm-opt-worker.mjs', import.meta.url), {
      workerData: { binaryen: join(TOOLS, 'node_modules', 'binaryen', 'index.js') },
    });
    worker.on('message', (msg) => {
      const { job } = worker;
      worker.job = null;
      if (msg.error) job.fail(new Error(`wasm-opt -Oz ${job.from}: ${msg.error}`));
      else job.ok();
      next(worker);
    });
    // A worker that dies fails its module and every queued one; the build reports them.
    worker.on('error', (e) => {
      workers.splice(workers.indexOf(worker), 1);
      worker.job?.fail(new Error(`wasm-opt -Oz ${worker.job.from}: ${e.message}`));
      for (const job of queue.splice(0)) job.fail(new Error(`wasm-opt: ${e.message}`));
    });
    workers.push(worker);
    next(worker);
  };
  return {
    optimise: (from, to) =>
      new Promise((ok, fail) => {
        queue.push({ from, to, ok, fail });
        if (workers.length < Math.max(1, availableParallelism())) start();
        else if (idle.length) next(idle.pop());
      }),
    close: () => Promise.all(workers.map((w) => w.terminate())),
  };
})();

function run(cmd, args) {
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', (e) => fail(new Error(`${cmd}: ${e.message}`)));
    child.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`${cmd} ${args.join(' ')} exited with ${code}`))));
  });
}

async function buildApp(app, script) {
  const wasmIn = join(TARGET, 'wasm32-unknown-unknown', PROFILE, `${app.bin}.wasm`);
  const htmlPath = join(ROOT, app.html);
  const htmlIn = await readFile(htmlPath, 'utf8');
  const rust = RUST_LINK.exec(htmlIn);
  if (!rust || rust[1] !== app.bin) throw new Error(`${app.html}: no <link data-build rel="rust" data-bin="${app.bin}" />`);
  const sheets = [...htmlIn.matchAll(CSS_LINK)].map((m) => ({ tag: m[0], href: m[1] }));
  for (const s of sheets) s.bytes = await readFile(join(dirname(htmlPath), s.href));

  const wasm = await readFile(wasmIn);
  const dist = join(ROOT, app.dist);
  const stamp = sha256(wasm, htmlIn, script, ...sheets.map((s) => s.bytes));
  if (existsSync(join(dist, '.stamp')) && readFileSync(join(dist, '.stamp'), 'utf8') === stamp) {
    say(`${app.dist} is up to date`);
    return;
  }

  // A plain app's module is `<bin>-<hash>.js` and `<bin>-<hash>_bg.wasm`. A split app's module
  // is several files that name each other (`./<bin>.js`, `./split_<screen>.wasm`, …), so they
  // keep their names inside a directory named `<bin>-<hash>/` instead: a new build is a new
  // directory, and the server caches whatever is inside a hashed directory for a year.
  const hashed = `${app.bin}-${sha256(wasm).slice(0, 16)}`;
  const [dir, name] = app.split ? [`${hashed}/`, app.bin] : ['', hashed];
  const bindgen = join(TARGET, 'ui-build', app.bin);
  const staging = `${dist}.staging-${process.pid}`;
  const out = join(staging, dir);
  await rm(bindgen, { recursive: true, force: true });
  await rm(staging, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  // Splitting comes before wasm-bindgen, which then keeps the exports the chunks link against.
  let main = wasmIn;
  const chunks = [];
  if (app.split) {
    const split = join(TARGET, 'ui-build', `${app.bin}-split`);
    await rm(split, { recursive: true, force: true });
    await run(UI_BUILD, ['split', wasmIn, split, name]);
    main = join(split, `${name}.wasm`);
    for (const f of await readdir(split)) if (f !== `${name}.wasm`) chunks.push(join(split, f));
  }
  await run(UI_BUILD, ['bindgen', main, bindgen, name, ...(app.split ? ['--split'] : [])]);
  const { optimise } = optimiser; // shared by the three apps' builds
  await Promise.all([
    optimise(join(bindgen, `${name}_bg.wasm`), join(out, `${name}_bg.wasm`)),
    ...chunks.map((c) => {
      const to = join(out, c.split('/').pop());
      return c.endsWith('.wasm') ? optimise(c, to) : cp(c, to);
    }),
  ]);
  await cp(join(bindgen, `${name}.js`), join(out, `${name}.js`));
  // JavaScript that crates bring with them (`#[wasm_bindgen(module = …)]`), imported by the loader.
  if (existsSync(join(bindgen, 'snippets'))) await cp(join(bindgen, 'snippets'), join(out, 'snippets'), { recursive: true });

  let html = htmlIn;
  for (const s of sheets) {
    const stem = s.href.split('/').pop().replace(/\.css$/, '');
    const file = `${stem}-${sha256(s.bytes).slice(0, 16)}.css`;
    await writeFile(join(staging, file), s.bytes);
    html = html.replace(s.tag, `<link rel="stylesheet" href="${app.base}${file}" integrity="${integrity(s.bytes)}"/>`);
  }
  const js = `${app.base}${dir}${name}.js`;
  const wasmOut = `${app.base}${dir}${name}_bg.wasm`;
  const optimised = await readFile(join(out, `${name}_bg.wasm`));
  const loader = await readFile(join(out, `${name}.js`));
  html = html.replace(
    rust[0],
    `<script type="module">\nimport init from '${js}';\nawait init({ module_or_path: '${wasmOut}' });\n</script>`,
  );
  // The module and its WebAssembly start downloading with the document, not after the script runs.
  const preloads =
    `<link rel="modulepreload" href="${js}" crossorigin="anonymous" integrity="${integrity(loader)}">` +
    `<link rel="preload" href="${wasmOut}" crossorigin="anonymous" integrity="${integrity(optimised)}" as="fetch" type="application/wasm">`;
  html = html.replace('</head>', `${preloads}</head>`);
  await writeFile(join(staging, 'index.html'), html);
  await writeFile(join(staging, '.stamp'), stamp);

  await rm(dist, { recursive: true, force: true });
  await rename(staging, dist);
  const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
  const size = (bytes) => `${kb(bytes.length)}, ${kb(gzipSync(bytes, { level: 9 }).length)} gzip`;
  say(`${app.dist}: ${dir}${name}_bg.wasm ${size(optimised)}`);
  // Each screen's chunk by name; the many small chunks of shared code as one line.
  const shared = [];
  for (const c of chunks.filter((c) => c.endsWith('.wasm'))) {
    const file = c.split('/').pop();
    const bytes = await readFile(join(dist, dir, file));
    if (file.startsWith('chunk_')) shared.push(bytes);
    else say(`${app.dist}: ${dir}${file} ${size(bytes)} (loaded when needed)`);
  }
  if (shared.length) say(`${app.dist}: ${shared.length} chunks of shared code, ${size(Buffer.concat(shared))} together`);
}

const cargo = (args) => {
  const built = spawnSync('cargo', ['build', '--quiet', '--locked', ...args], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
};
say('cargo build --profile tools -p ui-build');
cargo(['--profile', 'tools', '-p', 'ui-build']);
say(`cargo build --profile ${PROFILE} --target wasm32-unknown-unknown: ${APPS.map((a) => a.bin).join(', ')}`);
cargo(['--profile', PROFILE, '--target', 'wasm32-unknown-unknown', ...APPS.flatMap((a) => ['-p', a.bin])]);
// The stamp covers whatever decides the output besides an app's own files: this script, the
// optimiser's worker and ui-build.
const script = Buffer.concat([
  await readFile(fileURLToPath(import.meta.url)),
  await readFile(fileURLToPath(new URL('./wasm-opt-worker.mjs', import.meta.url))),
  await readFile(UI_BUILD),
]);
// The apps' wasm-bindgen runs overlap; their modules share the optimiser's threads.
const results = await Promise.allSettled(APPS.map((app) => buildApp(app, script)));
await optimiser.close();
const failed = results.filter((r) => r.status === 'rejected');
for (const f of failed) console.error(`build-ui: ${f.reason.message}`);
process.exit(failed.length ? 1 : 0);
