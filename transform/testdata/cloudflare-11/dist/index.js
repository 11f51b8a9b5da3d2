// Fixture shaped like the compiled index of @astrojs/cloudflare 10.x and 11.x (hand-written).
import { getPlatformProxy } from 'wrangler';
export default function createIntegration(args) {
    let _config;
    return {
        name: '@astrojs/cloudflare',
        hooks: {
            'astro:config:setup': ({ updateConfig, addMiddleware }) => {
                updateConfig({ build: { serverEntry: 'index.js', redirects: false } });
                addMiddleware({ entrypoint: '@astrojs/cloudflare/entrypoints/middleware.js', order: 'pre' });
            },
            'astro:config:done': ({ setAdapter, config }) => {
                _config = config;
                setAdapter({
                    name: '@astrojs/cloudflare',
                    serverEntrypoint: '@astrojs/cloudflare/entrypoints/server.js',
                    exports: ['default'],
                    adapterFeatures: { functionPerRoute: false, edgeMiddleware: false },
                });
            },
            'astro:server:setup': async ({ server, logger }) => {
                if (args?.platformProxy?.enabled === true) {
                    const platformProxy = await getPlatformProxy({ configPath: args.platformProxy.configPath });
                    const clientLocalsSymbol = Symbol.for('astro.locals');
                    server.middlewares.use(async function middleware(req, res, next) {
                        Reflect.set(req, clientLocalsSymbol, { runtime: { env: platformProxy.env } });
                        next();
                    });
                }
            },
        },
    };
}
