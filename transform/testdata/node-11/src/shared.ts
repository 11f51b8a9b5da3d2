export function warnHeaders(e: Error): void {
	console.error(`[@astrojs/node] Please make sure your _headers.json is valid JSON: ${e.message}`);
	console.error('[@astrojs/node] ' + "see the '@astrojs/node' docs");
}

// Subpath imports of the package itself are specifiers too.
export const previewModule = () => import('@astrojs/node/preview.js');
