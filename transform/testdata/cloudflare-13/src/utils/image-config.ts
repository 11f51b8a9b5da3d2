import type { AstroConfig, AstroIntegrationLogger } from 'astro';

export function setImageConfig(
	service: string | undefined,
	config: AstroConfig['image'],
	command: 'dev' | 'build' | 'preview' | 'sync',
	logger: AstroIntegrationLogger,
) {
	if (service === 'cloudflare') {
		return { ...config, service: { entrypoint: "@astrojs/cloudflare/image-service" } };
	}
	logger.info(`image service: ${service ?? 'default'}`);
	return { ...config, endpoint: { entrypoint: command === 'dev' ? undefined : `@astrojs/cloudflare/image-endpoint` } };
}
