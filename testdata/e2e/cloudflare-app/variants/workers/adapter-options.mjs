// Options of @astrojs/cloudflare 13.x on for this project: no debugger port,
// so that two dev servers can start at once.
export default { inspectorPort: false };
