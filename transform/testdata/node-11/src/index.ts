// Fixture shaped like the TypeScript source of @astrojs/node 11.x (hand-written).
import type { AstroAdapter, AstroConfig, AstroIntegration } from 'astro';
import { AstroError } from 'astro/errors';
import type { Options, UserOptions } from './types.js';
import { createConfigPlugin } from './vite-plugin-config.js';

export function getAdapter({ staticHeaders }: Pick<Options, 'staticHeaders'>): AstroAdapter {
	return {
		name: '@astrojs/node',
		entrypointResolution: 'auto',
		serverEntrypoint: '@astrojs/node/server.js',
		previewEntrypoint: '@astrojs/node/preview.js',
		adapterFeatures: {
			buildOutput: 'server',
			middlewareMode: 'classic',
			staticHeaders,
		},
	};
}

export default function createIntegration(userOptions: UserOptions): AstroIntegration {
	if (!userOptions?.mode) {
		throw new AstroError(`Setting the 'mode' option is required.`);
	}

	let _config: AstroConfig | undefined = undefined;
	return {
		name: '@astrojs/node',
		hooks: {
			'astro:config:setup': async ({ updateConfig, config }) => {
				_config = config;
				updateConfig({
					vite: {
						plugins: [
							createConfigPlugin({
								...userOptions,
								host: _config.server.host,
								bodySizeLimit: userOptions.bodySizeLimit ?? 1024 * 1024,
							}),
						],
					},
				});
			},
			'astro:config:done': ({ setAdapter, config }) => {
				_config = config;
				setAdapter(getAdapter({ staticHeaders: userOptions.staticHeaders ?? false }));
			},
		},
	};
}
