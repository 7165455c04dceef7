// vite-plugin-origind: after `vite build`, push the build's assets to every
// origind node with `origin-ingest push --keep-names` (names are already
// hashed by Vite), write the full manifest (URL, SHA-256, size, type, SRI
// integrity per file) beside Vite's own, serve the assets from the CDN
// (`base`), and write the release id into index.html as
// <meta name="origind-release" content="ID" data-document="CDN/.well-known/origind/release">
// for @origind/reload-guard. A failed push fails the build with
// origin-ingest's one-line reason. No dependencies beyond Vite and the
// origin-ingest binary. See README.md.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const env = process.env;

// A release id that sorts in build order (the reload guard compares ids
// numerically): UTC time, then 8 hex of the build's chunk names.
function defaultRelease(names) {
  const t = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return t + '-' + createHash('sha256').update(names.sort().join('\n')).digest('hex').slice(0, 8);
}


export default function origind(options = {}) {
  const o = {
    publicBase: options.publicBase ?? env.ORIGIND_PUBLIC_BASE ?? '', // the CDN, e.g. https://cdn.example.com
    nodes: options.nodes ?? env.ORIGIN_INGEST_NODES ?? '',
    tokenFile: options.tokenFile ?? env.ORIGIN_INGEST_TOKEN_FILE ?? '',
    release: options.release ?? env.ORIGIN_INGEST_RELEASE ?? '',
    bin: options.bin ?? env.ORIGIN_INGEST ?? 'origin-ingest',
    push: options.push ?? env.ORIGIND_PUSH !== '0',
    manifest: options.manifest ?? '.vite/origind-manifest.json',
    extraArgs: options.extraArgs ?? [],
  };
  let config, release;
  const base = o.publicBase.replace(/\/+$/, '');
  return {
    name: 'vite-plugin-origind',
    apply: 'build',
    config(user) {
      if (base && user.base === undefined) return { base: base + '/' };
    },
    configResolved(c) {
      config = c;
    },
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        release = release || o.release || defaultRelease(Object.keys(ctx.bundle || {}));
        return [{
          tag: 'meta',
          attrs: {
            name: 'origind-release',
            content: release,
            'data-document': (base || '') + '/.well-known/origind/release',
          },
          injectTo: 'head',
        }];
      },
    },
    generateBundle(_, bundle) {
      release = release || o.release || defaultRelease(Object.keys(bundle));
    },
    closeBundle() {
      if (!o.push) return;
      const out = resolve(config.root, config.build.outDir);
      const assets = join(out, config.build.assetsDir);
      if (!existsSync(assets)) throw new Error('vite-plugin-origind: no ' + assets + ' to push');
      const manifest = join(out, o.manifest);
      mkdirSync(join(manifest, '..'), { recursive: true });
      const args = ['push', '--release', release, '--keep-names',
        '--prefix', '/' + config.build.assetsDir, '--manifest-out', manifest,
        '--manifest-format', 'full', '--quiet'];
      if (base) args.push('--public-base', base);
      for (const n of String(o.nodes).split(/[,\s]+/).filter(Boolean)) args.push('--node', n);
      if (o.tokenFile) args.push('--token-file', o.tokenFile);
      args.push(...o.extraArgs, assets);
      const r = spawnSync(o.bin, args, { encoding: 'utf8' });
      if (r.error) throw new Error('vite-plugin-origind: cannot run ' + o.bin + ': ' + r.error.message);
      if (r.status !== 0) {
        const lines = (r.stderr || '').trim().split('\n').filter(Boolean);
        throw new Error('vite-plugin-origind: origin-ingest push failed (exit ' + r.status + '): ' +
          (lines.find(l => /origin-ingest/.test(l)) || lines[0] || 'no reason given'));
      }
      // the full manifest (with SRI) next to Vite's .vite/manifest.json, keyed by
      // the pushed file names; and integrity into Vite's manifest when it exists
      const ours = JSON.parse(readFileSync(manifest, 'utf8'));
      const vm = join(out, '.vite/manifest.json');
      if (existsSync(vm)) {
        const m = JSON.parse(readFileSync(vm, 'utf8'));
        for (const k of Object.keys(m)) {
          const rel = String(m[k].file || '').slice(config.build.assetsDir.length + 1);
          if (ours[rel]) m[k].integrity = ours[rel].integrity;
        }
        writeFileSync(vm, JSON.stringify(m, null, 2) + '\n');
      }
      config.logger.info('origind: release ' + release + ' pushed (' + Object.keys(ours).length + ' files)');
    },
  };
}

