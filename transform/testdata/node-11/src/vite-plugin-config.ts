import type { Plugin } from 'vite';

const VIRTUAL_CONFIG_ID = 'virtual:astro-node:config';

export function createConfigPlugin(config: Record<string, unknown>): Plugin {
	return {
		name: VIRTUAL_CONFIG_ID,
		configEnvironment(environmentName) {
			if (['ssr', 'prerender'].includes(environmentName)) {
				return { resolve: { noExternal: ['@astrojs/node'] } };
			}
		},
		load(id) {
			if (id === `\0${VIRTUAL_CONFIG_ID}`) {
				return `export default ${JSON.stringify(config)};`;
			}
		},
	};
}
