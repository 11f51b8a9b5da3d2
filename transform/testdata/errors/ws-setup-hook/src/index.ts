// Upstream added its own astro:server:setup hook: adding a second one would
// replace it, so the recipe must refuse until it learns to chain them.
import type { AstroIntegration } from 'astro';
import type { UserOptions } from './types.js';

export default function createIntegration(userOptions: UserOptions): AstroIntegration {
	return {
		name: '@astrojs/node',
		hooks: {
			'astro:config:done': ({ config }) => {
				void config;
			},
			'astro:server:setup': ({ server }) => {
				server.middlewares.use((_req, _res, next) => next());
			},
		},
	};
}
