// getAdapter returns from two places: each identity step finds two matches.
import type { AstroAdapter, AstroIntegration } from 'astro';

export function getAdapter(legacy: boolean): AstroAdapter {
	if (legacy) {
		return {
			name: '@astrojs/node',
			serverEntrypoint: '@astrojs/node/legacy-server.js',
			previewEntrypoint: '@astrojs/node/preview.js',
		};
	}
	return {
		name: '@astrojs/node',
		serverEntrypoint: '@astrojs/node/server.js',
		previewEntrypoint: '@astrojs/node/preview.js',
	};
}

export default function createIntegration(): AstroIntegration {
	return { name: '@astrojs/node', hooks: {} };
}
