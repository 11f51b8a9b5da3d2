// Options of @astrojs/cloudflare 10.x to 12.x for this project: bindings from
// the wrangler config in `astro dev` (10.x needs the platform proxy enabled;
// 11.x and 12.x enable it by default).
export default { platformProxy: { enabled: true } };
