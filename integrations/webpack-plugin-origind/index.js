// webpack-plugin-origind: after a production build, push the emitted assets
// to every origind node with `origin-ingest push --keep-names` (webpack's
// [contenthash] names them already), write the full manifest (URL, SHA-256,
// size, type, SRI integrity per file), serve chunks from the CDN
// (output.publicPath), and add <meta name="origind-release" ...> to every
// emitted .html (html-webpack-plugin's, or your own) for
// @origind/reload-guard. A failed push fails the build with origin-ingest's
// one-line reason. No dependencies beyond webpack and the origin-ingest
// binary. See README.md.
'use strict';
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { existsSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');

const NAME = 'webpack-plugin-origind';

class OrigindPlugin {
  constructor(options = {}) {
    const env = process.env;
    this.o = {
      publicBase: (options.publicBase ?? env.ORIGIND_PUBLIC_BASE ?? '').replace(/\/+$/, ''),
      nodes: options.nodes ?? env.ORIGIN_INGEST_NODES ?? '',
      tokenFile: options.tokenFile ?? env.ORIGIN_INGEST_TOKEN_FILE ?? '',
      release: options.release ?? env.ORIGIN_INGEST_RELEASE ?? '',
      bin: options.bin ?? env.ORIGIN_INGEST ?? 'origin-ingest',
      push: options.push ?? env.ORIGIND_PUSH !== '0',
      assetsDir: options.assetsDir ?? 'assets', // under output.path: what is pushed
      manifest: options.manifest ?? 'origind-manifest.json', // under output.path
      extraArgs: options.extraArgs ?? [],
    };
  }

  apply(compiler) {
    const o = this.o;
    const { Compilation, sources } = compiler.webpack;
    if (o.publicBase) compiler.options.output.publicPath = o.publicBase + '/';
    let release = o.release;
    compiler.hooks.thisCompilation.tap(NAME, (compilation) => {
      compilation.hooks.processAssets.tap(
        { name: NAME, stage: Compilation.PROCESS_ASSETS_STAGE_SUMMARIZE },
        (assets) => {
          const names = Object.keys(assets).filter((n) => !n.endsWith('.html'));
          if (!release) {
            const t = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
            release = t + '-' + createHash('sha256').update(names.sort().join('\n')).digest('hex').slice(0, 8);
          }
          const meta = '<meta name="origind-release" content="' + release + '" data-document="' +
            o.publicBase + '/.well-known/origind/release">';
          for (const n of Object.keys(assets)) {
            if (!n.endsWith('.html')) continue;
            const html = assets[n].source().toString();
            const out = html.includes('</head>') ? html.replace('</head>', meta + '</head>') : meta + html;
            compilation.updateAsset(n, new sources.RawSource(out));
          }
        },
      );
    });
    compiler.hooks.afterEmit.tap(NAME, (compilation) => {
      if (!o.push || compilation.errors.length > 0) return;
      const out = compilation.outputOptions.path;
      const dir = join(out, o.assetsDir);
      if (!existsSync(dir)) {
        compilation.errors.push(new Error(NAME + ': no ' + dir + ' to push (set output.filename under ' + o.assetsDir + '/)'));
        return;
      }
      const manifest = join(out, o.manifest);
      mkdirSync(out, { recursive: true });
      const args = ['push', '--release', release, '--keep-names', '--prefix', '/' + o.assetsDir,
        '--manifest-out', manifest, '--manifest-format', 'full', '--quiet'];
      if (o.publicBase) args.push('--public-base', o.publicBase);
      for (const n of String(o.nodes).split(/[,\s]+/).filter(Boolean)) args.push('--node', n);
      if (o.tokenFile) args.push('--token-file', o.tokenFile);
      args.push(...o.extraArgs, dir);
      const r = spawnSync(o.bin, args, { encoding: 'utf8' });
      if (r.error || r.status !== 0) {
        const lines = ((r.stderr || '') + '').trim().split('\n').filter(Boolean);
        const why = r.error ? 'cannot run ' + o.bin + ': ' + r.error.message
          : 'origin-ingest push failed (exit ' + r.status + '): ' +
            (lines.find((l) => /origin-ingest/.test(l)) || lines[0] || 'no reason given');
        compilation.errors.push(new Error(NAME + ': ' + why));
        return;
      }
      compilation.getLogger(NAME).info('release ' + release + ' pushed');
    });
  }
}

module.exports = OrigindPlugin;
module.exports.OrigindPlugin = OrigindPlugin;
