// Fixture shaped like the compiled index of @astrojs/node 8.x (hand-written).
import { AstroError } from 'astro/errors';
export function getAdapter(options) {
    return {
        name: '@astrojs/node',
        serverEntrypoint: '@astrojs/node/server.js',
        previewEntrypoint: '@astrojs/node/preview.js',
        exports: ['handler', 'startServer', 'options'],
        args: options,
        supportedAstroFeatures: {
            hybridOutput: 'stable',
            serverOutput: 'stable',
        },
    };
}
export default function createIntegration(userOptions) {
    if (!userOptions?.mode) {
        throw new AstroError(`The 'mode' option of @astrojs/node is required.`);
    }
    let saved;
    return {
        name: '@astrojs/node',
        hooks: {
            'astro:config:setup': ({ updateConfig }) => {
                updateConfig({
                    vite: { ssr: { noExternal: ['@astrojs/node'] } },
                });
            },
            'astro:config:done': ({ setAdapter, config }) => {
                saved = { ...userOptions, port: config.server.port };
                setAdapter(getAdapter(saved));
            },
            'astro:build:done': () => {
                // a nested return: not the object createIntegration returns
                return { name: '@astrojs/node', nested: true };
            },
        },
    };
}
