// getAdapter no longer lists exports, and createExports destructures its
// options: both 9.x steps must refuse.
import type { AstroAdapter } from 'astro';
import type { Options } from './types.js';

export function getAdapter(options: Options): AstroAdapter {
	return {
		name: '@astrojs/node',
		serverEntrypoint: '@astrojs/node/server.js',
		args: options,
	};
}
