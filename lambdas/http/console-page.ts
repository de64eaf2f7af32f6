/**
 * The console's files as the API serves them: the page (HTML, written here), and the app's script and
 * stylesheet, which scripts/build-functions.ts bundles from lambdas/console into the function's own folder
 * (`dist/functions/get-console/console/`). The page loads those two files and nothing else: its
 * Content-Security-Policy allows scripts, styles and requests from this origin only (plus the results
 * bucket, to follow the result route's 303 to a stored result, and the live channel's WebSocket origin).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CONSOLE_ASSETS } from '#api/routes';
import { config } from '#config';
import { problems } from '#domain/errors';
import type { ApiResponse } from '#http/response';

/** The folder next to the function's `index.mjs` that holds the built app (CONSOLE_ASSET_DIR of scripts/build-functions.ts). */
const CONSOLE_ASSET_DIR = 'console';
type AssetName = keyof typeof CONSOLE_ASSETS;

interface Assets {
  files: Record<AssetName, string>;
  /** A digest of both files: the page asks for `app.js?v=<version>`, which may then be cached for good. */
  version: string;
}

let assets: Assets | undefined;

/** Read once per container, from the function's own code (no AWS call). */
function loadAssets(): Assets {
  if (!assets) {
    const files = {} as Record<AssetName, string>;
    const digest = createHash('sha256');
    for (const name of Object.keys(CONSOLE_ASSETS) as AssetName[]) {
      files[name] = readFileSync(new URL(`./${CONSOLE_ASSET_DIR}/${name}`, import.meta.url), 'utf8');
      digest.update(files[name]);
    }
    assets = { files, version: digest.digest('base64url').slice(0, 16) };
  }
  return assets;
}

/**
 * The page's policy: nothing from anywhere but this origin, no inline script or style, no plugins, no
 * framing, no form posts, no `<base>`; Trusted Types, so no string ever becomes markup or script.
 */
export function consolePolicy(connectOrigins: readonly string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `connect-src ${["'self'", ...connectOrigins].join(' ')}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; ');
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page: the app's stylesheet and script (the versioned URLs below `basePath`), and a place to render into. */
export function consolePage(basePath: string, version: string): string {
  const base = escapeHtml(encodeURI(basePath));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Longrun console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${base}/console/app.css?v=${version}">
<script type="module" src="${base}/console/app.js?v=${version}"></script>
</head>
<body>
<noscript><p>The Longrun console needs JavaScript.</p></noscript>
<div id="app"><p class="boot" role="status">Loading the console…</p></div>
</body>
</html>
`;
}

const SECURITY_HEADERS = {
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** `GET /console` (`asset` undefined) or `GET /console/{asset}`. */
export function consoleResponse(basePath: string, asset: string | undefined, version: string | undefined): ApiResponse {
  const { files, version: current } = loadAssets();
  if (asset === undefined) {
    return {
      status: 200,
      text: consolePage(basePath, current),
      headers: {
        ...SECURITY_HEADERS,
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': consolePolicy([...config.resultLinkOrigins, ...config.liveOrigins]),
        // Always revalidated: a new deployment's page names its new files at once.
        'Cache-Control': 'no-cache',
      },
    };
  }
  if (!Object.hasOwn(CONSOLE_ASSETS, asset)) throw problems.notFound('console file');
  const name = asset as AssetName;
  return {
    status: 200,
    text: files[name],
    headers: {
      ...SECURITY_HEADERS,
      'Content-Type': CONSOLE_ASSETS[name],
      // Versioned URLs never change; any other is revalidated.
      'Cache-Control': version === current ? 'public, max-age=31536000, immutable' : 'no-cache',
    },
  };
}
