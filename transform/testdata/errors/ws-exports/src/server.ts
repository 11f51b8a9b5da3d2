import type { SSRManifest } from 'astro';
import { NodeApp } from 'astro/app/node';
import type { Options } from './types.js';

export function createExports(manifest: SSRManifest, { mode, host }: Options) {
	const app = new NodeApp(manifest);
	return { handler: () => app, mode, host };
}
