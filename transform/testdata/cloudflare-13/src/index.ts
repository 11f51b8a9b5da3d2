// Fixture shaped like the TypeScript source of @astrojs/cloudflare 13.x (hand-written).
import type { AstroConfig, AstroIntegration } from 'astro';
import { setImageConfig } from './utils/image-config.js';

export interface Options {
	imageService?: 'passthrough' | 'cloudflare';
	prerenderEnvironment?: 'workerd' | 'node';
}

export default function createIntegration({
	imageService,
	prerenderEnvironment = 'workerd',
}: Options = {}): AstroIntegration {
	let _config: AstroConfig;
	return {
		name: '@astrojs/cloudflare',
		hooks: {
			'astro:config:setup': ({ command, config, updateConfig, logger }) => {
				updateConfig({
					image: setImageConfig(imageService, config.image, command, logger),
					vite: {
						plugins: [
							{
								name: '@astrojs/cloudflare:environment',
								configEnvironment(name: string) {
									if (name === 'ssr' && prerenderEnvironment === 'workerd') {
										return { optimizeDeps: { include: ['@astrojs/cloudflare/image-service-workerd', 'astro'] } };
									}
								},
							},
						],
					},
				});
			},
			'astro:config:done': ({ setAdapter, config, injectTypes }) => {
				_config = config;
				injectTypes({
					filename: 'cloudflare.d.ts',
					content: '/// <reference types="@astrojs/cloudflare/types.d.ts" />',
				});
				setAdapter({
					name: '@astrojs/cloudflare',
					entrypointResolution: 'auto',
					previewEntrypoint: '@astrojs/cloudflare/entrypoints/preview',
					adapterFeatures: { buildOutput: 'server', middlewareMode: 'classic' },
				});
			},
		},
	};
}
